"""Customer pages of the marketplace: home, search, category, store, product, the location picker and robots.txt.

Server-rendered for search engines and slow phones. The search page's filters swap the results in place with htmx
while the URL keeps every filter (the back button restores them). Every read goes through the discovery selectors
and `search_listings`, i.e. the public `Listing`/`BranchListing` indexes, never a merchant schema.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from pydantic import ValidationError

from marketplace.categories.selectors import CategoryTree, category_tree
from marketplace.discovery.errors import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM, DiscoveryError
from marketplace.discovery.errors import DiscoveryErrorCode as Code
from marketplace.discovery.location import (
    AREAS,
    Location,
    location_from_choice,
    location_from_request,
    location_remember,
)
from marketplace.discovery.schemas import NearbyQuery, SearchQuery, Sort
from marketplace.discovery.search import search_listings
from marketplace.discovery.selectors import (
    NearbyBranch,
    ProductPage,
    StorePage,
    categories_near,
    product_detail,
    store_detail,
    stores_nearby,
)
from tenant_apps.stores.hours import DAYS
from tenants.selectors import merchants_listed

SITE_NAME = "Planckly"
RANGE = "\u2013"  # en dash, between the ends of a price range or of a run of days
PAGE_SIZE = 24
HOME_STORES = 12
HOME_PRODUCTS = 8
STORE_PRODUCTS = 48
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
_DAY_SHORT = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
_DAY_SCHEMA = {"mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa", "sun": "Su"}


# ---- formatting -----------------------------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str = "PKR") -> str:
    """Decimal → "Rs 1,250" (paisa shown only when there are any: "Rs 99.50"). Never goes through float."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    symbol = "Rs" if currency == "PKR" else currency
    digits = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{symbol} {digits}"


def distance_label(km: float | None) -> str:
    if km is None:
        return ""
    if km < 1:
        return f"{max(10, round(km * 1000, -1)):.0f} m"
    return f"{km:.1f} km"


def _jsonld(data: Any) -> SafeString:
    """JSON for a <script type="application/ld+json">: nothing in it can close the script element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308


def product_url(merchant_slug: str, product_id: int) -> str:
    return reverse("discovery:product", args=[merchant_slug, product_id])


def store_url(merchant_slug: str, store_slug: str) -> str:
    return reverse("discovery:store", args=[merchant_slug, store_slug])


def category_url(slug: str) -> str:
    return reverse("discovery:category", args=[slug])


@dataclass(frozen=True)
class Seo:
    """What base.html puts in <head>: title, description, canonical, OpenGraph and JSON-LD."""

    title: str
    description: str
    canonical: str
    og_type: str = "website"
    image: str | None = None
    robots: str = ""
    jsonld: SafeString | None = None


def _seo(request: HttpRequest, *, title: str, description: str, path: str, **extra: Any) -> Seo:
    return Seo(
        title=f"{title} · {SITE_NAME}",
        description=description[:300],
        canonical=request.build_absolute_uri(path),
        **extra,
    )


def _breadcrumbs_jsonld(request: HttpRequest, crumbs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": request.build_absolute_uri(url)}
            for i, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def _category_crumbs(tree: CategoryTree, slug: str | None) -> list[tuple[str, str]]:
    node = tree.by_slug.get(slug) if slug else None
    return [(n.name, category_url(n.slug)) for n in tree.path(node)] if node else []


def _card(result: dict[str, Any]) -> dict[str, Any]:
    """A search result as a card shows it: links, money and distance already formatted."""
    store = result["store"]
    return {
        **result,
        "url": product_url(store["merchant"], result["product_id"]),
        "store_url": store_url(store["merchant"], store["slug"]),
        "price_label": money(result["price"], result["currency"]),
        "regular_price_label": money(result["regular_price"], result["currency"]) if result["has_offer"] else "",
        "distance_label": distance_label(result["distance_km"]),
    }


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    context = {"message": message, "location": location_from_request(request)}
    return render(request, "discovery/not_found.html", context, status=404)


def _validation_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
    return f"{label}: {error['msg'][:1].lower()}{error['msg'][1:]}."


def _error_message(exc: DiscoveryError) -> str:
    return PAGE_MESSAGES.get(exc.code, exc.message)


# ---- search parameters ----------------------------------------------------------------------------------------------


def _search_params(get: Any) -> dict[str, str]:
    """The request's search parameters that carry a value, in URL order (empty form fields are dropped)."""
    names = (*FILTERS, "page", "lat", "lng")
    return {name: value for name in names if (value := get.get(name, "").strip())}


def _url_params(params: dict[str, str], *, drop: tuple[str, ...] = (), **changes: str | None) -> dict[str, str]:
    """`params` with `changes` applied, without defaults or empty values: the shortest URL for the same search."""
    merged = {**params, **changes}
    return {
        key: value
        for key, value in merged.items()
        if value not in (None, "") and key not in drop and DEFAULTS.get(key) != value
    }


def _href(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


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
        return None, None, _error_message(exc), exc.status


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
            {"number": number, "href": _href(path, _url_params(params, page=str(number))), "current": number == page}
        )

    def step(number: int) -> str | None:
        return _href(path, _url_params(params, page=str(number))) if 1 <= number <= count else None

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
        href = _href("/search", _url_params(params, drop=("page",), price_min=str(low), price_max=price_max))
        options.append({"label": label, "count": bucket["count"], "href": href, "chosen": chosen})
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


def _serp_context(request: HttpRequest, location: Location, params: dict[str, str]) -> tuple[dict[str, Any], int]:
    """Everything the search page shows for `params`, and the HTTP status (400 for a search that cannot run)."""
    tree = category_tree()
    context: dict[str, Any] = {
        "location": location,
        "form": params,
        "sort_options": [(sort.value, label) for sort, label in SORT_LABELS.items()],
        "radius_options": _radius_options(params.get("radius_km", str(DEFAULT_RADIUS_KM))),
        "radius": params.get("radius_km", str(DEFAULT_RADIUS_KM)),
        "heading": _search_heading(params, tree),
        "page_url": _href("/search", _url_params(params)),
        "clear_url": _href("/search", _url_params(params, drop=tuple(k for k in FILTERS if k not in ("q", "sort")))),
        "has_filters": any(k in params for k in FILTERS if k not in ("q", "sort", "radius_km")),
        "store_filter": params.get("store"),
    }
    query, found, context["error"], status = _run_search(params, location)
    if found is not None:
        cards = [_card(r) for r in found["results"]]
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


def _search_seo(request: HttpRequest, params: dict[str, str], context: dict[str, Any], tree: CategoryTree) -> Seo:
    canonical = _href("/search", _url_params(params, drop=("lat", "lng", "radius_km")))
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
    return _seo(
        request,
        title=title,
        description=description,
        path=canonical,
        image=image,
        robots="noindex,follow" if filtered or context.get("error") else "",
    )


def _is_fragment_request(request: HttpRequest) -> bool:
    """htmx swapping the results: the fragment. A history restore (back button after the cache lost the page) and
    every ordinary request: the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


# ---- pages ----------------------------------------------------------------------------------------------------------


def _nearby_stores(location: Location) -> list[NearbyBranch]:
    """The nearest branch of each store around the customer, nearest store first."""
    branches = stores_nearby(NearbyQuery(lat=location.lat, lng=location.lng, radius_km=DEFAULT_RADIUS_KM, limit=60))
    seen: set[str] = set()
    stores = []
    for nearby in branches:
        if nearby.store_key not in seen:
            seen.add(nearby.store_key)
            stores.append(nearby)
    return stores[:HOME_STORES]


def _opening_label(nearby: NearbyBranch) -> str:
    if nearby.open_now:  # a period ending at 24:00 runs into the next day's: no closing time worth showing
        closes = nearby.closes_at if nearby.closes_at and nearby.closes_at != "24:00" else None
        return f"Open now · until {closes}" if closes else "Open now"
    return f"Closed · opens {nearby.opens_at}" if nearby.opens_at else "Closed"


def _branch_view(nearby: NearbyBranch) -> dict[str, Any]:
    branch = nearby.branch
    return {
        "nearby": nearby,
        "opening_label": _opening_label(nearby),
        "branch": branch,
        "url": store_url(branch.merchant_slug, branch.store_slug),
        "distance_label": distance_label(nearby.distance_km),
        "hours": _hours_runs(branch.opening_hours),
        "delivery_fee": money(branch.delivery_fee, branch.currency) if branch.delivery_fee else "Free delivery",
        "delivery_min_order": money(branch.delivery_min_order, branch.currency) if branch.delivery_min_order else "",
    }


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


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Shops, popular products and categories around the customer, and where they are."""
    location = location_from_request(request)
    stores = [_branch_view(n) for n in _nearby_stores(location)]
    popular = search_listings(SearchQuery(lat=location.lat, lng=location.lng, sort=Sort.POPULAR, limit=MAX_LIMIT))
    categories = categories_near(lat=location.lat, lng=location.lng, radius_km=DEFAULT_RADIUS_KM)
    context = {
        "location": location,
        "areas": AREAS,
        "stores": stores,
        "popular": [_card(r) for r in _one_per_product(popular["results"])[:HOME_PRODUCTS]],
        # Nothing around the customer yet: show every shop on the platform rather than an empty page.
        "merchants": [] if stores else list(merchants_listed()[:48]),
        "categories": [c for c in categories if c["count"]] or categories,
        "radius": DEFAULT_RADIUS_KM,
        "seo": _seo(
            request,
            title="Shops around you, delivered or ready for pickup",
            description="Order from the shops in your neighborhood in Lahore: groceries, pharmacy, bakery and "
            "electronics, delivered or ready for pickup.",
            path="/",
        ),
    }
    return render(request, "discovery/home.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """/search?q=&category=&price_min=&price_max=&in_stock=&delivery=&has_offer=&sort=&page= (and lat/lng, radius_km,
    store). htmx requests get the results fragment; the pushed URL is the shortest one for the same search."""
    location = location_from_request(request)
    params = _search_params(request.GET)
    context, status = _serp_context(request, location, params)
    context["fragment"] = _is_fragment_request(request)
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
    params = {**_search_params(request.GET), "category": slug}
    path = category_url(slug)
    context: dict[str, Any] = {"location": location, "node": node, "radius": params.get("radius_km", DEFAULT_RADIUS_KM)}
    query, found, context["error"], status = _run_search(params, location)
    counts = {entry["slug"]: entry["count"] for entry in found["facets"]["categories"]} if found else {}
    crumbs = _category_crumbs(tree, slug)
    page_params = _url_params(params, drop=("category",))
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
        cards=[_card(r) for r in found["results"]] if found else [],
        pages=_pages(found["total"], found["page"], query.limit, path, page_params) if found else None,
        search_url=_href("/search", {"category": slug}),
    )
    page = found["page"] if found else 1
    context["seo"] = _seo(
        request,
        title=f"{node.name}{f' — page {page}' if page > 1 else ''}",
        description=f"{node.name} from the shops near you in Lahore: compare prices, stock and delivery.",
        path=_href(path, {"page": str(page)} if page > 1 else {}),
        image=next((c["image_url"] for c in context["cards"] if c["image_url"]), None),
        jsonld=_jsonld(_breadcrumbs_jsonld(request, [("Home", "/"), *crumbs])),
        robots="noindex,follow" if set(page_params) - {"page"} or status != 200 else "",
    )
    return render(request, "discovery/category.html", context, status=status)


def _store_listings(page: StorePage, location: Location) -> tuple[list[dict[str, Any]], int]:
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


def _hours_runs(hours: dict) -> list[dict[str, Any]]:
    """Weekly hours as runs of consecutive days with the same periods:
    [{"first": "mon", "last": "thu", "periods": [["09:00", "23:00"]], "label": "Mon-Thu"}, ...]."""
    runs: list[dict[str, Any]] = []
    previous = None
    for day in DAYS:
        periods = hours.get(day) or []
        if periods and runs and runs[-1]["periods"] == periods and runs[-1]["last"] == previous:
            runs[-1]["last"] = day
        elif periods:
            runs.append({"first": day, "last": day, "periods": periods})
        previous = day
    for run in runs:
        first, last = run["first"], run["last"]
        run["label"] = _DAY_SHORT[first] if first == last else f"{_DAY_SHORT[first]}{RANGE}{_DAY_SHORT[last]}"
        run["schema"] = _DAY_SCHEMA[first] if first == last else f"{_DAY_SCHEMA[first]}-{_DAY_SCHEMA[last]}"
        all_day = run["periods"] == [["00:00", "24:00"]]
        run["text"] = "open 24 hours" if all_day else ", ".join(f"{a}{RANGE}{b}" for a, b in run["periods"])
    return runs


def _opening_hours_schema(hours: dict) -> list[str]:
    """schema.org openingHours: ["Mo-Th 09:00-23:00", "Fr 09:00-12:45", "Fr 14:30-23:00", "Sa-Su 09:00-23:00"]."""
    return [f"{run['schema']} {start}-{end}" for run in _hours_runs(hours) for start, end in run["periods"]]


def _store_jsonld(request: HttpRequest, page: StorePage, canonical: str) -> list[dict[str, Any]]:
    stores = []
    for nearby in page.branches:
        branch = nearby.branch
        entry: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Store",
            "@id": f"{canonical}#branch-{branch.branch_id}",
            "name": page.name if len(page.branches) == 1 else f"{page.name} — {branch.branch_name}",
            "url": canonical,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": branch.address,
                "addressLocality": branch.city or "Lahore",
                "addressCountry": "PK",
            },
            "geo": {"@type": "GeoCoordinates", "latitude": branch.latitude, "longitude": branch.longitude},
            "openingHours": _opening_hours_schema(branch.opening_hours),
            "currenciesAccepted": branch.currency,
        }
        if page.description:
            entry["description"] = page.description
        if branch.phone:
            entry["telephone"] = branch.phone
        stores.append(entry)
    return stores


@require_GET
def store(request: HttpRequest, merchant_slug: str, store_slug: str) -> HttpResponse:
    """A store: its branches (nearest first, open now, delivery terms) and its products."""
    location = location_from_request(request)
    try:
        page = store_detail(merchant_slug=merchant_slug, store_slug=store_slug, lat=location.lat, lng=location.lng)
    except DiscoveryError as exc:
        return _not_found(request, exc.message)
    items, total = _store_listings(page, location)
    path = store_url(merchant_slug, store_slug)
    canonical = request.build_absolute_uri(path)
    areas = ", ".join(sorted({n.branch.area for n in page.branches if n.branch.area}))
    description = page.description or f"{page.name} on {SITE_NAME}"
    context = {
        "location": location,
        "store": page,
        "branches": [_branch_view(n) for n in page.branches],
        "cards": [_card(r) for r in items],
        "total": total,
        "search_url": _href("/search", {"store": page.key}),
        "seo": _seo(
            request,
            title=f"{page.name} in {areas}" if areas else page.name,
            description=f"{description} Order online in Lahore: {len(page.branches)} branch"
            f"{'es' if len(page.branches) != 1 else ''}, delivery or pickup.",
            path=path,
            og_type="business.business",
            image=next((c["image_url"] for c in items if c["image_url"]), None),
            jsonld=_jsonld(_store_jsonld(request, page, canonical)),
        ),
    }
    return render(request, "discovery/store.html", context)


def _offers_by_branch(page: ProductPage) -> list[dict[str, Any]]:
    """The product's offers grouped per branch, nearest branch first (the selector's order)."""
    branches: dict[int, dict[str, Any]] = {}
    for offer in page.offers:
        row = offer.listing
        entry = branches.setdefault(
            row.branch_id,
            {
                "branch_name": row.branch_name,
                "distance_label": distance_label(offer.distance_km),
                "pickup": row.offers_pickup,
                "delivery": row.offers_delivery,
                "delivers_here": offer.delivers_here,
                "in_stock": False,
                "items": [],
            },
        )
        entry["in_stock"] = entry["in_stock"] or row.in_stock
        entry["items"].append(
            {
                "variant_name": row.variant_name,
                "price_label": money(row.price, row.currency),
                "regular_price_label": money(row.regular_price, row.currency) if row.has_offer else "",
                "in_stock": row.in_stock,
                "available": row.available,
            }
        )
    return list(branches.values())


def _product_jsonld(request: HttpRequest, page: ProductPage, canonical: str, crumbs: list) -> list[dict[str, Any]]:
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": page.title,
        "url": canonical,
        "sku": page.variants[0]["sku"] if page.variants else "",
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": str(page.low_price),
            "highPrice": str(page.high_price),
            "priceCurrency": page.currency,
            "offerCount": len(page.offers),
            "availability": "https://schema.org/InStock" if page.in_stock else "https://schema.org/OutOfStock",
            "seller": {
                "@type": "Organization",
                "name": page.store_name,
                "url": request.build_absolute_uri(store_url(page.merchant_slug, page.store_slug)),
            },
        },
    }
    if page.description:
        product["description"] = page.description
    if page.image_url:
        product["image"] = [page.image_url]
    if page.category_path:
        product["category"] = " > ".join(node.name for node in page.category_path)
    return [product, _breadcrumbs_jsonld(request, crumbs)]


@require_GET
def product(request: HttpRequest, merchant_slug: str, product_id: int) -> HttpResponse:
    """A product: its variants and prices, and where to get it near the customer (stock, distance, delivery)."""
    location = location_from_request(request)
    try:
        page = product_detail(merchant_slug=merchant_slug, product_id=product_id, lat=location.lat, lng=location.lng)
    except DiscoveryError as exc:
        return _not_found(request, exc.message)
    tree = category_tree()
    path = product_url(merchant_slug, product_id)
    canonical = request.build_absolute_uri(path)
    crumbs = [("Home", "/"), *_category_crumbs(tree, page.category_path[-1].slug if page.category_path else None)]
    price = money(page.low_price, page.currency)
    if page.high_price != page.low_price:
        price = f"{price} {RANGE} {money(page.high_price, page.currency)}"
    context = {
        "location": location,
        "product": page,
        "crumbs": crumbs[1:],
        "price_label": price,
        "category_name": page.category_path[-1].name if page.category_path else "",
        "store_url": store_url(merchant_slug, page.store_slug),
        "variants": [
            {
                **v,
                "price_label": money(v["min_price"], page.currency)
                + (f" {RANGE} {money(v['max_price'], page.currency)}" if v["max_price"] != v["min_price"] else ""),
            }
            for v in page.variants
        ],
        "branches": _offers_by_branch(page),
        "seo": _seo(
            request,
            title=f"{page.title} — {price} at {page.store_name}",
            description=(page.description or f"{page.title} from {page.store_name}.")
            + f" {price}. Pickup or delivery in Lahore.",
            path=path,
            og_type="product",
            image=page.image_url,
            jsonld=_jsonld(_product_jsonld(request, page, canonical, [*crumbs, (page.title, path)])),
        ),
    }
    return render(request, "discovery/product.html", context)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


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
    context["seo"] = _seo(
        request,
        title="Where are you?",
        description="Set your area to see the shops around you.",
        path="/location/",
        robots="noindex,follow",
    )
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
