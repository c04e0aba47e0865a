"""The branch board hears of every order move: a new order, or any staff member's (or the system's) move, published
to the branch's live channel once the move commits (shared_apps.live)."""

from __future__ import annotations

from django.db import connection
from django.dispatch import receiver

from shared_apps.live.services import channel_branch, live_publish
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import merchant_order_changed


@receiver(merchant_order_changed, dispatch_uid="merchant-order-live-board")
def _board_told(sender, *, order: MerchantOrder, from_status: str, to_status: str, **kwargs) -> None:
    live_publish(
        channels=[channel_branch(connection.schema_name, order.branch_id)],
        kind="order",
        data={
            "id": order.pk,
            "number": order.number,
            "status": to_status,
            "label": OrderStatus(to_status).label,
            "from_status": from_status,
        },
    )
