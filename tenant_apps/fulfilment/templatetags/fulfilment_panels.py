"""What the orders pages and the branch dashboard show of deliveries, each one tag in their template (their
templates belong to other apps): the order page's delivery panel, the board's late orders, cash riders hold."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.db import connection

from shared_apps.accounts.models import User
from shared_apps.logistics.selectors import courier_delivery_of_order
from tenant_apps.fulfilment.courier_booking import courier_may_be_booked
from tenant_apps.fulfilment.models import Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.selectors import late_deliveries, rider_cash_today
from tenant_apps.fulfilment.services import ENDED, delivery_is_late
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.staff.access import scoped_riders
from tenant_apps.staff.permissions import Perm

register = template.Library()


@register.inclusion_tag("fulfilment/_order_delivery.html", takes_context=True)
def delivery_panel(context, order: MerchantOrder) -> dict:
    """The order's delivery on its console page: how it leaves, its promised time (late?), its rider or partner
    courier (provider, status, tracking link, fee) and the forms the actor may use (assign a rider; book a courier,
    again after one gave up; type the pickup code at the counter)."""
    actor = context.get("actor")
    delivery = Delivery.objects.select_related("rider").filter(order_id=order.pk).first()
    if delivery is None or actor is None:
        return {"delivery": None}
    perms = actor.permissions
    can_assign = (
        Perm.DELIVERIES_ASSIGN in perms
        and delivery.method == DeliveryMethod.OWN_RIDER
        and delivery.status in (DeliveryStatus.WAITING, DeliveryStatus.READY, DeliveryStatus.ASSIGNED)
    )
    riders = list(scoped_riders(actor, branch_id=delivery.branch_id)) if can_assign else []
    courier = (
        courier_delivery_of_order(merchant_schema=connection.schema_name, merchant_order_id=order.pk)
        if delivery.method == DeliveryMethod.PARTNER
        else None
    )
    user_ids = [r.user_id for r in riders] + ([delivery.rider.user_id] if delivery.rider_id else [])
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "name")) if user_ids else {}
    return {
        "delivery": delivery,
        "order": order,
        "csrf_token": context.get("csrf_token"),
        "late": delivery_is_late(delivery),
        "ended": delivery.status in ENDED,
        "rider_name": names.get(delivery.rider.user_id, "") if delivery.rider_id else "",
        "riders": [(r.pk, names.get(r.user_id) or f"#{r.pk}") for r in riders],
        "can_assign": can_assign,
        "courier": courier,
        "can_book_courier": Perm.DELIVERIES_ASSIGN in perms
        and courier_may_be_booked(order=order, delivery=delivery, courier=courier),
        "can_hand_over": Perm.ORDERS_PROCESS in perms
        and delivery.method == DeliveryMethod.PICKUP
        and order.status == OrderStatus.READY_FOR_PICKUP,
    }


@register.inclusion_tag("fulfilment/_late_orders.html", takes_context=True)
def late_orders_banner(context, branch=None) -> dict:
    """The board's open orders whose promised time has passed (one query)."""
    actor = context.get("actor")
    if actor is None or Perm.ORDERS_VIEW not in actor.permissions:
        return {"late": []}
    return {"late": late_deliveries(actor=actor, branch_id=branch.pk if branch else None)}


@register.inclusion_tag("fulfilment/_cash_in_hand.html", takes_context=True)
def rider_cash_panel(context, branch=None) -> dict:
    """Cash each rider of the branch collected today: what the branch counts in at the end of the day."""
    actor = context.get("actor")
    branch = branch or (actor.branch if actor else None)
    if branch is None or Perm.DELIVERIES_ASSIGN not in actor.permissions:
        return {"rows": None}
    rows = rider_cash_today(branch_id=branch.pk)
    return {"rows": rows, "currency": settings.DEFAULT_CURRENCY, "total": sum((r.amount for r in rows), Decimal(0))}
