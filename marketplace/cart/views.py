"""Cart pages on the marketplace host: "Add to cart" from a product page, and /cart (grouped per shop branch, priced
now from each merchant's schema, quantities changed or lines removed in place).

Every form works without JavaScript (post, then redirect back); with htmx the same endpoints answer with the
fragment to swap and the header's cart badge out of band. The visitor is the session's user or guest
(shoppers.shopper_of_page): a guest is created on the first add, never on a read.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import DomainError
from marketplace.cart import services
from marketplace.cart.errors import CartError, CartErrorCode
from marketplace.cart.page_context import cart_context, pricing_point
from marketplace.cart.pricing import PricedCart
from marketplace.cart.selectors import cart_item_count, cart_priced_for
from marketplace.cart.shoppers import Shopper, shopper_of_page
from marketplace.discovery.location import location_from_request
from shared_apps.behaviour.models import Surface


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _number(value: str | None) -> int | None:
    """A posted whole number, or None (the service then answers with its own error)."""
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _shopping(request: HttpRequest) -> Shopper:
    """The visitor as a shopper who has a cart; a visitor who never added anything has no lines to change."""
    shopper = shopper_of_page(request)
    if shopper is None:
        raise CartError(CartErrorCode.ITEM_NOT_FOUND)
    return shopper


def _back(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """POST listing_id, quantity (and `next`, and `surface`: the page it was pressed on): add to the visitor's cart.
    htmx: a status line and the new badge."""
    shopper = shopper_of_page(request, create=True)
    surface = request.POST.get("surface", "")
    try:
        item = services.cart_item_add(
            shopper=shopper,
            listing_id=_number(request.POST.get("listing_id")) or 0,
            quantity=_number(request.POST.get("quantity", "1")),  # type: ignore[arg-type]
            surface=surface if surface in Surface.values else "",
        )
    except DomainError as exc:
        if is_htmx(request):
            return render(request, "cart/_added.html", {"error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect(_back(request, "/cart"))
    title = f"{item.listing.title} ({item.listing.variant_name})" if item.listing.variant_name else item.listing.title
    if is_htmx(request):
        context = {"title": title, "quantity": item.quantity, "cart_count": cart_item_count(shopper)}
        return render(request, "cart/_added.html", context)
    messages.success(request, f"Added {title} to your cart.", extra_tags="cart")
    return redirect(_back(request, "/cart"))


def _cart_response(request: HttpRequest, *, line_errors: dict[int, str] | None = None, status: int = 200):
    location = location_from_request(request)
    shopper = shopper_of_page(request)
    lat, lng = pricing_point(location)
    priced = cart_priced_for(shopper, lat=lat, lng=lng) if shopper else PricedCart([])
    context = cart_context(priced, location, line_errors=line_errors)
    fragment = is_htmx(request)
    context["fragment"] = fragment
    response = render(request, "cart/_cart.html" if fragment else "cart/cart.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    """The cart, grouped per shop branch: lines, problems, price changes, delivery options, totals."""
    return _cart_response(request)


@require_POST
def cart_item_quantity(request: HttpRequest, item_id: int) -> HttpResponse:
    """POST quantity: set a line's quantity (checked against the shop's stock)."""
    try:
        services.cart_item_update(
            shopper=_shopping(request),
            item_id=item_id,
            quantity=_number(request.POST.get("quantity")),  # type: ignore[arg-type]
        )
    except DomainError as exc:
        if is_htmx(request):
            return _cart_response(request, line_errors={item_id: exc.message}, status=exc.status)
        messages.error(request, exc.message)
    return _cart_response(request) if is_htmx(request) else redirect("cart:page")


@require_POST
def cart_item_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    """Remove a line."""
    try:
        services.cart_item_remove(shopper=_shopping(request), item_id=item_id)
    except DomainError as exc:
        if not is_htmx(request):
            messages.error(request, exc.message)
    return _cart_response(request) if is_htmx(request) else redirect("cart:page")
