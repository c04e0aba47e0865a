"""Console pages for the merchant's money: /payments/ (totals, settlements per day, the shares of paid orders) and
the refund form of an order's page (POST /orders/<id>/refund/, back to the order with a message). Thin: scope and
role from the access layer, figures from orders.settlements, the refund from orders.refunds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kernel.errors import DomainError
from kernel.money import money
from shared_apps.payments.errors import PaymentErrorCode
from tenant_apps.orders.refunds import merchant_order_refund
from tenant_apps.orders.settlements import (
    merchant_money_totals,
    merchant_settlements,
    merchant_shares,
    scope_branch_ids,
)
from tenant_apps.staff.access import access_chosen_branch, access_order_by_id, branch_choices
from tenant_apps.staff.models import Membership
from tenant_apps.staff.pages import console_page
from tenant_apps.staff.permissions import Perm

SETTLEMENT_DAYS = 30  # the page's settlements table: the last month, newest first
SHARES_PER_PAGE = 25


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@console_page(Perm.PAYMENTS_VIEW)
def payments_page(request: HttpRequest) -> HttpResponse:
    """Totals, settlements per day and shares in the actor's scope; Merchants and Shop Owners may narrow to one
    branch (`?branch=`, 404 outside the scope), anyone to dates (`?from=&to=`, local days)."""
    actor: Membership = request.actor
    chosen = request.GET.get("branch", "")
    branch = access_chosen_branch(actor=actor, chosen=chosen, perm=Perm.PAYMENTS_VIEW)
    branch_ids = scope_branch_ids(actor, branch.pk if branch else None)
    today = timezone.localdate()
    date_from = _day(request.GET.get("from", ""))
    date_to = _day(request.GET.get("to", ""))
    scope = {"merchant_id": request.tenant.pk, "branch_ids": branch_ids, "date_from": date_from, "date_to": date_to}
    days_from = date_from or today - timedelta(days=SETTLEMENT_DAYS - 1)
    settlements = list(merchant_settlements(**{**scope, "date_from": days_from}))
    shares = Paginator(merchant_shares(**scope), SHARES_PER_PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("branch", chosen), ("from", date_from), ("to", date_to)) if v)
    context = {
        "branch": branch,
        "branches": branch_choices(actor),
        "totals": merchant_money_totals(**scope),
        "settlements": settlements,
        "days_from": days_from,
        "date_from": date_from,
        "date_to": date_to,
        "shares": shares,
        "query": query,
        "currency": settings.DEFAULT_CURRENCY,
    }
    return render(request, "orders/payments.html", context)


@require_POST
@console_page(Perm.ORDERS_VIEW)
def order_refund_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's refund form: `amount` and `reason`; back to the order with the outcome as a message (a
    refused refund changes nothing). Out of scope 404, a role that may not refund 403."""
    actor: Membership = request.actor
    order = access_order_by_id(actor=actor, order_id=order_id, perm=Perm.PAYMENTS_REFUND)
    try:
        amount = Decimal(request.POST.get("amount", "").strip().replace(",", ""))
    except InvalidOperation:
        amount = None
    try:
        refund = merchant_order_refund(
            merchant_id=request.tenant.pk,
            order=order,
            actor=actor,
            amount=amount,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        if exc.code == PaymentErrorCode.REFUND_PENDING:
            messages.warning(request, exc.message)
        else:
            messages.error(request, f"Refund not made: {exc.message}")
    else:
        messages.success(request, f"Refunded {money(refund.amount, refund.currency)} (reference {refund.reference}).")
    return redirect(f"/orders/{order.pk}/")
