"""Shops written straight into the listing index (no merchant schema: training reads only the public tables) and
behaviour events written straight into their table (as the drain would)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import BranchListing, Listing
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Subject
from tenants.models import Merchant

_ids = itertools.count(1)


def shop_make(*, slug: str, branches: Iterable[tuple[str, float, float]], products: Iterable[int]) -> Merchant:
    """A merchant selling `products` (its product ids) at each branch (city, latitude, longitude)."""
    merchant = Merchant.objects.create(name=slug.title(), slug=slug, schema_name=f"m_{slug.replace('-', '_')}")
    products = list(products)
    for city, lat, lng in branches:
        branch_id = next(_ids)
        common = {"merchant": merchant, "branch_id": branch_id, "store_id": 1, "merchant_slug": slug,
                  "store_name": slug, "store_slug": "main", "branch_name": city or "somewhere",
                  "latitude": lat, "longitude": lng, "version": 1, **cells_of(lat, lng)}  # fmt: skip
        BranchListing.objects.create(**common, address="", city=city)
        Listing.objects.bulk_create(
            Listing(**common, variant_id=next(_ids), product_id=product, title=f"Product {product}",
                    sku=f"{slug}-{product}", price=Decimal("100"), regular_price=Decimal("100"), currency="PKR")
            for product in products
        )  # fmt: skip
    return merchant


def events_make(rows: Iterable[tuple[str, str, Merchant, int, datetime]]) -> int:
    """(kind, shopper, merchant, product id, at) as product events; a product tap is a reel's, naming the product."""
    events = [
        BehaviourEvent(
            kind=kind,
            subject=Subject.REEL if kind == EventKind.PRODUCT_TAP else Subject.PRODUCT,
            merchant_id=merchant.pk,
            subject_id=product,
            product_id=product,
            shopper=shopper,
            at=at,
        )
        for kind, shopper, merchant, product, at in rows
    ]
    BehaviourEvent.objects.bulk_create(events)
    return len(events)
