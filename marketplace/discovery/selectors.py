"""Reads behind the marketplace pages and the nearby-stores API: all from the public indexes (`Listing`,
`BranchListing`), never from a merchant schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from kernel.db import unprepared
from marketplace.discovery import geo
from marketplace.discovery.errors import DiscoveryError, DiscoveryErrorCode
from marketplace.discovery.schemas import NearbyQuery
from marketplace.discovery.search import location_validate
from marketplace.listings.models import BranchListing, Listing
from shared_apps.categories.selectors import CategoryNode, category_tree
from shared_apps.media.services import delivery_url
from tenant_apps.stores.hours import opening_state


@dataclass
class NearbyBranch:
    branch: BranchListing
    distance_km: float | None
    open_now: bool
    closes_at: str | None
    opens_at: str | None
    delivers_here: bool | None

    @property
    def store_key(self) -> str:
        return f"{self.branch.merchant_slug}/{self.branch.store_slug}"


def _nearby_branch(branch: BranchListing, lat: float | None, lng: float | None, at: datetime | None) -> NearbyBranch:
    state = opening_state(branch.opening_hours, branch.hours_exceptions, at)
    distance = geo.haversine_km(lat, lng, branch.latitude, branch.longitude) if lat is not None else None
    delivers = geo.delivers_here(
        offers_delivery=branch.offers_delivery, radius_km=branch.delivery_radius_km, distance_km=distance
    )
    return NearbyBranch(
        branch=branch,
        distance_km=round(distance, 3) if distance is not None else None,
        open_now=state.open,
        closes_at=state.closes_at,
        opens_at=state.opens_at,
        delivers_here=delivers,
    )


def stores_nearby(query: NearbyQuery, *, at: datetime | None = None) -> list[NearbyBranch]:
    """Branches within the radius, nearest first (ties by id), with open-now and delivery coverage. Raises
    DiscoveryError for a bad location or radius."""
    location_validate(lat=query.lat, lng=query.lng, radius_km=query.radius_km)
    cover = geo.cover(query.lat, query.lng, query.radius_km)
    candidates = BranchListing.objects.filter(**{f"{cover.column}__in": cover.cells})
    found = []
    for branch in candidates:
        nearby = _nearby_branch(branch, query.lat, query.lng, at)
        if nearby.distance_km > query.radius_km:
            continue
        if query.open_now is not None and nearby.open_now != query.open_now:
            continue
        if query.delivers is not None and nearby.delivers_here != query.delivers:
            continue
        found.append(nearby)
    found.sort(key=lambda n: (n.distance_km, n.branch.pk))
    return found[: query.limit]


@dataclass
class StorePage:
    merchant_slug: str
    store_slug: str
    name: str
    description: str
    branches: list[NearbyBranch]

    @property
    def key(self) -> str:
        return f"{self.merchant_slug}/{self.store_slug}"


def store_detail(*, merchant_slug: str, store_slug: str, lat: float | None, lng: float | None) -> StorePage:
    """A store and its branches (nearest first when the location is known); DiscoveryError 404 if not listed."""
    branches = list(BranchListing.objects.filter(merchant_slug=merchant_slug, store_slug=store_slug))
    if not branches:
        raise DiscoveryError(DiscoveryErrorCode.STORE_NOT_FOUND)
    nearby = [_nearby_branch(b, lat, lng, None) for b in branches]
    nearby.sort(key=lambda n: (n.distance_km if n.distance_km is not None else 0, n.branch.branch_name))
    first = branches[0]
    return StorePage(
        merchant_slug=merchant_slug,
        store_slug=store_slug,
        name=first.store_name,
        description=first.store_description,
        branches=nearby,
    )


@dataclass
class Offer:
    """One variant at one branch."""

    listing: Listing
    distance_km: float | None
    delivers_here: bool | None
    open_now: bool | None = None  # None: the branch has no row in the branch index (yet)
    opens_at: str | None = None


@dataclass
class ProductPage:
    merchant_slug: str
    product_id: int
    merchant_id: int
    title: str
    description: str
    image_url: str | None
    store_name: str
    store_slug: str
    category_path: list[CategoryNode]
    variants: list[dict[str, Any]]  # {"id", "name", "sku", "min_price", "max_price", "in_stock"}
    offers: list[Offer]  # nearest branch first
    currency: str
    low_price: Decimal
    high_price: Decimal
    in_stock: bool
    tags: list[str] = field(default_factory=list)

    @property
    def store_key(self) -> str:
        return f"{self.merchant_slug}/{self.store_slug}"


def product_detail(*, merchant_slug: str, product_id: int, lat: float | None, lng: float | None) -> ProductPage:
    """Every listed variant of a product at every branch (nearest first); DiscoveryError 404 if not listed."""
    rows = list(Listing.objects.filter(merchant_slug=merchant_slug, product_id=product_id).order_by("variant_id"))
    if not rows:
        raise DiscoveryError(DiscoveryErrorCode.PRODUCT_NOT_FOUND)
    branches = {
        b.branch_id: opening_state(b.opening_hours, b.hours_exceptions)
        for b in BranchListing.objects.filter(merchant_slug=merchant_slug, branch_id__in={r.branch_id for r in rows})
    }
    offers = []
    for row in rows:
        distance = geo.haversine_km(lat, lng, row.latitude, row.longitude) if lat is not None else None
        delivers = geo.delivers_here(
            offers_delivery=row.offers_delivery, radius_km=row.delivery_radius_km, distance_km=distance
        )
        state = branches.get(row.branch_id)
        offers.append(
            Offer(
                listing=row,
                distance_km=round(distance, 3) if distance is not None else None,
                delivers_here=delivers,
                open_now=state.open if state else None,
                opens_at=state.opens_at if state else None,
            )
        )
    offers.sort(key=lambda o: (o.distance_km if o.distance_km is not None else 0, o.listing.branch_name, o.listing.pk))
    variants: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = variants.setdefault(
            row.variant_id,
            {
                "id": row.variant_id,
                "name": row.variant_name,
                "sku": row.sku,
                "min_price": row.price,
                "max_price": row.price,
                "in_stock": False,
            },
        )
        entry["min_price"] = min(entry["min_price"], row.price)
        entry["max_price"] = max(entry["max_price"], row.price)
        entry["in_stock"] = entry["in_stock"] or row.in_stock
    first = rows[0]
    tree = category_tree()
    node = tree.by_id.get(first.category_id) if first.category_id else None
    image = next((r.image_public_id for r in rows if r.image_public_id), "")
    return ProductPage(
        merchant_slug=merchant_slug,
        product_id=product_id,
        merchant_id=first.merchant_id,
        title=first.title,
        description=first.description,
        image_url=delivery_url(public_id=image, variant="full") if image else None,
        store_name=first.store_name,
        store_slug=first.store_slug,
        category_path=tree.path(node) if node else [],
        variants=list(variants.values()),
        offers=offers,
        currency=first.currency,
        low_price=min(r.price for r in rows),
        high_price=max(r.price for r in rows),
        in_stock=any(r.in_stock for r in rows),
        tags=[str(t) for t in first.tags] if isinstance(first.tags, list) else [],
    )


_CATEGORY_COUNTS = """
    SELECT l.category_id, count(*) FROM public.listings_listing l
    WHERE {conditions}
    GROUP BY l.category_id
"""


def categories_near(*, lat: float | None, lng: float | None, radius_km: float) -> list[dict[str, Any]]:
    """The category tree, each node with how many listings within the radius are in it or under it."""
    tree = category_tree()
    params: dict[str, Any] = {}
    conditions = "TRUE"
    location_validate(lat=lat, lng=lng, radius_km=radius_km)
    if lat is not None and lng is not None:
        conditions, params = geo.within_sql("l", lat, lng, radius_km)
    with unprepared(), connection.cursor() as cursor:  # a radius of 2 km or 50: planned for its values
        cursor.execute(_CATEGORY_COUNTS.format(conditions=conditions), params)
        counts = tree.rolled_up(dict(cursor.fetchall()))

    def branch(node: CategoryNode) -> dict[str, Any]:
        return {
            "slug": node.slug,
            "name": node.name,
            "icon": node.icon,
            "count": counts.get(node.id, 0),
            "children": [branch(tree.by_id[c]) for c in node.children],
        }

    return [branch(root) for root in tree.roots]
