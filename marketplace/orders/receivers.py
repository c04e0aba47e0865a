"""Tenant → public: every MerchantOrder move is mirrored into the customer's order in the same transaction."""

from __future__ import annotations

from django.dispatch import receiver

from marketplace.orders.services import part_mirror
from tenant_apps.orders.states import merchant_order_changed


@receiver(merchant_order_changed, dispatch_uid="customer-order-part-mirror")
def _mirror(sender, *, order, from_status: str, to_status: str, reason: str, **kwargs) -> None:
    if from_status:  # at creation checkout writes the part itself
        part_mirror(order=order, to_status=to_status, reason=reason)
