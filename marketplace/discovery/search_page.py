"""The search page (and the category page, a search with its category fixed): the URL's parameters, the search
they run, and everything the page shows for them: cards, pages, filter options, heading, <head>.

A search URL carries only what differs from the defaults, in one order, so the same search has one URL: the one
htmx pushes, the canonical, every filter and page link.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from pydantic import ValidationError

from kernel.money import money
from marketplace.discovery.errors import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, DiscoveryError
from marketplace.discovery.errors import DiscoveryErrorCode as Code
from marketplace.discovery.formatting import RANGE, result_card
from marketplace.discovery.location import Location
from marketplace.discovery.page_urls import category_url, href
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search import first_position, search_listings
from marketplace.discovery.seo import Seo, category_crumbs, category_seo, page_seo
from shared_apps.behaviour.products import search_context
from shared_apps.categories.selectors import CategoryNode, CategoryTree, category_tree

PAGE_SIZE = 24
# The filters a search URL may carry (besides lat/lng and page); the order is the order they appear in URLs.
FILTERS = ("q", "category", "price_min", "price_max", "in_stock", "delivery", "has_offer", "store", "sort", "radius_km")
DEFAULTS = {"sort": Sort.RELEVANCE.value, "radius_km": str(DEFAULT_RADIUS_KM), "page": "1"}
SORT_LABELS = {
    Sort.RELEVANCE: "Best match",
    Sort.DISTANCE: "Nearest first",
    Sort.PRICE_ASC: "Price: low to high",
    Sort.PRICE_DESC: "Price: high to low",
    Sort.POPULAR: "Popular",
    Sort.NEWEST: "Newest",
}
RADIUS_CHOICES = (2, 5, 10, 25)
FIELD_LABELS = {
    "q": "Search words",
    "category": "Category",
    "price_min": "Minimum price",
    "price_max": "Maximum price",
    "in_stock": "In stock",
    "delivery": "Delivery",
    "has_offer": "On offer",
    "store": "Store",
    "sort": "Sort",
    "radius_km": "Distance",
    "page": "Page",
    "lat": "Latitude",
    "lng": "Longitude",
}
# The API's messages name parameters; a page speaks to the customer.
PAGE_MESSAGES = {
    Code.PRICE_RANGE_INVALID: "The minimum price is above the maximum price.",
    Code.CATEGORY_UNKNOWN: "There is no such category.",
    Code.RADIUS_INVALID: f"Pick a distance of at most {MAX_RADIUS_KM} km.",
    Code.LOCATION_INCOMPLETE: "The location needs both a latitude and a longitude.",
    Code.LOCATION_INVALID: "That location is not on the map.",
    Code.STORE_INVALID: "That store link is not valid.",
}


# ---- parameters and the search they run -----------------------------------------------------------------------------


def search_params(get: Any) -> dict[str, str]:
    """The request's search parameters that carry a value, in URL order (empty form fields are dropped)."""
    names = (*FILTERS, "page", "lat", "lng")
    return {name: value for name in names if (value := get.get(name, "").strip())}


def url_params(params: dict[str, str], *, drop: tuple[str, ...] = (), **changes: str | None) -> dict[str, str]:
    """`params` with `changes` applied, without defaults or empty values: the shortest URL for the same search."""
    merged = {**params, **changes}
    return {
        key: value
        for key, value in merged.items()
        if value not in (None, "") and key not in drop and DEFAULTS.get(key) != value
    }


def is_fragment_request(request: HttpRequest) -> bool:
    """htmx swapping the results: the fragment. A history restore (back button after the cache lost the page) and
    every ordinary request: the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _search_query(params: dict[str, str], location: Location, *, limit: int = PAGE_SIZE) -> SearchQuery:
    """The SearchQuery for a page: lat/lng from the URL when it carries either (both are validated), else the
    customer's location. Raises pydantic's ValidationError or DiscoveryError (from the search itself)."""
    data: dict[str, Any] = {key: value for key, value in params.items() if key not in ("lat", "lng")}
    if "lat" in params or "lng" in params:
        data.update(lat=params.get("lat"), lng=params.get("lng"))
    else:
        data.update(lat=location.lat, lng=location.lng)
    data["limit"] = limit
    return SearchQuery.model_validate(data)


def _validation_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
    return f"{label}: {error['msg'][:1].lower()}{error['msg'][1:]}."


def _run_search(
    params: dict[str, str], location: Location
) -> tuple[SearchQuery | None, dict[str, Any] | None, str | None, int]:
    """(query, answer, None, 200), or (None, None, the customer's message, 400/404) for a search that cannot run."""
    try:
        query = _search_query(params, location)
        return query, search_listings(query), None, 200
    except ValidationError as exc:
        return None, None, _validation_message(exc), 400
    except DiscoveryError as exc:
        return None, None, PAGE_MESSAGES.get(exc.code, exc.message), exc.status


# ---- what the page shows --------------------------------------------------------------------------------------------


def _cards(found: dict[str, Any], query: SearchQuery) -> tuple[list[dict[str, Any]], str]:
    """The results as cards, each with its place in the whole list and a link that tells the product page which
    search and place the shopper came from (recorded there as the search's click); and the search's name
    (`search_context`), which the page's impressions carry too."""
    context = search_context(q=query.q, category=query.category)
    cards = []
    for position, result in enumerate(found["results"], start=first_position(found)):
        card = result_card(result)
        followed = {"pos": str(position), "ctx": context} if context else {"pos": str(position)}
        cards.append({**card, "position": position, "url": href(card["url"], followed)})
    return cards, context


def _pages(total: int, page: int, limit: int, path: str, params: dict[str, str]) -> dict[str, Any] | None:
    """Page links around the current page: first, last, two either side, gaps as None."""
    count = min(math.ceil(total / limit), 1000) if total else 0
    if count <= 1:
        return None
    numbers = sorted({1, count, *range(max(1, page - 2), min(count, page + 2) + 1)})
    links: list[dict[str, Any] | None] = []
    for i, number in enumerate(numbers):
        if i and number - numbers[i - 1] > 1:
            links.append(None)
        links.append(
            {"number": number, "href": href(path, url_params(params, page=str(number))), "current": number == page}
        )

    def step(number: int) -> str | None:
        return href(path, url_params(params, page=str(number))) if 1 <= number <= count else None

    return {"links": links, "previous": step(page - 1), "next": step(page + 1), "count": count}


def _category_options(tree: CategoryTree, facet: list[dict[str, Any]], selected: str | None) -> list[dict[str, Any]]:
    """Radio options for the category filter: every top-level category with hits; once one is chosen, its path
    (so the customer can step back up) and its sub-categories with hits."""
    counts = {entry["slug"]: entry["count"] for entry in facet}
    node = tree.by_slug.get(selected) if selected else None
    if node is None:
        return [
            {"slug": root.slug, "name": root.name, "count": counts[root.slug], "depth": 0, "checked": False}
            for root in tree.roots
            if root.slug in counts
        ]
    path = tree.path(node)
    options = [
        {"slug": n.slug, "name": n.name, "count": counts.get(n.slug, 0), "depth": depth, "checked": n is node}
        for depth, n in enumerate(path)
    ]
    for child_id in node.children:
        child = tree.by_id[child_id]
        if child.slug in counts:
            options.append(
                {
                    "slug": child.slug,
                    "name": child.name,
                    "count": counts[child.slug],
                    "depth": len(path),
                    "checked": False,
                }
            )
    return options


def _price_options(facet: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    """Price buckets as links that set the range (the bucket's upper edge is exclusive: max is 0.01 below it)."""
    options = []
    for bucket in facet:
        low, high = bucket["min"], bucket["max"]
        if high is None:
            label = f"{money(low)} and above"
        elif not low:
            label = f"Under {money(high)}"
        else:
            label = f"{money(low)} {RANGE} {money(high - Decimal('0.01'))}"
        price_max = str(high - Decimal("0.01")) if high is not None else None
        chosen = params.get("price_min") == str(low) and params.get("price_max") == price_max
        link = href("/search", url_params(params, drop=("page",), price_min=str(low), price_max=price_max))
        options.append({"label": label, "count": bucket["count"], "href": link, "chosen": chosen})
    return options


def _radius_options(current: str) -> list[str]:
    """The distance choices, and the URL's own value among them when it is another (so a change keeps it)."""
    options = [str(r) for r in RADIUS_CHOICES]
    return options if current in options else [*options, current]


def _store_name(key: str | None, facet: list[dict[str, Any]]) -> str | None:
    """The store filter's name from the store facet ("merchant" alone names the merchant's first store)."""
    if not key:
        return None
    return next((s["name"] for s in facet if key in (s["key"], s["merchant"])), key)


def _search_heading(params: dict[str, str], tree: CategoryTree) -> str:
    category = tree.by_slug.get(params.get("category", ""))
    q = params.get("q", "")
    if q and category:
        return f"“{q}” in {category.name}"
    if q:
        return f"Results for “{q}”"
    if category:
        return category.name
    return "Products near you"


def _corrected_query(q: str, corrections: dict[str, str]) -> str:
    return " ".join(corrections.get(word.lower(), word) for word in q.split())


def _search_seo(request: HttpRequest, params: dict[str, str], context: dict[str, Any], tree: CategoryTree) -> Seo:
    canonical = href("/search", url_params(params, drop=("lat", "lng", "radius_km")))
    title = context["heading"]
    page = params.get("page", "1")
    if page != "1":
        title = f"{title} — page {page}"
    q, category = params.get("q"), tree.by_slug.get(params.get("category", ""))
    parts = (f"matching “{q}”" if q else "", f"in {category.name}" if category else "")
    what = " ".join(part for part in parts if part)
    description = (
        f"{context['total']} products {what} from the shops near you in Lahore: compare prices, stock, delivery "
        "and pickup."
        if what
        else "Search groceries, medicines, bakery and electronics from the shops around you in Lahore."
    )
    # Only the plain searches (words, category, page) are worth indexing; filtered variations are not.
    filtered = any(key in params for key in FILTERS if key not in ("q", "category", "radius_km"))
    image = next((card["image_url"] for card in context["cards"] if card["image_url"]), None)
    return page_seo(
        request,
        title=title,
        description=description,
        path=canonical,
        image=image,
        robots="noindex,follow" if filtered or context.get("error") else "",
    )


def serp_context(request: HttpRequest, location: Location, params: dict[str, str]) -> tuple[dict[str, Any], int]:
    """Everything the search page shows for `params`, and the HTTP status (400 for a search that cannot run)."""
    tree = category_tree()
    context: dict[str, Any] = {
        "location": location,
        "form": params,
        "sort_options": [(sort.value, label) for sort, label in SORT_LABELS.items()],
        "radius_options": _radius_options(params.get("radius_km", str(DEFAULT_RADIUS_KM))),
        "radius": params.get("radius_km", str(DEFAULT_RADIUS_KM)),
        "heading": _search_heading(params, tree),
        "page_url": href("/search", url_params(params)),
        "clear_url": href("/search", url_params(params, drop=tuple(k for k in FILTERS if k not in ("q", "sort")))),
        "has_filters": any(k in params for k in FILTERS if k not in ("q", "sort", "radius_km")),
        "store_filter": params.get("store"),
    }
    query, found, context["error"], status = _run_search(params, location)
    if found is not None:
        cards, context["search_context"] = _cards(found, query)
        context.update(
            total=found["total"],
            cards=cards,
            pages=_pages(found["total"], found["page"], query.limit, "/search", params),
            corrections=found["corrections"],
            corrected_q=_corrected_query(query.q, found["corrections"]) if found["corrections"] else "",
            category_options=_category_options(tree, found["facets"]["categories"], query.category),
            price_options=_price_options(found["facets"]["price"], params),
            in_stock_count=found["facets"]["in_stock"],
            store_name=_store_name(query.store, found["facets"]["stores"]),
        )
    else:
        context.update(total=0, cards=[], category_options=_category_options(tree, [], params.get("category")))
    context["seo"] = _search_seo(request, params, context, tree)
    return context, status


def category_context(
    request: HttpRequest, location: Location, tree: CategoryTree, node: CategoryNode, params: dict[str, str]
) -> tuple[dict[str, Any], int]:
    """The category page for the search `params` (its category already set to `node`): breadcrumbs, sub-categories
    with counts near the customer, its listings and pages; and the HTTP status (400 for a search that cannot run)."""
    path = category_url(node.slug)
    context: dict[str, Any] = {"location": location, "node": node, "radius": params.get("radius_km", DEFAULT_RADIUS_KM)}
    query, found, context["error"], status = _run_search(params, location)
    counts = {entry["slug"]: entry["count"] for entry in found["facets"]["categories"]} if found else {}
    cards, context["search_context"] = _cards(found, query) if found else ([], "")
    crumbs = category_crumbs(tree, node.slug)
    page_params = url_params(params, drop=("category",))
    context.update(
        crumbs=crumbs,
        children=[
            {
                "slug": c.slug,
                "name": c.name,
                "icon": c.icon,
                "url": category_url(c.slug),
                "count": counts.get(c.slug, 0),
            }
            for c in (tree.by_id[i] for i in node.children)
        ],
        total=found["total"] if found else 0,
        cards=cards,
        pages=_pages(found["total"], found["page"], query.limit, path, page_params) if found else None,
        search_url=href("/search", {"category": node.slug}),
    )
    context["seo"] = category_seo(
        request,
        node=node,
        page=found["page"] if found else 1,
        path=path,
        crumbs=crumbs,
        image=next((c["image_url"] for c in context["cards"] if c["image_url"]), None),
        # Like the search: only the plain pages are worth indexing, not the filtered variations or errors.
        indexable=not (set(page_params) - {"page"} or status != 200),
    )
    return context, status
