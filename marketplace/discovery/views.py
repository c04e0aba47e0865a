"""Customer pages of the marketplace: home, search, category, store, product, the location picker and robots.txt.

Server-rendered for search engines and slow phones. The search page's filters swap the results in place with htmx
while the URL keeps every filter (the back button restores them). Every read goes through the discovery selectors
and `search_listings`, i.e. the public `Listing`/`BranchListing` indexes, never a merchant schema.

Each view reads, hands what it read to its page's context (page_context.py, search_page.py) and renders.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.cart.shoppers import shopper_key_of_request
from marketplace.discovery.errors import DEFAULT_RADIUS_KM, MAX_LIMIT, DiscoveryError
from marketplace.discovery.location import AREAS, location_from_choice, location_from_request, location_remember
from marketplace.discovery.page_context import (
    home_context,
    nearby_stores,
    product_context,
    store_context,
    store_listings,
)
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search import search_listings
from marketplace.discovery.search_page import category_context, is_fragment_request, search_params, serp_context
from marketplace.discovery.selectors import categories_near, product_detail, store_detail
from marketplace.discovery.seo import location_seo
from shared_apps.behaviour.models import Surface
from shared_apps.behaviour.products import (
    Shown,
    product_view_record,
    search_click_of,
    search_impressions_record,
    shelf_click_of,
)
from shared_apps.categories.selectors import category_tree
from tenants.selectors import merchants_listed


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    context = {"message": message, "location": location_from_request(request)}
    return render(request, "discovery/not_found.html", context, status=404)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


def _impressions_record(request: HttpRequest, context: dict[str, Any], surface: str) -> None:
    """The page's results as impressions of their products, in one Redis round trip."""
    search_impressions_record(
        shopper=shopper_key_of_request(request),
        shown=[Shown(card["merchant_id"], card["product_id"], card["position"]) for card in context["cards"]],
        context=context.get("search_context", ""),
        surface=surface,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Shops, popular products and categories around the customer, and where they are."""
    location = location_from_request(request)
    stores = nearby_stores(location)
    popular = search_listings(SearchQuery(lat=location.lat, lng=location.lng, sort=Sort.POPULAR, limit=MAX_LIMIT))
    categories = categories_near(lat=location.lat, lng=location.lng, radius_km=DEFAULT_RADIUS_KM)
    # Nothing around the customer yet: show every shop on the platform rather than an empty page.
    merchants = [] if stores else list(merchants_listed()[:48])
    context = home_context(
        request, location, stores=stores, popular=popular["results"], categories=categories, merchants=merchants
    )
    return render(request, "discovery/home.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """/search?q=&category=&price_min=&price_max=&in_stock=&delivery=&has_offer=&sort=&page= (and lat/lng, radius_km,
    store). htmx requests get the results fragment; the pushed URL is the shortest one for the same search."""
    location = location_from_request(request)
    context, status = serp_context(request, location, search_params(request.GET))
    context["fragment"] = is_fragment_request(request)
    _impressions_record(request, context, Surface.SEARCH)
    if context["fragment"]:
        response = render(request, "discovery/_serp.html", context, status=status)
        response["HX-Push-Url"] = context["page_url"]
    else:
        response = render(request, "discovery/search.html", context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """A category near the customer: breadcrumbs, sub-categories with counts, its listings (the search's cards)."""
    tree = category_tree()
    node = tree.by_slug.get(slug)
    if node is None:
        return _not_found(request, "There is no such category on the marketplace.")
    location = location_from_request(request)
    params = {**search_params(request.GET), "category": slug}
    context, status = category_context(request, location, tree, node, params)
    _impressions_record(request, context, Surface.CATEGORY)
    return render(request, "discovery/category.html", context, status=status)


@require_GET
def store(request: HttpRequest, merchant_slug: str, store_slug: str) -> HttpResponse:
    """A store: its branches (nearest first, open now, delivery terms) and its products."""
    location = location_from_request(request)
    try:
        page = store_detail(merchant_slug=merchant_slug, store_slug=store_slug, lat=location.lat, lng=location.lng)
    except DiscoveryError as exc:
        return _not_found(request, exc.message)
    items, total = store_listings(page, location)
    context = store_context(request, location, page, items=items, total=total)
    return render(request, "discovery/store.html", context)


@require_GET
def product(request: HttpRequest, merchant_slug: str, product_id: int) -> HttpResponse:
    """A product: its variants and prices, and where to get it near the customer (stock, distance, delivery)."""
    location = location_from_request(request)
    try:
        page = product_detail(merchant_slug=merchant_slug, product_id=product_id, lat=location.lat, lng=location.lng)
    except DiscoveryError as exc:
        return _not_found(request, exc.message)
    # A recommendation shelf's link (?shelf=&m=&pos=) or a page of results' (?pos=&ctx=): the same `pos`, one click.
    shelf = shelf_click_of(shelf=request.GET.get("shelf"), model=request.GET.get("m"), position=request.GET.get("pos"))
    product_view_record(
        shopper=shopper_key_of_request(request),
        merchant_id=page.merchant_id,
        product_id=page.product_id,
        click=None if shelf else search_click_of(position=request.GET.get("pos"), context=request.GET.get("ctx")),
        shelf=shelf,
    )
    context = product_context(request, location, page, category_tree())
    return render(request, "discovery/product.html", context)


@require_http_methods(["GET", "POST"])
def location_set(request: HttpRequest) -> HttpResponse:
    """GET: the picker. POST area=<slug> or lat/lng (from the browser): remember it, go back to `next`."""
    context: dict[str, Any] = {"areas": AREAS, "next": _next_url(request), "location": location_from_request(request)}
    if request.method == "POST":
        chosen = location_from_choice(
            area=request.POST.get("area", ""), lat=request.POST.get("lat", ""), lng=request.POST.get("lng", "")
        )
        if chosen is not None:
            response = redirect(_next_url(request))
            location_remember(request=request, response=response, location=chosen)
            return response
        context["error"] = "Pick an area from the list, or let your browser share your location."
    context["seo"] = location_seo(request)
    return render(request, "discovery/location.html", context, status=400 if "error" in context else 200)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /signin/",
        "Disallow: /location/",
        f"Sitemap: {request.build_absolute_uri(reverse('discovery:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
