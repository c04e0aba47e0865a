"""Reads of carts (public schema), for the API and the pages. Pricing itself lives in pricing.py."""

from __future__ import annotations

from django.db.models import Prefetch, Sum

from marketplace.cart import services
from marketplace.cart.errors import CartError, CartErrorCode
from marketplace.cart.models import Cart, CartItem
from marketplace.cart.pricing import PricedCart, cart_price
from marketplace.cart.shoppers import Shopper


def cart_item_count(shopper: Shopper | None) -> int:
    """How many units are in the shopper's cart (one query; none for a visitor who is not shopping yet)."""
    if shopper is None:
        return 0
    total = CartItem.objects.filter(cart__in=Cart.objects.filter(shopper.owns())).aggregate(n=Sum("quantity"))["n"]
    return total or 0


def cart_priced_for(shopper: Shopper, *, lat: float | None, lng: float | None) -> PricedCart:
    """The shopper's cart priced now (two public queries, then one or two per merchant), with price changes marked
    as seen once shown."""
    if (lat is None) != (lng is None):
        raise CartError(CartErrorCode.LOCATION_INVALID, field="lat" if lat is None else "lng")
    cart = (
        Cart.objects.filter(shopper.owns())
        .prefetch_related(Prefetch("items", CartItem.objects.select_related("merchant", "listing").order_by("id")))
        .first()
    )
    priced = cart_price(cart.items.all() if cart else [], lat=lat, lng=lng)
    services.cart_prices_seen(priced)
    return priced
