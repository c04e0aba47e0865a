"""CSV import benchmark: 10,000 product rows and 10,000 stock rows through tenant_apps.catalog.csv_io, against a
naive row-by-row import through the ordinary services, in the same run.

Run from the repo root:

    .venv/bin/python benchmarks/csv_import.py [--rows 10000] [--baseline-rows 1000] [--profile] [--keep]

It never touches dev data: it derives a database `<name>_csvbench` on the same server as DATABASE_URL (or the
embedded server of .data/embedded.env), drops and recreates it, migrates the shared apps, provisions one merchant,
measures, and drops it again (unless --keep). The publish task that the outbox kicks after each commit is not sent
(counted instead): the import's own cost is measured, not the marketplace index behind it.

The baseline is what an import written without bulk writes does, per row: look the SKU up, then variant_update,
variant_create or product_create (each its own transaction with its outbox event), and stock_count per stock row. It
runs on --baseline-rows rows and is EXTRAPOLATED linearly to --rows, labeled as such.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import platform
import pstats
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, shared_apps_migrate
from benchmarks.harness.database import bench_database, database_server, postgres_settings
from benchmarks.harness.figures import verdict

GOAL_S = 30.0


def product_rows(store: str, count: int, *, prefix: str, price: str) -> list[dict[str, str]]:
    """`count` rows: count/2 products of 2 variants each, every column filled."""
    return [
        {
            "store_slug": store,
            "product_name": f"{prefix} product {i // 2:05d}",
            "description": "Aged long grain",
            "category_slug": "rice",
            "status": "active",
            "sku": f"{prefix}-{i:05d}",
            "variant_name": f"{i % 2 + 1} kg",
            "price": price,
            "barcode": f"89640{i:08d}",
            "options": f'{{"Size": "{i % 2 + 1} kg"}}',
        }
        for i in range(count)
    ]


def to_csv(rows: list, header) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([row[c] for c in header] if isinstance(row, dict) else row for row in rows)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per import (default 10,000; at most 10,000)")
    parser.add_argument("--baseline-rows", type=int, default=1000, help="rows imported row by row (default 1,000)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the 10,000-row update import")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_csvbench)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if not 2 <= args.rows <= 10_000 or args.baseline_rows < 2:
        parser.error("--rows must be 2..10,000 and --baseline-rows at least 2")

    with bench_database(name=args.db_name, suffix="csvbench", keep=args.keep) as (_, bench_name):
        return run(args, bench_name)


def run(args: argparse.Namespace, bench_name: str) -> int:
    django_start()

    # Django is set up now: the models and services can be imported.
    from django.db import connection
    from django_tenants.utils import schema_context

    from shared_apps.categories.models import Category
    from tenant_apps.catalog import csv_io
    from tenant_apps.catalog.models import Product, Variant
    from tenant_apps.catalog.services import VariantSpec, product_create, variant_create, variant_update
    from tenant_apps.inventory.models import StockMovement
    from tenant_apps.inventory.services import stock_count
    from tenant_apps.outbox import services as outbox_services
    from tenant_apps.staff.models import Membership
    from tenant_apps.stores.services import branch_create, store_create
    from tenants.services import merchant_provision

    kicks = []
    outbox_services.task_send = lambda name, /, **kw: kicks.append(kw)  # the kick is counted, never queued

    shared_apps_migrate()
    pg = postgres_settings("server_version", "synchronous_commit")
    report.section("Machine")
    report.rows_print(report.machine_rows(pg, database_server(), shown=("synchronous_commit",)))
    report.rows_print(
        [
            ("Django", report.versions("django-tenants", "psycopg")),
            ("Bench database", bench_name),
        ]
    )

    Category.objects.create(name="Rice", slug="rice")
    merchant = merchant_provision(name="CSV bench", slug="csv-bench", owner_phone="+923001112233")
    n, nb = args.rows, args.baseline_rows
    figures: list[tuple[str, float, int | None, str]] = []

    def measure(label: str, call, rows: int, note: str = ""):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            result = call()
            seconds = time.perf_counter() - started
        figures.append((label, seconds, queries[0], note))
        print(f"{label:<58} {seconds:7.2f} s  {queries[0]:6,} queries  {rows / seconds:9,.0f} rows/s  {note}")
        return result

    with schema_context(merchant.schema_name):
        actor = Membership.objects.get(user=merchant.owner)
        store = store_create(name="CSV Bench Store")
        naive_store = store_create(name="Naive Store")
        branches = [
            branch_create(store=store, name=name, address="Main Blvd", latitude="31.5", longitude="74.3")
            for name in ("Gulberg", "DHA")
        ]

        report.section(f"Bulk import through csv_io: {n:,} rows")
        create_csv = to_csv(product_rows(store.slug, n, prefix="BULK", price="100.00"), csv_io.PRODUCT_COLUMNS)
        update_csv = to_csv(product_rows(store.slug, n, prefix="BULK", price="125.50"), csv_io.PRODUCT_COLUMNS)
        result = measure(
            f"products: create {n:,} variants of {n // 2:,} products",
            lambda: csv_io.products_import(actor=actor, data=create_csv),
            n,
        )
        assert result["created"] == n, result
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        result = measure(
            f"products: update the price of {n:,} variants",
            lambda: csv_io.products_import(actor=actor, data=update_csv),
            n,
        )
        if profiler:
            profiler.disable()
        assert result["updated"] == n, result
        result = measure(
            "products: the same file again (no-op)", lambda: csv_io.products_import(actor=actor, data=update_csv), n
        )
        assert result["unchanged"] == n, result
        exported = measure(
            "products: export to CSV (streamed)",
            lambda: "".join(csv_io.csv_chunks(csv_io.products_export_rows(actor=actor))),
            n,
        )
        result = measure(
            "products: import of that export (no-op round trip)",
            lambda: csv_io.products_import(actor=actor, data=exported),
            n,
        )
        assert result["unchanged"] == n, result

        skus = list(Variant.objects.filter(product__store=store).order_by("pk").values_list("sku", flat=True))
        stock_rows = [[branches[i % 2].pk, skus[i // 2], 10 + i % 40] for i in range(n)]
        stock_csv = to_csv(stock_rows, ("branch_id", "sku", "on_hand"))
        result = measure(
            f"stock: count {n:,} levels ({n // 2:,} SKUs x 2 branches, new)",
            lambda: csv_io.stock_import(actor=actor, data=stock_csv),
            n,
        )
        assert result["movements"] == n, result
        recount_csv = to_csv([[b, s, c + 1] for b, s, c in stock_rows], ("branch_id", "sku", "on_hand"))
        result = measure(
            f"stock: recount {n:,} existing levels", lambda: csv_io.stock_import(actor=actor, data=recount_csv), n
        )
        assert result["updated"] == n, result
        exported = measure(
            f"stock: export one branch to CSV ({n:,} variants)",
            lambda: "".join(csv_io.csv_chunks(csv_io.stock_export_rows(actor=actor, branch_id=branches[0].pk))),
            n,
        )
        result = measure(
            "stock: import of that export (no-op round trip)",
            lambda: csv_io.stock_import(actor=actor, data=exported),
            n,
        )
        assert result["movements"] == 0, result
        assert StockMovement.objects.count() == 2 * n

        report.section(f"Baseline: row by row through the services, {nb:,} rows (EXTRAPOLATED to {n:,})")

        def naive_products(rows: list[dict[str, str]]) -> None:
            for row in rows:
                spec = VariantSpec(
                    sku=row["sku"],
                    price=row["price"],
                    name=row["variant_name"],
                    barcode=row["barcode"],
                    options={"Size": row["variant_name"]},
                )
                variant = Variant.objects.filter(sku=row["sku"]).first()
                if variant is not None:
                    variant_update(variant=variant, price=row["price"], name=row["variant_name"])
                    continue
                product = Product.objects.filter(store=naive_store, name=row["product_name"]).first()
                if product is None:
                    category = Category.objects.get(slug=row["category_slug"]).pk
                    product_create(
                        store_id=naive_store.pk,
                        name=row["product_name"],
                        variants=[spec],
                        description=row["description"],
                        category_id=category,
                        status=row["status"],
                    )
                else:
                    variant_create(product=product, spec=spec)

        rows = product_rows(naive_store.slug, nb, prefix="NAIVE", price="100.00")
        measure(f"naive products: create {nb:,} variants", lambda: naive_products(rows), nb)
        rows = product_rows(naive_store.slug, nb, prefix="NAIVE", price="125.50")
        measure(f"naive products: update {nb:,} variants", lambda: naive_products(rows), nb)
        naive_skus = list(Variant.objects.filter(product__store=naive_store).values_list("pk", flat=True))

        def naive_stock() -> None:
            for i in range(nb):
                stock_count(
                    branch_id=branches[i % 2].pk,
                    variant_id=naive_skus[i // 2],
                    counted=10 + i % 40,
                    actor_id=actor.user_id,
                )

        measure(f"naive stock: count {nb:,} levels", naive_stock, nb)

    if profiler:
        report.section("cProfile of the update import (top 25 by cumulative time)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

    by_label = {label: seconds for label, seconds, _, _ in figures}
    bulk = {
        "create": by_label[f"products: create {n:,} variants of {n // 2:,} products"],
        "update": by_label[f"products: update the price of {n:,} variants"],
        "stock": by_label[f"stock: count {n:,} levels ({n // 2:,} SKUs x 2 branches, new)"],
    }
    naive = {
        "create": by_label[f"naive products: create {nb:,} variants"] * n / nb,
        "update": by_label[f"naive products: update {nb:,} variants"] * n / nb,
        "stock": by_label[f"naive stock: count {nb:,} levels"] * n / nb,
    }
    report.section("Goals and comparison")
    ok = True
    for key, label in (("create", "products, create"), ("update", "products, update"), ("stock", "stock counts")):
        passed = bulk[key] * 10_000 / n <= GOAL_S
        ok &= passed
        print(
            f"{verdict(passed)}  {n:,} rows, {label}: {bulk[key]:.2f} s (goal <= {GOAL_S:.0f} s for 10,000); "
            f"row by row, EXTRAPOLATED from {nb:,} rows: {naive[key]:.1f} s ({naive[key] / bulk[key]:.0f}x)"
        )
    print(f"Publish kicks after commit (not sent in the bench): {len(kicks)}")

    report.section("Markdown (docs/benchmarks.md)")
    print(
        f"\n{report.machine_line()}; PostgreSQL {pg['server_version']} ({database_server()}); Python "
        f"{platform.python_version()}, Django {django.get_version()}.\n"
    )
    print("| Measure | Time | Queries | Note |")
    print("|---|---|---|---|")
    for label, seconds, queries, note in figures:
        scaled = f"; **{seconds * n / nb:.1f} s for {n:,} (extrapolated)**" if label.startswith("naive") else ""
        print(f"| {label} | {seconds:.2f} s{scaled} | {queries:,} | {note} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
