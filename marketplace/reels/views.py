"""The reels page: a full-screen vertical feed on phones (CSS scroll snap), the same feed centred on wide screens.

The first page is rendered into the HTML as JSON (no second round trip before the first video); the player
(static/reels/reels.js) plays the reel in view, pauses the others, preloads the next two, and asks
GET /api/v1/reels for the next page by cursor. Likes, saves and follows post here rather than to the API: a visitor
who never added anything has no guest yet, and these create one, as "add to cart" does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import DomainError
from marketplace.cart.shoppers import Shopper, shopper_of_page
from marketplace.discovery.location import location_from_request
from marketplace.reels import services
from marketplace.reels.errors import ReelsError
from marketplace.reels.selectors import FeedQuery, feed_page


@require_GET
def reels_page(request: HttpRequest, card_id: int | None = None) -> HttpResponse:
    """/reels (and /reels/<id> or ?reel=<id>, a shared reel first): the feed around the customer's location.
    A shared reel withdrawn since answers 404 with the feed without it."""
    location = location_from_request(request)
    shopper = shopper_of_page(request)
    shared = card_id or _number(request.GET.get("reel"))
    missing = False
    try:
        page = feed_page(FeedQuery(lat=location.lat, lng=location.lng, reel=shared), shopper=shopper)
    except ReelsError:
        missing = True
        page = feed_page(FeedQuery(lat=location.lat, lng=location.lng), shopper=shopper)
    context = {
        "location": location,
        "missing": missing,
        "feed": {"reels": page.reels, "next_cursor": page.next_cursor, "lat": location.lat, "lng": location.lng},
    }
    return render(request, "reels/feed.html", context, status=404 if missing else 200)


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _kept(request: HttpRequest, write: Callable[[Shopper, bool], bool]) -> JsonResponse:
    """POST on=1|0 → {"on": bool}; the visitor becomes a guest if it was not a shopper yet."""
    shopper = shopper_of_page(request, create=True)
    try:
        return JsonResponse({"on": write(shopper, request.POST.get("on", "1") == "1")})
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)


@require_POST
def reel_like(request: HttpRequest, card_id: int) -> JsonResponse:
    return _kept(request, lambda shopper, on: services.reel_like_set(shopper=shopper, card_id=card_id, liked=on))


@require_POST
def reel_save(request: HttpRequest, card_id: int) -> JsonResponse:
    return _kept(request, lambda shopper, on: services.reel_save_set(shopper=shopper, card_id=card_id, saved=on))


@require_POST
def shop_follow(request: HttpRequest, merchant_slug: str) -> JsonResponse:
    return _kept(
        request,
        lambda shopper, on: services.shop_follow_set(shopper=shopper, merchant_slug=merchant_slug, following=on),
    )
