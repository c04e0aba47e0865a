"""Reads of carts for pages (public schema). Pricing lives in pricing.py; this only counts."""

from __future__ import annotations

from django.db.models import Sum

from marketplace.cart.models import Cart, CartItem
from marketplace.cart.shoppers import Shopper


def cart_item_count(shopper: Shopper | None) -> int:
    """How many units are in the shopper's cart (one query; none for a visitor who is not shopping yet)."""
    if shopper is None:
        return 0
    total = CartItem.objects.filter(cart__in=Cart.objects.filter(shopper.owns())).aggregate(n=Sum("quantity"))["n"]
    return total or 0
