"""{% refund_form order %}: the order page's refund box, for roles that may refund (PAYMENTS_REFUND) and orders that
were paid (online, or cash handed over)."""

from __future__ import annotations

from django import template
from django.conf import settings

from tenant_apps.orders.refunds import merchant_order_money
from tenant_apps.staff.permissions import Perm

register = template.Library()


@register.inclusion_tag("orders/_refund_form.html", takes_context=True)
def refund_form(context, order) -> dict:
    actor = context.get("actor")
    request = context["request"]
    if actor is None or Perm.PAYMENTS_REFUND not in actor.permissions or order.paid_at is None:
        return {"show": False}
    money = merchant_order_money(merchant_id=request.tenant.pk, order=order)
    if money is None:
        return {"show": False}
    return {
        "show": True,
        "order": order,
        "refundable": money.refundable,
        "method": money.intent.method,
        "currency": money.intent.currency or settings.DEFAULT_CURRENCY,
        "csrf_token": context.get("csrf_token"),
    }
