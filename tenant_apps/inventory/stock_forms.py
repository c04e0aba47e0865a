"""A stock change as a console form types it: an action ("receive", "count", "adjust") and a number as text.
The branch stock page and the product page share it; the writes themselves are inventory.services'."""

from __future__ import annotations

from tenant_apps.inventory.errors import InventoryError, InventoryErrorCode
from tenant_apps.inventory.models import StockMovement
from tenant_apps.inventory.services import stock_adjust, stock_count, stock_receive

STOCK_CHANGE_ACTIONS = ("receive", "count", "adjust")  # what a console stock form offers


def stock_change(
    *,
    branch_id: int,
    variant_id: int,
    action: str,
    amount: str,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """A console form's change as typed: "receive" N units, "count" the shelf at N, or "adjust" by ±N. Text that is
    not a whole number is QUANTITY_INVALID; otherwise the matching write's guarantees and errors, once per key."""
    amount = (amount or "").strip()
    number = int(amount) if amount.lstrip("-").isdigit() and len(amount) <= 10 else None
    common = {"branch_id": branch_id, "variant_id": variant_id, "actor_id": actor_id}
    common["idempotency_key"] = idempotency_key
    if action == "receive":
        return stock_receive(quantity=number if number is not None else 0, **common)
    if action == "count":
        return stock_count(counted=number if number is not None else -1, **common)
    if action == "adjust":
        return stock_adjust(delta=number or 0, **common)
    raise InventoryError(InventoryErrorCode.REASON_INVALID, field="action")
