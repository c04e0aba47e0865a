"""{% cart_badge %}: the header's cart link with the number of units in the cart."""

from __future__ import annotations

from typing import Any

from django import template

from marketplace.cart.selectors import cart_item_count
from marketplace.cart.shoppers import shopper_of_page

register = template.Library()


@register.inclusion_tag("cart/_badge.html", takes_context=True)
def cart_badge(context: template.Context) -> dict[str, Any]:
    """Uses the page's `cart_count` when the view already knows it (the cart page priced the cart anyway); else one
    query, and none at all for a visitor without a session guest or account."""
    count = context.get("cart_count")
    if count is None:
        request = context.get("request")
        count = cart_item_count(shopper_of_page(request)) if request is not None else 0
    return {"count": count, "oob": False}
