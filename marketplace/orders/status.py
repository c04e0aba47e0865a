"""The customer order's status, derived from its parts (never set by hand)."""

from __future__ import annotations

from collections.abc import Iterable

from marketplace.orders.models import CustomerOrderStatus as C
from tenant_apps.orders.models import OrderStatus as S

_ENDED = {S.REJECTED, S.CANCELLED, S.REFUNDED}
_HANDED_OVER = {S.PICKED_UP, S.DELIVERED}
_MOVING = {S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY} | _HANDED_OVER


def customer_status(part_statuses: Iterable[str]) -> str:
    """pending_payment while every live part waits for payment; completed when every live part was handed over;
    in_progress once any live part moves; cancelled/refunded when no part is live; else placed."""
    statuses = list(part_statuses)
    live = [s for s in statuses if s not in _ENDED]
    if not live:
        return C.REFUNDED if S.REFUNDED in statuses else C.CANCELLED
    if all(s == S.PENDING_PAYMENT for s in live):
        return C.PENDING_PAYMENT
    if all(s in _HANDED_OVER for s in live):
        return C.COMPLETED
    if any(s in _MOVING for s in live):
        return C.IN_PROGRESS
    return C.PLACED
