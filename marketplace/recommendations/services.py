"""Writes of serving: a shelf shown is one impression per product, at its position, under the shelf's model label —
one Redis round trip (the behaviour recorder), never a database write in the request."""

from __future__ import annotations

from marketplace.recommendations.selectors import Shelf
from shared_apps.behaviour.products import shelf_impressions_record


def shelf_shown(*, shopper: str, shelf: Shelf) -> int:
    """Record the shelf's impressions for the next drain (nothing for an empty shelf, or a shopper who opted out).
    Best effort: returns how many were queued, 0 when Redis did not take them."""
    if not shelf.items:
        return 0
    return shelf_impressions_record(
        shopper=shopper,
        surface=shelf.surface,
        model=shelf.model,
        shown=[(item.merchant_id, item.product_id) for item in shelf.items],
    )
