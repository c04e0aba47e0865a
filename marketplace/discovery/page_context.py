"""What the home, store and product pages show (the search and category pages: search_page.py), and the two
listing reads only these pages make: the stores around the customer, and a store's items.

Reads go through the discovery selectors and `search_listings`, i.e. the public indexes, never a merchant schema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace.discovery.errors import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM
from marketplace.discovery.formatting import branch_view, offers_by_branch, price_range_label, result_card
from marketplace.discovery.location import AREAS, Location
from marketplace.discovery.page_urls import href, product_url, store_url
from marketplace.discovery.schemas import NearbyQuery, SearchQuery, Sort
from marketplace.discovery.search import search_listings
from marketplace.discovery.selectors import NearbyBranch, ProductPage, StorePage, stores_nearby
from marketplace.discovery.seo import category_crumbs, home_seo, product_seo, store_seo
from shared_apps.categories.selectors import CategoryTree

HOME_STORES = 12
HOME_PRODUCTS = 8
STORE_PRODUCTS = 48


# ---- reads ----------------------------------------------------------------------------------------------------------


def nearby_stores(location: Location) -> list[NearbyBranch]:
    """The nearest branch of each store around the customer, nearest store first."""
    branches = stores_nearby(NearbyQuery(lat=location.lat, lng=location.lng, radius_km=DEFAULT_RADIUS_KM, limit=60))
    seen: set[str] = set()
    stores = []
    for nearby in branches:
        if nearby.store_key not in seen:
            seen.add(nearby.store_key)
            stores.append(nearby)
    return stores[:HOME_STORES]


def store_listings(page: StorePage, location: Location) -> tuple[list[dict[str, Any]], int]:
    """The store's items, each once, at the branch nearest the customer (any distance); `total` counts listings."""
    query = SearchQuery(
        store=page.key, lat=location.lat, lng=location.lng, radius_km=MAX_RADIUS_KM, sort=Sort.DISTANCE, limit=MAX_LIMIT
    )
    found = search_listings(query)
    if not found["total"]:  # farther than the largest radius: no distances, but still the store's products
        found = search_listings(SearchQuery(store=page.key, sort=Sort.POPULAR, limit=MAX_LIMIT))
    seen: set[int] = set()
    items = []
    for result in found["results"]:
        if result["variant_id"] not in seen:
            seen.add(result["variant_id"])
            items.append(result)
    return items[:STORE_PRODUCTS], found["total"]


# ---- contexts -------------------------------------------------------------------------------------------------------


def _one_per_product(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first listing of each product (the index has one per variant and branch)."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for result in results:
        key = (result["store"]["merchant"], result["product_id"])
        if key not in seen:
            seen.add(key)
            kept.append(result)
    return kept


def home_context(
    request: HttpRequest,
    location: Location,
    *,
    stores: list[NearbyBranch],
    popular: list[dict[str, Any]],
    categories: list[dict[str, Any]],
    merchants: list[Any],
) -> dict[str, Any]:
    """`popular`: search results, most popular first; `merchants`: every shop, shown when none is near."""
    return {
        "location": location,
        "areas": AREAS,
        "stores": [branch_view(n) for n in stores],
        "popular": [result_card(r) for r in _one_per_product(popular)[:HOME_PRODUCTS]],
        "merchants": merchants,
        "categories": [c for c in categories if c["count"]] or categories,
        "radius": DEFAULT_RADIUS_KM,
        "seo": home_seo(request),
    }


def store_context(
    request: HttpRequest, location: Location, page: StorePage, *, items: list[dict[str, Any]], total: int
) -> dict[str, Any]:
    """`items`, `total`: from store_listings."""
    return {
        "location": location,
        "store": page,
        "branches": [branch_view(n) for n in page.branches],
        "cards": [result_card(r) for r in items],
        "total": total,
        "search_url": href("/search", {"store": page.key}),
        "seo": store_seo(
            request,
            page,
            path=store_url(page.merchant_slug, page.store_slug),
            image=next((c["image_url"] for c in items if c["image_url"]), None),
        ),
    }


def product_context(request: HttpRequest, location: Location, page: ProductPage, tree: CategoryTree) -> dict[str, Any]:
    path = product_url(page.merchant_slug, page.product_id)
    crumbs = [("Home", "/"), *category_crumbs(tree, page.category_path[-1].slug if page.category_path else None)]
    price = price_range_label(page.low_price, page.high_price, page.currency)
    return {
        "location": location,
        "product": page,
        "crumbs": crumbs[1:],
        "price_label": price,
        "category_name": page.category_path[-1].name if page.category_path else "",
        "store_url": store_url(page.merchant_slug, page.store_slug),
        "variants": [
            {**v, "price_label": price_range_label(v["min_price"], v["max_price"], page.currency)}
            for v in page.variants
        ],
        "branches": offers_by_branch(page),
        "seo": product_seo(request, page, path=path, price=price, crumbs=crumbs),
    }
