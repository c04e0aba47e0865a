"""The SQL both search paths share: the filters, the score's parts, the sort orders, the page's JSON, and what
their statements return (`SearchRows`).

A search runs either over the listing rows (`search.py`) or per branch (`search_browse.py`: no text, or one frequent
word). Both build their conditions here, so a filter means the same on either path.
Branch-level conditions are written over columns that `Listing` and `BranchSummary` share (coordinates, H3 cells,
delivery terms, slugs), so the same SQL filters listing rows or branch rows under the alias `l`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketplace.discovery import geo
from marketplace.discovery.errors import DiscoveryError, DiscoveryErrorCode
from marketplace.discovery.schemas import SearchQuery, Sort
from shared_apps.categories.selectors import CategoryTree

# Price histogram buckets (PKR): [0, 100), [100, 250), ... [50000, ∞). The summaries count listings per bucket
# (SQL function listings_price_bucket, migration listings 0005): change both together.
PRICE_EDGES = (0, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)
STORE_FACET_SIZE = 20
DECAY_KM = 2.0  # a listing 2 km away scores half of one next door
OUT_OF_STOCK_FACTOR = 0.25

_ORDER = {
    Sort.RELEVANCE: "{score} DESC, {p}id",
    Sort.DISTANCE: "{p}distance_km, {p}id",
    Sort.PRICE_ASC: "{p}price, {p}id",
    Sort.PRICE_DESC: "{p}price DESC, {p}id",
    Sort.NEWEST: "{p}listed_at DESC NULLS LAST, {p}id DESC",
    Sort.POPULAR: "{p}popularity DESC, {score} DESC, {p}id",
}
_AVAILABILITY = f"CASE WHEN {{p}}in_stock THEN 1.0 ELSE {OUT_OF_STOCK_FACTOR} END"
_BOOST = "(1.0 + 0.1 * ln(1.0 + greatest({p}popularity, 0)))"
_DECAY = f"(1.0 / (1.0 + {{p}}distance_km / {DECAY_KM}))"


def ranking(prefix: str, *, located: bool) -> dict[str, str]:
    """The score's parts over `prefix` columns (the hits before the page is cut, the page after)."""
    decay = _DECAY.format(p=prefix) if located else "1.0"
    availability = _AVAILABILITY.format(p=prefix)
    boost = _BOOST.format(p=prefix)
    score = f"({prefix}text_score * {decay} * {availability} * {boost})"
    return {"decay": decay, "availability": availability, "boost": boost, "score": score}


def ranks_text(query: SearchQuery) -> bool:
    """Is the text rank computed? Only where the order (relevance, popular) or the answer (explain) shows it."""
    return query.sort in (Sort.RELEVANCE, Sort.POPULAR) or query.explain


def order(sort: Sort, prefix: str, *, located: bool) -> str:
    return _ORDER[sort].format(p=prefix, score=ranking(prefix, located=located)["score"])


# The page: `{page}` is a relation of the page's ids with distance_km, text_score and the score's parts (see
# `page_cte`); the wide columns are read for those rows only.
PAGE_JSON = """(SELECT coalesce(json_agg(json_build_object(
        'id', l.id, 'product_id', l.product_id, 'variant_id', l.variant_id, 'merchant', l.merchant_slug,
        'merchant_id', l.merchant_id, 'store_id', l.store_id, 'store_slug', l.store_slug, 'store_name', l.store_name,
        'branch_id', l.branch_id, 'branch_name', l.branch_name, 'title', l.title, 'variant_name', l.variant_name,
        'category_id', l.category_id,
        'price', l.price::text, 'regular_price', l.regular_price::text, 'currency', l.currency,
        'has_offer', l.has_offer, 'in_stock', l.in_stock, 'available', l.available,
        'image_public_id', l.image_public_id, 'offers_pickup', l.offers_pickup,
        'offers_delivery', l.offers_delivery, 'delivery_radius_km', l.delivery_radius_km::float8,
        'distance_km', p.distance_km, 'listed_at', l.listed_at, 'popularity', l.popularity,
        'text', p.text_score, 'decay', p.decay, 'availability', p.availability, 'boost', p.boost, 'score', p.score
     ) ORDER BY {order_page}), '[]'::json)
     FROM page p JOIN public.listings_listing l ON l.id = p.id)"""


def page_cte(sort: Sort, *, located: bool) -> str:
    """`page AS (...)`: the page's rows cut from `hits` (id, price, in_stock, popularity, listed_at, distance_km,
    text_score), with the score's parts."""
    parts = ranking("p.", located=located)
    return (
        f"page AS (SELECT p.*, {parts['decay']} AS decay, {parts['availability']} AS availability, "
        f"{parts['boost']} AS boost, {parts['score']} AS score FROM (SELECT * FROM hits h "
        f"ORDER BY {order(sort, 'h.', located=located)} LIMIT %(limit)s OFFSET %(offset)s) p)"
    )


def page_json(sort: Sort, *, located: bool) -> str:
    return PAGE_JSON.format(order_page=order(sort, "p.", located=located))


@dataclass(frozen=True)
class Filters:
    """A search's conditions, by what they constrain. `branch`: where the listing is and how its branch serves
    (alias `l` over Listing or BranchSummary); `row`: the listing itself, over `{p}` (any relation of listing
    rows: `row_sql`); `summable`: False when a price bound is not one of the histogram's edges (the per-branch
    counts cannot say how many listings pass it). `distance` is the SQL of the distance in km (NULL without a
    location); `near`: the conditions on it, over `{d}` (the distance) and `{p}` (the relation holding
    delivery_radius_km), so the row statement can compute the distance once per row and test it after the index
    prefilter."""

    located: bool
    distance: str
    branch: list[str]
    near: list[str]
    row: list[str]
    summable: bool
    params: dict[str, Any]


@dataclass(frozen=True)
class SearchRows:
    """What a search's statements return, on either path (the row statement's columns, or search_browse's sums):
    the facets as counted, before they are named and rolled up."""

    total: int
    in_stock: int
    page: list[dict[str, Any]]  # the page's rows (PAGE_JSON's objects), in order
    categories: list[list[int | None]]  # [category id or None, listings], in no order
    prices: list[list[int]]  # [price bucket, listings], by bucket
    stores_total: int
    stores: list[list[Any]]  # [listings, merchant slug, store slug, store name]: the top STORE_FACET_SIZE


def store_filter(store: str) -> tuple[str, str | None]:
    """'merchant' or 'merchant/store' → (merchant slug, store slug or None)."""
    merchant, _, store_slug = store.strip().partition("/")
    if not merchant or "/" in store_slug or (store.count("/") == 1 and not store_slug):
        raise DiscoveryError(DiscoveryErrorCode.STORE_INVALID, field="store")
    return merchant, store_slug or None


def edge_index(value: Decimal | None) -> int | None:
    """The histogram edge a price bound falls on (its index), None if it is between edges."""
    for i, edge in enumerate(PRICE_EDGES):
        if value == edge:
            return i
    return None


def filters_build(query: SearchQuery, tree: CategoryTree, *, prefilter: bool = True) -> Filters:
    """Every condition of `query` but its words (DiscoveryError for an unknown category or a bad store).
    `prefilter=False` leaves out the H3 cells of the circle (another index finds the rows near the customer); the
    exact distance is still tested."""
    located = query.lat is not None
    branch: list[str] = []
    near: list[str] = []
    row: list[str] = []  # over `{p}` like near: the row statement may test them after another index found the rows
    params: dict[str, Any] = {}
    if located:
        params.update(lat=query.lat, lng=query.lng, radius=query.radius_km)
        if prefilter:
            cells, cells_params = geo.prefilter_sql("l", query.lat, query.lng, query.radius_km)
            params.update(cells_params)
            branch.append(cells)
        near.append("{d} <= %(radius)s")
    if query.delivery == "pickup":
        branch.append("l.offers_pickup")
    elif query.delivery == "delivery":
        branch.append("l.offers_delivery")
        if located:  # the customer must be inside the branch's delivery radius
            near.append("{d} <= {p}delivery_radius_km::float8")
    if query.store:
        params["store_merchant"], store_slug = store_filter(query.store)
        branch.append("l.merchant_slug = %(store_merchant)s")
        if store_slug:
            params["store_slug"] = store_slug
            branch.append("l.store_slug = %(store_slug)s")

    if query.category:
        node = tree.by_slug.get(query.category)
        if node is None:
            raise DiscoveryError(DiscoveryErrorCode.CATEGORY_UNKNOWN, field="category")
        params["category_ids"] = tree.descendant_ids(node)
        row.append("{p}category_id = ANY(%(category_ids)s::bigint[])")
    if query.price_min is not None:
        params["price_min"] = query.price_min
        row.append("{p}price >= %(price_min)s")
    if query.price_max is not None:
        params["price_max"] = query.price_max
        row.append("{p}price <= %(price_max)s")
    for column in ("in_stock", "has_offer"):
        value = getattr(query, column)
        if value is not None:
            row.append(f"{{p}}{column}" if value else f"NOT {{p}}{column}")
    bounds = (query.price_min, query.price_max)
    return Filters(
        located=located,
        distance=geo.haversine_sql("l") if located else "NULL::float8",
        branch=branch,
        near=near,
        row=row,
        summable=all(bound is None or edge_index(bound) is not None for bound in bounds),
        params=params,
    )


# The expression of the per-cell word index (Listing's listing_search_geo): spelled exactly so, the planner uses it.
GEO_TERMS = "listings_geo_terms(l.search, l.h3_r6)"


def geo_condition(queries: list[str], *, name: str) -> tuple[str, dict[str, str]]:
    """`queries` (TextQuery.geo_queries) as ORed conditions on the per-cell word index, with their params."""
    params = {f"{name}_{i}": q for i, q in enumerate(queries)}
    return "(" + " OR ".join(f"{GEO_TERMS} @@ %({key})s::tsquery" for key in params) + ")", params


def conjunction(conditions: list[str]) -> str:
    return " AND ".join(conditions) or "TRUE"


def near_sql(filters: Filters, *, distance: str, prefix: str) -> list[str]:
    """The distance conditions over `distance` (SQL), with delivery terms read from `prefix` columns."""
    return [condition.format(d=distance, p=prefix) for condition in filters.near]


def row_sql(filters: Filters, *, prefix: str) -> list[str]:
    """The listing's own conditions over `prefix` columns."""
    return [condition.format(p=prefix) for condition in filters.row]
