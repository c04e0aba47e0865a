"""Console pages for a branch's stock and its movement log. Each form carries an idempotency key, so a double
submit (or a retry after a timeout) applies once."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from tenant_apps.inventory.selectors import branch_stock_movements, branch_stock_sheet
from tenant_apps.inventory.stock_forms import stock_change
from tenant_apps.staff.access import access_branch_by_id, access_branch_variant
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm


def _sheet_url(branch_id: int, query: str, page: str) -> str:
    """The stock page again, on the search and page the form was sent from."""
    params = {k: v for k, v in (("q", query), ("page", page)) if v}
    return f"/branches/{branch_id}/stock/" + (f"?{urlencode(params)}" if params else "")


@require_http_methods(["GET", "POST"])
@console_page(Perm.STOCK_VIEW)
def branch_stock(request: HttpRequest, branch_id: int) -> HttpResponse:
    """A branch's stock, searchable by product name or SKU, a page at a time; each row changes its level."""
    actor = request.actor
    error = None
    query, page = request.GET.get("q", "").strip()[:100], request.GET.get("page", "")
    try:
        branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
        if request.method == "POST":
            query, page = request.POST.get("q", "").strip()[:100], request.POST.get("page", "")
            branch, variant = access_branch_variant(
                actor=actor,
                branch_id=branch_id,
                variant_id=int(request.POST.get("variant_id") or 0),
                perm=Perm.STOCK_ADJUST,
            )
            stock_change(
                branch_id=branch.pk,
                variant_id=variant.pk,
                action=request.POST.get("action", ""),
                amount=request.POST.get("amount", ""),
                actor_id=actor.user_id,
                idempotency_key=request.POST.get("key") or None,
            )
            return redirect(_sheet_url(branch.pk, query, page))
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        error = exc
        branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
    context = {
        "branch": branch,
        "sheet": branch_stock_sheet(branch=branch, query=query, page=page or 1),
        "error": error,
        "key": uuid.uuid4().hex,
        "can_adjust": Perm.STOCK_ADJUST in actor.permissions,
    }
    return render(request, "inventory/branch_stock.html", context, status=error.status if error else 200)


@console_page(Perm.STOCK_VIEW)
def branch_movements(request: HttpRequest, branch_id: int) -> HttpResponse:
    try:
        branch = access_branch_by_id(actor=request.actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
    except DomainError as exc:
        return console_error_page(request, exc)
    movements = branch_stock_movements(branch=branch).select_related("variant__product", "actor")[:300]
    return render(request, "inventory/movements.html", {"branch": branch, "movements": movements})
