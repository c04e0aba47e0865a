"""Console pages for a branch's stock and its movement log. Each form carries an idempotency key, so a double
submit (or a retry after a timeout) applies once."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from tenant_apps.inventory import services
from tenant_apps.inventory.selectors import branch_stock_movements, branch_stock_sheet
from tenant_apps.staff.access import access_branch_by_id, access_branch_variant
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm


@require_http_methods(["GET", "POST"])
@console_page(Perm.STOCK_VIEW)
def branch_stock(request: HttpRequest, branch_id: int) -> HttpResponse:
    actor = request.actor
    error = None
    try:
        branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
        if request.method == "POST":
            variant_id = int(request.POST.get("variant_id") or 0)
            branch, variant = access_branch_variant(
                actor=actor, branch_id=branch_id, variant_id=variant_id, perm=Perm.STOCK_ADJUST
            )
            action, amount = request.POST.get("action"), request.POST.get("amount", "").strip()
            number = int(amount) if amount.lstrip("-").isdigit() else None
            common = {
                "branch_id": branch.pk,
                "variant_id": variant.pk,
                "actor_id": actor.user_id,
                "idempotency_key": request.POST.get("key") or None,
            }
            if action == "receive":
                services.stock_receive(quantity=number if number is not None else 0, **common)
            elif action == "count":
                services.stock_count(counted=number if number is not None else -1, **common)
            else:
                services.stock_adjust(delta=number or 0, **common)
            return redirect(f"/branches/{branch_id}/stock/")
    except DomainError as exc:
        if exc.status in (401, 404) or not hasattr(request, "actor"):
            return console_error_page(request, exc)
        if exc.status == 403:
            return console_error_page(request, exc)
        error = exc
        branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
    context = {
        "branch": branch,
        "rows": branch_stock_sheet(branch=branch),
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
