"""Recommendation shelves on the customer pages, and the platform admin's click-through page.

A page never waits for its shelves: it holds a placeholder that htmx replaces with `shelf_fragment` once loaded
(`hx-trigger="load"`, or "revealed" below the fold), so the shelf's reads are not on the page's path. The fragment is
the same shelf the API serves, for the visitor's session (user or guest) at the page's location; showing it records
its impressions.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kernel.errors import DomainError
from marketplace.cart.shoppers import shopper_key_of_request
from marketplace.discovery.formatting import distance_label
from marketplace.discovery.location import location_from_request
from marketplace.recommendations.selectors import Shelf, ShelfQuery, shelf_for
from marketplace.recommendations.services import shelf_shown
from shared_apps.behaviour.models import SHELF_SURFACES, Surface

MAX_ID = 2**63 - 1


def _product(value: str) -> tuple[int, int] | None:
    merchant_id, _sep, product_id = value.partition(":")
    if not (merchant_id.isdigit() and product_id.isdigit()):
        return None
    key = (int(merchant_id), int(product_id))
    return key if all(0 < part <= MAX_ID for part in key) else None


def shelf_cards(shelf: Shelf) -> list[dict[str, object]]:
    """The shelf's items as its cards show them: distance and opening already in words."""
    cards = []
    for item in shelf.items:
        closed = ""
        if not item.open_now:
            closed = _("Opens at %(time)s") % {"time": item.opens_at} if item.opens_at else _("Closed")
        cards.append({"item": item, "distance_label": distance_label(item.distance_km), "closed_label": closed})
    return cards


@require_GET
def shelf_fragment(request: HttpRequest) -> HttpResponse:
    """GET /recommendations/shelf?surface=<shelf>[&product=<merchant_id>:<product_id>][&order=<number>]: the shelf's
    HTML (nothing when it is empty, or not the visitor's to see)."""
    surface = request.GET.get("surface", "")
    if surface not in SHELF_SURFACES:
        return HttpResponse(status=404)
    location = location_from_request(request)
    shopper = shopper_key_of_request(request)
    query = ShelfQuery(
        surface=surface,
        lat=location.lat,
        lng=location.lng,
        shopper=shopper,
        product=_product(request.GET.get("product", "")),
        order_number=request.GET.get("order", "")[:24] or None,
    )
    try:
        shelf = shelf_for(query)
    except DomainError:  # no product, or an order that is not the visitor's: no shelf, and nothing said about it
        return HttpResponse("")
    if surface == Surface.HOME and not shelf.personal:
        return HttpResponse("")  # the home page shows the popular products around the customer already
    shelf_shown(shopper=shopper, shelf=shelf)
    context = {"shelf": shelf, "cards": shelf_cards(shelf), "add": surface == Surface.CART_ADDONS}
    return render(request, "recommendations/_shelf.html", context)
