"""Listing rows written straight into the public index, for search tests that need many points or exact values.
(The sync's own tests prove rows built from merchant schemas; these prove what search does with rows.)"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.db import connection

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import Listing
from shared_apps.categories.models import Category
from tenants.models import Merchant

_ids = itertools.count(1)


def category_make(slug: str, parent: Category | None = None) -> Category:
    return Category.objects.create(slug=slug, name=slug.replace("-", " ").title(), parent=parent)


def listing_make(merchant: Merchant, *, lat: float, lng: float, **fields: Any) -> Listing:
    n = next(_ids)
    price = Decimal(str(fields.pop("price", "100.00")))
    values: dict[str, Any] = {
        "merchant": merchant,
        "branch_id": fields.pop("branch_id", n),
        "variant_id": n,
        "product_id": fields.pop("product_id", n),
        "store_id": 1,
        "merchant_slug": merchant.slug,
        "store_name": f"{merchant.name} Store",
        "store_slug": "main",
        "branch_name": "Branch",
        "title": f"Item {n}",
        "sku": f"sku-{n}",
        "price": price,
        "regular_price": price,
        "currency": "PKR",
        "in_stock": True,
        "available": 5,
        "latitude": lat,
        "longitude": lng,
        "offers_pickup": True,
        "offers_delivery": False,
        "delivery_radius_km": Decimal("0"),
        "version": 1,
        **cells_of(lat, lng),
    }
    values.update(fields)
    if not values["in_stock"]:
        values["available"] = 0
    listing = Listing.objects.create(**values)
    with connection.cursor() as cursor:  # the sync's weighting: title A, category and tags B, description C
        cursor.execute(
            """UPDATE listings_listing l SET search =
                 setweight(to_tsvector('english', l.title || ' ' || l.variant_name), 'A')
                 || setweight(to_tsvector('english', coalesce(c.name, '')), 'B')
                 || setweight(to_tsvector('english', l.description), 'C')
               FROM listings_listing x LEFT JOIN categories_category c ON c.id = x.category_id
               WHERE l.id = %s AND x.id = l.id""",
            [listing.pk],
        )
    return listing
