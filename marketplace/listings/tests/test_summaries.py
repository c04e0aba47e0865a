"""BranchSummary and FacetCount follow every write to Listing (the triggers of migration 0005): after inserts,
upserts, updates of any counted column and deletes, they equal a recount of the rows."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import connection

from marketplace.discovery.search_sql import PRICE_EDGES
from marketplace.discovery.tests.factories import category_make, listing_make
from marketplace.listings.models import BranchSummary, Listing

_RECOUNT = """
    SELECT merchant_id, branch_id, category_id, listings_price_bucket(price), listings_price_on_edge(price), in_stock,
           has_offer, count(*)
    FROM listings_listing GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
"""
_COUNTS = """
    SELECT merchant_id, branch_id, category_id, price_bucket, price_on_edge, in_stock, has_offer, n
    FROM listings_facetcount ORDER BY 1, 2, 3, 4, 5, 6, 7
"""


def _assert_summaries_match() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_RECOUNT)
        expected = cursor.fetchall()
        cursor.execute(_COUNTS)
        assert cursor.fetchall() == expected
        cursor.execute(
            "SELECT merchant_id, branch_id, count(*), max(popularity), max(latitude) FROM listings_listing "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
        per_branch = cursor.fetchall()
    summaries = list(
        BranchSummary.objects.order_by("merchant_id", "branch_id").values_list(
            "merchant_id", "branch_id", "listings", "popularity_max", "latitude"
        )
    )
    assert [(m, b, n) for m, b, n, _, _ in summaries] == [(m, b, n) for m, b, n, _, _ in per_branch]
    for (_, _, _, bound, lat), (_, _, _, popularity, row_lat) in zip(summaries, per_branch, strict=True):
        assert bound >= popularity and lat == row_lat  # a bound, never lowered; the branch's place


def test_summaries_equal_a_recount_after_every_kind_of_write(make_merchant):
    rng = random.Random(3)
    categories = [category_make("a"), category_make("b"), None]
    merchants = [make_merchant(slug="m-one"), make_merchant(slug="m-two")]
    for i in range(60):
        listing_make(
            merchants[i % 2],
            lat=24.86,
            lng=67.0 + (i % 4) / 100,
            branch_id=1 + i % 4,
            category=rng.choice(categories),
            price=rng.choice(["99.99", "100.00", "250.00", "700.00"]),
            in_stock=i % 3 != 0,
            popularity=float(i),
        )
    _assert_summaries_match()

    Listing.objects.filter(price=Decimal("100.00")).update(price=Decimal("250.00"))  # to an edge of another bucket
    Listing.objects.filter(in_stock=False).update(in_stock=True, available=3)
    Listing.objects.filter(category__isnull=True).update(category=categories[0])
    Listing.objects.filter(pk__in=list(Listing.objects.values_list("pk", flat=True)[:7])).update(
        regular_price=Decimal("9999.00")  # an offer now: has_offer is generated from the prices
    )
    _assert_summaries_match()

    # the publisher's kind of statement: an upsert touching existing rows and adding new ones
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO listings_listing (merchant_id, branch_id, variant_id, product_id, store_id, merchant_slug,
                   store_name, store_slug, branch_name, title, variant_name, description, tags, sku, price,
                   regular_price, currency, in_stock, available, image_public_id, latitude, longitude, h3_r6, h3_r7,
                   h3_r8, offers_pickup, offers_delivery, delivery_radius_km, popularity, version, indexed_at)
               SELECT merchant_id, branch_id, variant_id + (CASE WHEN mod(id, 2) = 0 THEN 0 ELSE 100000 END),
                   product_id, store_id, merchant_slug, store_name, store_slug, branch_name, title, variant_name,
                   description, tags, sku, price + 1, regular_price + 1, currency, NOT in_stock, available,
                   image_public_id, latitude, longitude, h3_r6, h3_r7, h3_r8, offers_pickup, offers_delivery,
                   delivery_radius_km, popularity + 100, version + 1, now()
               FROM listings_listing WHERE branch_id = 2
               ON CONFLICT (merchant_id, branch_id, variant_id) DO UPDATE SET price = EXCLUDED.price,
                   in_stock = EXCLUDED.in_stock, popularity = EXCLUDED.popularity"""
        )
    _assert_summaries_match()

    Listing.objects.filter(branch_id=3).delete()  # a branch emptied: its summary goes
    Listing.objects.filter(pk__in=list(Listing.objects.values_list("pk", flat=True)[:5])).delete()
    _assert_summaries_match()
    assert not BranchSummary.objects.filter(branch_id=3).exists()


def test_the_databases_price_buckets_are_the_histograms(db):
    prices = [Decimal("0"), Decimal("99.99"), *map(Decimal, PRICE_EDGES), Decimal("50000.01"), Decimal("123456")]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p, listings_price_bucket(p), listings_price_on_edge(p) FROM unnest(%s::numeric[]) p", [prices]
        )
        rows = cursor.fetchall()
    for price, bucket, on_edge in rows:
        expected = sum(1 for edge in PRICE_EDGES if price >= edge)
        assert (bucket, on_edge) == (expected, price in PRICE_EDGES), price
