"""Fill the current database (DATABASE_URL) at the recommendations benchmark's shape, then time the service.

`python -m benchmarks.recommendations_fill [--events N --users N --items N --listings-per-item N --cities N]`:
merchants of 100 products each with two branches (cities: Lahore first), about `listings-per-item` listings per
product, and the skewed log of `benchmarks.recommendations_fit` as behaviour events (`u:<n>` shoppers, kinds drawn
as there). Rows go in by binary COPY of numbers into a staging table and one INSERT ... SELECT, so filling 10M events
takes a minute or two. Then `manage.py recommendations_train --json` runs in a child process: its wall time and
peak resident memory (reading the events included) are printed. For a throwaway database only: it empties the
listing index and the behaviour events first.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CITIES = (("Lahore", 31.52, 74.35), ("Karachi", 24.86, 67.01), ("Islamabad", 33.68, 73.04))
KIND_NAMES = ("view", "search_click", "add_to_cart", "purchase")  # recommendations_fit's KINDS, in order


def fill(*, events: int, users: int, items: int, listings_per_item: int, cities: int) -> dict[str, float]:
    import django

    django.setup()
    from django.db import connection

    from benchmarks.recommendations_fit import log_generate
    from kernel.pgcopy import Column, copy_in_arrays
    from marketplace.discovery.geo import cells_of
    from marketplace.listings.models import BranchListing
    from tenants.models import Merchant

    started = time.monotonic()
    log = log_generate(events=events, users=users, items=items)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE behaviour_behaviourevent, listings_listing, listings_branchlisting CASCADE")
        cursor.execute("DELETE FROM tenants_merchant WHERE slug LIKE 'bench-reco-%%'")
    merchants = Merchant.objects.bulk_create(
        Merchant(name=f"Shop {m}", slug=f"bench-reco-{m}", schema_name=f"m_bench_reco_{m}")
        for m in range((items + 99) // 100)
    )
    rng = np.random.default_rng(1)
    branches = []
    for m, merchant in enumerate(merchants):
        for b in range(2):
            city, lat, lng = CITIES[(m + b * (m % 7 == 0)) % cities]  # a chain in two cities now and then
            lat, lng = lat + rng.normal(0, 0.05), lng + rng.normal(0, 0.05)
            where = {"city": city, "latitude": lat, "longitude": lng, **cells_of(lat, lng)}
            names = {"merchant_slug": merchant.slug, "store_name": merchant.name, "store_slug": "main"}
            branches.append(
                BranchListing(
                    merchant=merchant,
                    branch_id=b + 1,
                    store_id=1,
                    branch_name=f"B{b}",
                    address="",
                    version=1,
                    **names,
                    **where,
                )
            )
    BranchListing.objects.bulk_create(branches, batch_size=2000)
    first_merchant = merchants[0].pk
    assert merchants[-1].pk - first_merchant == len(merchants) - 1, "merchant ids must be consecutive"
    with connection.cursor() as cursor:
        variants = max(1, (listings_per_item + 1) // 2)  # per branch: two branches a product
        cursor.execute(
            "INSERT INTO listings_listing (merchant_id, branch_id, variant_id, product_id, store_id, merchant_slug,"
            " store_name, store_slug, branch_name, title, variant_name, description, tags, sku, price, regular_price,"
            " currency, in_stock, available, low_stock_threshold, image_public_id, latitude, longitude, h3_r6, h3_r7,"
            " h3_r8, offers_pickup, offers_delivery, delivery_radius_km, popularity, version, indexed_at)"
            " SELECT b.merchant_id, b.branch_id, p * 10 + v, p, 1, b.merchant_slug, b.store_name, 'main',"
            " b.branch_name, 'Product', '', '', '[]', 'sku', 100, 100, 'PKR', true, 5, 5, '', b.latitude,"
            " b.longitude, b.h3_r6, b.h3_r7, b.h3_r8, true, false, 0, 0, 1, now()"
            " FROM generate_series(0, %s - 1) p JOIN listings_branchlisting b ON b.merchant_id = %s + p / 100"
            " CROSS JOIN generate_series(1, %s) v",
            [items, first_merchant, variants],
        )
        cursor.execute("CREATE TEMP TABLE staging (u bigint, i bigint, t float8, k smallint)")
        kinds = np.searchsorted(np.array([0.25, 0.4, 0.7, 1.0], dtype=np.float32), log["weights"]).astype(np.int16)
        shift = time.time() - 3600 - float(log["times"].max())
        columns = [
            Column("u", "int8", log["users"]),
            Column("i", "int8", log["items"]),
            Column("t", "float8", log["times"] + shift),
            Column("k", "int2", kinds),
        ]
        copy_in_arrays(cursor.cursor, table="staging", columns=columns, count=int(log["users"].size))
        case = " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(KIND_NAMES))
        cursor.execute(
            "INSERT INTO behaviour_behaviourevent (kind, subject, merchant_id, subject_id, shopper, product_id,"
            " surface, context, at)"
            f" SELECT CASE k {case} END, 'product', %s + i / 100, i, 'u:' || u, i, '', '', to_timestamp(t)"
            " FROM staging",
            [first_merchant],
        )
        cursor.execute("ANALYZE behaviour_behaviourevent; ANALYZE listings_listing")
        cursor.execute("SELECT count(*) FROM listings_listing")
        listings = cursor.fetchone()[0]
    return {"fill_seconds": round(time.monotonic() - started, 1), "listings": listings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=150_000)
    parser.add_argument("--listings-per-item", type=int, default=7)
    parser.add_argument("--cities", type=int, default=1)
    parser.add_argument("--no-fill", action="store_true", help="Time the service on what the database holds.")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    if not args.no_fill:
        figures |= fill(events=args.events, users=args.users, items=args.items,
                        listings_per_item=args.listings_per_item, cities=args.cities)  # fmt: skip
        print(json.dumps(figures), file=sys.stderr)
    started = time.monotonic()
    command = [sys.executable, "manage.py", "recommendations_train", "--json"]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    figures["train_wall_seconds"] = round(time.monotonic() - started, 1)
    figures["train_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    figures["regions"] = json.loads(out.stdout)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
