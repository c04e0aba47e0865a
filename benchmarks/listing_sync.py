"""Listing sync benchmark: merchant edit → public Listing row lag under a steady stream of edits, and the throughput
of `listings_rebuild` against plain INSERT … SELECT baselines in the same run.

Run from the repo root:

    .venv/bin/python benchmarks/listing_sync.py [--seconds 45] [--rate 30] [--merchants 100] [--keep]

It never touches dev data: it derives a database `<name>_bench_sync` on the same server as DATABASE_URL (or the
embedded server of .data/embedded.env), drops and recreates it, migrates the shared apps, provisions merchants
through the fast path and fills their catalogs with bulk inserts (no outbox events), then:

1. throughput: a plain INSERT … SELECT per merchant (no h3, tsvector, image, branch price or version logic), the
   sync's own `_SOURCE` SELECT inserted plainly, and `listings_rebuild` per merchant (empty index, then again over
   the full index), each in rows/s over all merchants;
2. lag: real Celery workers (prefork) on a queue of their own; threads edit through the real services
   (`product_update` name, `variant_update` price, `stock_receive`), round-robin over the merchants at a steady
   rate; each edit writes a unique marker and a poller thread timestamps when the Listing row shows it
   (lag = first poll that sees it minus the moment the service returned; beat is not started, so every edit must
   arrive through its on-commit kick).

The bench database is dropped at the end (unless --keep). Output: plain figures, then a markdown block for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, shared_apps_migrate
from benchmarks.harness.database import bench_database, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, percentile, stats, verdict
from benchmarks.harness.processes import CeleryWorkers, celery_queue_drop

GOAL_LAG_P99_MS = 1000.0
AREAS = ("Gulberg", "DHA", "Model Town", "Johar Town", "Cantt", "Bahria Town")
GOODS = ("Basmati rice", "Atta flour", "Cooking oil", "Sugar", "Masoor daal", "Green tea", "Milk powder", "Chickpeas")
CATEGORIES = ("Rice & grains", "Flour", "Oils", "Sugar & sweeteners", "Lentils", "Tea", "Dairy", "Pulses")
KINDS = ("name", "price", "stock")
_TASK_DONE = re.compile(r"Task marketplace\.listings\.tasks\.listings_publish\[[^\]]+\] succeeded in ([0-9.e-]+)s")
POLL_SQL = (
    "SELECT l.merchant_id, l.branch_id, l.variant_id, l.title, l.price, l.available "
    "FROM public.listings_listing l JOIN unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS k(m, b, v) "
    "ON l.merchant_id = k.m AND l.branch_id = k.b AND l.variant_id = k.v"
)


# ---------------------------------------------------------------------------------------------------------------
# The shops and the edit stream
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Shop:
    merchant_id: int
    slug: str
    schema: str
    branches: list[int]
    products: list[tuple[int, str, list[int]]]  # (product id, base name, variant ids)
    variants: list[int]
    available: dict[tuple[int, int], int]  # (branch, variant) → what the index should show after our receipts
    edits: int = 0


@dataclass
class Edit:
    seq: int
    kind: str
    key: tuple[int, int, int]  # (merchant, branch, variant): the Listing row that must show the marker
    expect: Any
    started: float
    committed: float
    measured: bool
    arrived: float | None = None


@dataclass
class Stream:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[int, Edit] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    polls: int = 0
    poll_ms: list[float] = field(default_factory=list)
    queue_depth: list[int] = field(default_factory=list)
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--merchants", type=int, default=100, help="merchants editing (default 100)")
    parser.add_argument("--products", type=int, default=50, help="products per merchant (default 50)")
    parser.add_argument("--variants", type=int, default=2, help="variants per product (default 2)")
    parser.add_argument("--branches", type=int, default=2, help="branches per merchant (default 2)")
    parser.add_argument("--seconds", type=float, default=45.0, help="measured edit stream, seconds (default 45)")
    parser.add_argument("--warmup", type=float, default=3.0, help="edit stream before measuring, seconds (default 3)")
    parser.add_argument("--rate", type=float, default=30.0, help="edits per second, all merchants (default 30)")
    parser.add_argument("--threads", type=int, default=3, help="editing threads (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork children per worker (default 2)")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="poller interval, ms (default 10)")
    parser.add_argument("--drain", type=float, default=15.0, help="wait for late edits after the stream, s")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_bench_sync)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if min(args.merchants, args.products, args.variants, args.branches, args.threads, args.workers) < 1:
        parser.error("counts must be positive")
    if args.seconds <= 0 or args.rate <= 0 or args.concurrency < 1 or args.threads > args.merchants:
        parser.error("--seconds and --rate must be positive, --threads at most --merchants")

    run_started = time.perf_counter()
    queue = f"bench-sync-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_QUEUE"] = queue  # settings read it once; the app's default queue is set again below
    workers = CeleryWorkers(queue=queue, count=args.workers, concurrency=args.concurrency)
    with bench_database(name=args.db_name, suffix="bench_sync", keep=args.keep) as (_, bench_name):
        try:
            return run(args, bench_name, workers, run_started)
        finally:
            workers.stop()
            celery_queue_drop(queue)


def run(args: argparse.Namespace, bench_name: str, workers: CeleryWorkers, run_started: float) -> int:
    django_start()
    from config.celery import app  # Django is set up now

    app.conf.task_default_queue = workers.queue  # the kicks of this process go to the bench workers only
    shared_migrate_s = shared_apps_migrate()
    shops, provision_s, catalog_s = shops_create(args)
    rows_expected = args.merchants * args.products * args.variants * args.branches

    pg = postgres_settings("server_version", "shared_buffers", "synchronous_commit", "fsync", "max_connections")
    with app.connection_for_write() as conn:
        redis_version = conn.default_channel.client.info().get("redis_version", "?")
    from django.conf import settings  # (as above)

    report.section("Machine")
    shown = ("shared_buffers", "synchronous_commit", "fsync", "max_connections")
    report.rows_print(report.machine_rows(pg, f"server {database_server()}", shown=shown))
    report.rows_print(
        [
            ("Redis", f"{redis_version} ({report.redact(settings.CELERY_BROKER_URL)})"),
            ("Django", report.versions("django-tenants", "celery", "psycopg")),
            ("Bench database", f"{bench_name} (fresh; shared apps migrated in {shared_migrate_s:.1f} s)"),
        ]
    )
    report.section("Settings")
    print(
        f"Merchants {args.merchants} (fast-path provisioning {provision_s:.1f} s), each 1 store, {args.branches} "
        f"branches, {args.products} products x {args.variants} variants, 1 image per product, stock levels for "
        f"every branch x variant (bulk inserts, {catalog_s:.1f} s, then ANALYZE)"
    )
    print(f"Listing rows expected: {rows_expected:,} ({rows_expected // args.merchants} per merchant)")
    print(
        f"Edit stream: {args.rate:g} edits/s over {args.threads} threads, round-robin over the merchants, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s measured, kinds cycle {'/'.join(KINDS)}; "
        f"poll every {args.poll_ms:g} ms; drain up to {args.drain:g} s"
    )
    print(
        f"Workers: {args.workers} x `celery worker --pool prefork --concurrency {args.concurrency}` on queue "
        f"{workers.queue}; prefetch multiplier {settings.CELERY_WORKER_PREFETCH_MULTIPLIER}, acks_late "
        f"{settings.CELERY_TASK_ACKS_LATE}; no beat (no sweep)"
    )

    report.section(f"Throughput: {rows_expected:,} listing rows from {args.merchants} merchant schemas")
    throughput = throughput_measure(shops, rows_expected)

    report.section(f"Lag: edit committed -> Listing row shows it, {args.merchants} merchants, {args.rate:g} edits/s")
    started = time.perf_counter()
    names = workers.start()
    workers.wait_ready(app)
    print(f"{len(names)} workers answered ping in {time.perf_counter() - started:.1f} s: {', '.join(names)}")
    lag = lag_measure(args, shops, workers)

    lag_ok = bool(lag.lags) and lag.all["p99"] <= GOAL_LAG_P99_MS and not lag.missing and not lag.stream.errors
    report.section("Goals")
    print(
        f"{verdict(lag_ok)}  lag p99 <= {GOAL_LAG_P99_MS:.0f} ms with every edit arriving: "
        f"p99 {fmt_ms(lag.all['p99'])} ms, {len(lag.missing)} never arrived, {len(lag.stream.errors)} errors"
    )

    report.section("Markdown (docs/benchmarks.md)")
    rebuild_empty, rebuild_full = throughput["rebuild_empty"], throughput["rebuild_full"]
    plain, source = throughput["plain"], throughput["source"]
    rows = [
        (
            f"Lag edit → Listing, {args.merchants} merchants, {lag.achieved:.0f} edits/s for {args.seconds:g} s "
            f"({args.workers} workers x prefork {args.concurrency})",
            f"p50 {fmt_ms(lag.all['p50'])} ms, p90 {fmt_ms(lag.all['p90'])} ms, **p99 {fmt_ms(lag.all['p99'])} ms**, "
            f"max {fmt_ms(lag.all['max'])} ms (n={lag.all['n']}, {len(lag.missing)} never arrived)",
            f"p99 ≤ {GOAL_LAG_P99_MS:.0f} ms: **{verdict(lag_ok)}**",
        ),
        (
            f"`listings_rebuild`, {args.merchants} merchants into an empty index",
            f"**{rebuild_empty['rate']:,.0f} rows/s** ({rebuild_empty['rows']:,} rows in "
            f"{rebuild_empty['seconds']:.2f} s)",
            f"plain INSERT … SELECT {plain['rate'] / rebuild_empty['rate']:.1f}x faster",
        ),
        (
            "`listings_rebuild` again, over the full index (upsert updates)",
            f"{rebuild_full['rate']:,.0f} rows/s ({rebuild_full['seconds']:.2f} s)",
            f"plain {plain['rate'] / rebuild_full['rate']:.1f}x faster",
        ),
        (
            "Baseline: plain INSERT … SELECT per merchant (no h3/tsvector/image/version)",
            f"{plain['rate']:,.0f} rows/s ({plain['seconds']:.2f} s)",
            "",
        ),
        (
            "Baseline: the sync's `_SOURCE` SELECT, plain INSERT (no upsert/delete)",
            f"{source['rate']:,.0f} rows/s ({source['seconds']:.2f} s)",
            "",
        ),
    ]
    print()
    print(
        f"{report.machine_line()}; PostgreSQL {pg['server_version']} ({database_server()}), Redis {redis_version}; "
        f"Python {platform.python_version()}, Django {report.versions('celery')}. {args.merchants} merchants x "
        f"{args.branches} branches x {args.products} products x {args.variants} variants = {rows_expected:,} "
        "listing rows."
    )
    print()
    report.markdown_table(("Measure", "Result", "Goal / comparison"), rows)
    report.wall_time(run_started)
    return 0 if lag_ok and throughput["counts_ok"] else 1


# ---------------------------------------------------------------------------------------------------------------
# Setup: merchants through the fast path, catalogs by bulk inserts (no outbox events)
# ---------------------------------------------------------------------------------------------------------------


def shops_create(args: argparse.Namespace) -> tuple[list[Shop], float, float]:
    """The merchants and their catalogs; returns (shops, provisioning seconds, catalog seconds)."""
    # Django is set up in run(): the models and services can be imported.
    from django.db import connection
    from django_tenants.utils import schema_context

    from shared_apps.categories.models import Category
    from tenants import services

    rng = random.Random(7)
    categories = Category.objects.bulk_create(
        [Category(name=name, slug=f"bench-{i}", position=i) for i, name in enumerate(CATEGORIES)]
    )
    started = time.perf_counter()
    merchants = [
        services.merchant_provision(name=f"Bench shop {i}", slug=f"bsync-{i:04d}", owner_phone=f"+92303{i:07d}")
        for i in range(args.merchants)
    ]
    provision_s = time.perf_counter() - started

    started = time.perf_counter()
    shops = []
    for i, merchant in enumerate(merchants):
        with schema_context(merchant.schema_name):
            shops.append(catalog_fill(args, rng, i, merchant, categories))
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return shops, provision_s, time.perf_counter() - started


def catalog_fill(args: argparse.Namespace, rng: random.Random, i: int, merchant: Any, categories: list) -> Shop:
    """Shop `i`'s store, branches, products, variants, images and stock, in the current tenant schema."""
    # Django is set up in run(): the models can be imported.
    from tenant_apps.catalog.models import Product, ProductMedia, ProductStatus, Variant
    from tenant_apps.inventory.models import StockLevel
    from tenant_apps.stores.models import Branch, Store

    store = Store.objects.create(name=f"Bench store {i}", slug=f"bench-store-{i}")
    lat0, lng0 = 31.40 + rng.random() * 0.2, 74.20 + rng.random() * 0.25
    branches = Branch.objects.bulk_create(
        [
            Branch(
                store=store,
                name=f"{AREAS[(i + b) % len(AREAS)]} branch",
                address=f"{b + 1} Main Boulevard",
                area=AREAS[(i + b) % len(AREAS)],
                latitude=Decimal(f"{lat0 + b * 0.01:.6f}"),
                longitude=Decimal(f"{lng0 + b * 0.01:.6f}"),
                offers_delivery=True,
                delivery_radius_km=Decimal("4"),
            )
            for b in range(args.branches)
        ]
    )
    names = [f"{GOODS[(i + j) % len(GOODS)]} {j}" for j in range(args.products)]
    products = Product.objects.bulk_create(
        [
            Product(
                store=store,
                name=name,
                slug=f"p-{j}",
                description=f"{name}: everyday groceries from Bench shop {i}, delivered in Lahore.",
                category_id=categories[(i + j) % len(categories)].pk,
                attributes={"tags": ["grocery", GOODS[(i + j) % len(GOODS)].split()[0].lower()]},
                status=ProductStatus.ACTIVE,
            )
            for j, name in enumerate(names)
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(product=product, sku=f"B{i}-{j}-{k}", name=f"{k + 1} kg", price=Decimal(100 + j * 5 + k * 90))
            for j, product in enumerate(products)
            for k in range(args.variants)
        ]
    )
    ProductMedia.objects.bulk_create(
        [ProductMedia(product=p, public_id=f"bench/{i}/{p.pk}", position=0) for p in products]
    )
    levels = StockLevel.objects.bulk_create(
        [StockLevel(branch=b, variant=v, on_hand=rng.randint(0, 40)) for b in branches for v in variants]
    )
    by_product: dict[int, list[int]] = {}
    for v in variants:
        by_product.setdefault(v.product_id, []).append(v.pk)
    return Shop(
        merchant_id=merchant.pk,
        slug=merchant.slug,
        schema=merchant.schema_name,
        branches=[b.pk for b in branches],
        products=[(p.pk, name, by_product[p.pk]) for p, name in zip(products, names, strict=True)],
        variants=[v.pk for v in variants],
        available={(sl.branch_id, sl.variant_id): sl.on_hand for sl in levels},
    )


# ---------------------------------------------------------------------------------------------------------------
# Throughput: listings_rebuild against plain INSERT ... SELECT baselines
# ---------------------------------------------------------------------------------------------------------------


def throughput_measure(shops: list[Shop], rows_expected: int) -> dict[str, Any]:
    """Rows/s of two plain baselines and of listings_rebuild (into an empty index, then over the full one), each over
    every merchant; the rows each produced, checked against `rows_expected`."""
    # Django is set up in run(): the models and the sync can be imported.
    from django.db import connection
    from django_tenants.utils import schema_context

    from marketplace.listings import sync
    from tenant_apps.stores.models import Branch

    with connection.cursor() as cursor:
        for table in ("bench_listing_plain", "bench_listing_source"):
            cursor.execute(f"CREATE TABLE public.{table} (LIKE public.listings_listing INCLUDING ALL)")

    plain_columns = sync._COLUMNS + ", version, indexed_at"
    plain_sql = f"""
        INSERT INTO public.bench_listing_plain ({plain_columns})
        SELECT %(merchant_id)s, b.id, v.id, p.id, s.id, %(merchant_slug)s, s.name, s.slug, b.name, p.name,
               v.name, p.description, p.category_id, COALESCE(p.attributes -> 'tags', '[]'::jsonb), v.sku, v.price,
               v.price, v.currency, COALESCE(sl.available, 0) > 0, GREATEST(COALESCE(sl.available, 0), 0), '',
               b.latitude, b.longitude, 0, 0, 0, b.offers_pickup, b.offers_delivery, b.delivery_radius_km,
               NULL, p.updated_at, p.created_at, 0, 0, now()
        FROM "{{schema}}".catalog_variant v
        JOIN "{{schema}}".catalog_product p ON p.id = v.product_id
        JOIN "{{schema}}".stores_store s ON s.id = p.store_id
        JOIN "{{schema}}".stores_branch b ON b.store_id = s.id
        LEFT JOIN "{{schema}}".inventory_stocklevel sl ON sl.branch_id = b.id AND sl.variant_id = v.id
        WHERE p.status = 'active' AND v.is_active AND s.is_active AND b.is_active
    """
    source_sql = (
        f"INSERT INTO public.bench_listing_source ({plain_columns}) SELECT {sync._COLUMNS}, 0, now() "
        f"FROM ({sync._SOURCE.format(scope='TRUE')}) AS src"
    )

    def plain_insert(shop: Shop) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                plain_sql.format(schema=shop.schema), {"merchant_id": shop.merchant_id, "merchant_slug": shop.slug}
            )
            return cursor.rowcount

    def source_insert(shop: Shop) -> int:
        with schema_context(shop.schema):
            branches = list(Branch.objects.values_list("pk", "latitude", "longitude"))
            params = {"merchant_id": shop.merchant_id, "merchant_slug": shop.slug, **sync._geo_params(branches)}
            with connection.cursor() as cursor:
                cursor.execute(source_sql, params)
                return cursor.rowcount

    def rebuild(shop: Shop) -> int:
        return sync.listings_rebuild(schema=shop.schema).upserted

    def timed(label: str, fn) -> dict[str, float]:
        started = time.perf_counter()
        rows = sum(fn(shop) for shop in shops)
        seconds = time.perf_counter() - started
        connection.set_schema_to_public()
        result = {"rows": rows, "seconds": seconds, "rate": rows / seconds}
        print(
            f"{label:<62} {rows:>7,} rows in {seconds:6.2f} s = {result['rate']:>9,.0f} rows/s "
            f"({seconds * 1000 / len(shops):.1f} ms/merchant)",
            flush=True,
        )
        return result

    plain = timed("Baseline: plain INSERT ... SELECT (no h3/tsvector/image/version)", plain_insert)
    source = timed("Baseline: sync's _SOURCE SELECT, plain INSERT (no upsert/delete)", source_insert)
    rebuild_empty = timed("listings_rebuild per merchant, empty index", rebuild)
    rebuild_full = timed("listings_rebuild per merchant, over the full index (updates)", rebuild)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM public.listings_listing), (SELECT count(*) FROM public.bench_listing_plain),"
            " (SELECT count(*) FROM public.bench_listing_source),"
            " (SELECT count(*) FROM public.listings_listing WHERE search IS NOT NULL AND h3_r8 <> 0"
            "  AND image_public_id <> '')"
        )
        n_index, n_plain, n_source, n_complete = cursor.fetchone()
        cursor.execute("ANALYZE public.listings_listing")
    counts_ok = n_index == n_plain == n_source == n_complete == rows_expected
    print(
        f"Rows: index {n_index:,} ({n_complete:,} with tsvector, h3 and image), plain copy {n_plain:,}, "
        f"source copy {n_source:,}, expected {rows_expected:,} -> {'OK' if counts_ok else 'MISMATCH'}"
    )
    ratio_empty = plain["rate"] / rebuild_empty["rate"]
    ratio_full = plain["rate"] / rebuild_full["rate"]
    print(
        f"Plain INSERT ... SELECT is {ratio_empty:.1f}x the rows/s of listings_rebuild into an empty index, "
        f"{ratio_full:.1f}x over a full index; the sync's SELECT alone is {plain['rate'] / source['rate']:.1f}x slower "
        f"than the plain one"
    )
    return {
        "plain": plain,
        "source": source,
        "rebuild_empty": rebuild_empty,
        "rebuild_full": rebuild_full,
        "counts_ok": counts_ok,
    }


# ---------------------------------------------------------------------------------------------------------------
# Lag: a steady stream of edits through the real services, a poller watching the index
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class LagRun:
    stream: Stream
    measured: list[Edit]
    missing: list[Edit]
    lags: list[float]
    all: dict[str, float]  # stats() of the measured lags
    achieved: float  # measured edits per second


def edit_apply(shop: Shop, seq: int, *, measure_from: float, stop_at: float) -> Edit:
    """The shop's next edit (kinds in turn) through the real service, with `seq` as its unique marker."""
    # Django is set up in run(): the models and services can be imported.
    from django_tenants.utils import schema_context

    from tenant_apps.catalog.models import Product, Variant
    from tenant_apps.catalog.services import product_update, variant_update
    from tenant_apps.inventory.services import stock_receive

    c, shop.edits = shop.edits, shop.edits + 1
    kind, r = KINDS[c % len(KINDS)], c // len(KINDS)
    with schema_context(shop.schema):
        began = time.perf_counter()
        if kind == "name":
            product_id, base, variant_ids = shop.products[r % len(shop.products)]
            expect: Any = f"{base} #{seq}"
            product_update(product=Product(pk=product_id), name=expect)
            key = (shop.merchant_id, shop.branches[r % len(shop.branches)], variant_ids[0])
        elif kind == "price":
            variant_id = shop.variants[(r * 2 + 1) % len(shop.variants)]
            expect = (Decimal(1000) + Decimal(seq) / 100).quantize(Decimal("0.01"))
            variant_update(variant=Variant(pk=variant_id), price=expect)
            key = (shop.merchant_id, shop.branches[r % len(shop.branches)], variant_id)
        else:
            branch_id = shop.branches[r % len(shop.branches)]
            variant_id = shop.variants[(r * 3) % len(shop.variants)]
            quantity = 1 + seq % 5
            stock_receive(branch_id=branch_id, variant_id=variant_id, quantity=quantity, actor_id=None)
            shop.available[(branch_id, variant_id)] += quantity
            expect = shop.available[(branch_id, variant_id)]
            key = (shop.merchant_id, branch_id, variant_id)
        committed = time.perf_counter()
    return Edit(seq, kind, key, expect, began, committed, measured=measure_from <= committed < stop_at)


def shows(e: Edit, row: tuple) -> bool:
    """Whether a Listing row (title, price, available) shows edit `e`."""
    title, price, available = row
    if e.kind == "name":
        return title == e.expect
    if e.kind == "price":
        return price == e.expect
    return available >= e.expect  # stock only grows here: a later receipt also shows this one


def editor(
    args: argparse.Namespace,
    index: int,
    shops: list[Shop],
    stream: Stream,
    t0: float,
    measure_from: float,
    stop_at: float,
) -> None:
    """Editing thread `index`: its share of the shops, round-robin, at its share of the rate."""
    from django.db import connection  # Django is set up in run()

    mine = shops[index :: args.threads]
    interval = args.threads / args.rate
    next_at = t0 + index / args.rate
    k = 0
    try:
        while next_at < stop_at:
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            shop = mine[k % len(mine)]
            k += 1
            next_at += interval
            try:
                done = edit_apply(shop, next(stream.seq), measure_from=measure_from, stop_at=stop_at)
            except Exception as exc:  # counted and reported; the stream goes on
                with stream.lock:
                    stream.errors.append(f"{shop.slug}: {exc!r}")
                continue
            with stream.lock:
                stream.edits.append(done)
                stream.pending[done.seq] = done
    finally:
        connection.close()


def poller(args: argparse.Namespace, stream: Stream, queue: str, poll_stop: threading.Event) -> None:
    """Poll the index for the pending edits' rows every --poll-ms; an edit arrives at the first poll that sees it.
    Samples the broker queue's depth every ~250 ms."""
    # Django is set up in run().
    from django.db import connection

    from config.celery import app

    depth_every = max(1, int(250 / args.poll_ms))
    try:
        with app.connection_for_write() as conn:
            redis = conn.default_channel.client
            while not poll_stop.is_set():
                with stream.lock:
                    snapshot = list(stream.pending.values())
                if snapshot:
                    keys = sorted({e.key for e in snapshot})
                    issued = time.perf_counter()  # the statement's snapshot is taken after this instant
                    with connection.cursor() as cursor:
                        cursor.execute(POLL_SQL, [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]])
                        rows = {tuple(r[:3]): r[3:] for r in cursor.fetchall()}
                    stream.poll_ms.append((time.perf_counter() - issued) * 1000)
                    arrived = [e for e in snapshot if e.key in rows and shows(e, rows[e.key])]
                    with stream.lock:
                        for e in arrived:
                            # a newer name/price on the same row also settles the older edits it overwrote
                            older = [
                                o
                                for o in stream.pending.values()
                                if o.key == e.key and o.kind == e.kind and o.seq < e.seq
                            ]
                            for o in [e, *older]:
                                if o.arrived is None:
                                    o.arrived = issued
                                stream.pending.pop(o.seq, None)
                stream.polls += 1
                if stream.polls % depth_every == 0:
                    stream.queue_depth.append(int(redis.llen(queue)))
                time.sleep(args.poll_ms / 1000)
    finally:
        connection.close()


def lag_measure(args: argparse.Namespace, shops: list[Shop], workers: CeleryWorkers) -> LagRun:
    """The edit stream (warm-up, then --seconds measured), the drain, and what arrived when."""
    from marketplace.listings import sync  # Django is set up in run()

    stream = Stream()
    t0 = time.perf_counter() + 0.2
    measure_from = t0 + args.warmup
    stop_at = measure_from + args.seconds
    poll_stop = threading.Event()
    threads = [
        threading.Thread(target=editor, args=(args, i, shops, stream, t0, measure_from, stop_at), name=f"editor-{i}")
        for i in range(args.threads)
    ]
    poll_thread = threading.Thread(target=poller, args=(args, stream, workers.queue, poll_stop), name="poller")
    poll_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stream_end = time.perf_counter()
    drain_deadline = stream_end + args.drain
    while time.perf_counter() < drain_deadline:
        with stream.lock:
            if not stream.pending:
                break
        time.sleep(0.05)
    drained_s = time.perf_counter() - stream_end
    poll_stop.set()
    poll_thread.join()

    measured = [e for e in stream.edits if e.measured]
    missing = [e for e in measured if e.arrived is None]
    lags = [(e.arrived - e.committed) * 1000 for e in measured if e.arrived is not None]
    lag = stats(lags)
    service_ms = [(e.committed - e.started) * 1000 for e in measured]
    achieved = len(measured) / args.seconds
    pending_after = sync.schemas_with_pending_events([s.schema for s in shops])

    print(
        f"Edits: {len(stream.edits)} in total, {len(measured)} measured ({achieved:.1f}/s achieved of "
        f"{args.rate:g}/s), {len(stream.errors)} errors; drained in {drained_s:.1f} s"
    )
    for error in stream.errors[:5]:
        print(f"  ERROR {error}")
    print(
        f"Edit service call (the merchant's write, commit and kick): p50 {fmt_ms(statistics.median(service_ms))} ms, "
        f"p99 {fmt_ms(percentile(service_ms, 99))} ms"
        if service_ms
        else "Edit service call: no measured edits"
    )
    print(
        f"Lag, all kinds (n={lag['n']}): p50 {fmt_ms(lag['p50'])} ms, p90 {fmt_ms(lag['p90'])} ms, "
        f"p99 {fmt_ms(lag['p99'])} ms, max {fmt_ms(lag['max'])} ms"
        + (f", mean {fmt_ms(lag['mean'])} ms" if lags else "")
    )
    for kind in KINDS:
        kind_lags = [(e.arrived - e.committed) * 1000 for e in measured if e.kind == kind and e.arrived is not None]
        if kind_lags:
            s = stats(kind_lags)
            print(
                f"  {kind:<6} (n={s['n']}): p50 {fmt_ms(s['p50'])} ms, p99 {fmt_ms(s['p99'])} ms, "
                f"max {fmt_ms(s['max'])} ms"
            )
    print(f"Never arrived (after {args.drain:g} s drain): {len(missing)}")
    for e in missing[:5]:
        print(f"  MISSING #{e.seq} {e.kind} row {e.key} expected {e.expect!r}")
    print(f"Outbox: merchants with unpublished events after the drain: {len(pending_after)}")
    if stream.poll_ms:
        print(
            f"Poller: {stream.polls} polls, query p50 {statistics.median(stream.poll_ms):.1f} ms, "
            f"p99 {percentile(stream.poll_ms, 99):.1f} ms; broker queue depth max "
            f"{max(stream.queue_depth, default=0)}, mean {statistics.fmean(stream.queue_depth or [0]):.1f}"
        )
    task_s: list[float] = []
    task_s += [float(m) for m in _TASK_DONE.findall(workers.logs())]
    if task_s:
        task_ms = [s * 1000 for s in task_s]
        print(
            f"Worker tasks (listings_publish, from the worker logs): {len(task_ms)} run for {len(stream.edits)} "
            f"edits, run time p50 {fmt_ms(statistics.median(task_ms))} ms, p99 {fmt_ms(percentile(task_ms, 99))} ms, "
            f"max {fmt_ms(max(task_ms))} ms; busy {sum(task_s):.1f} s of "
            f"{args.workers * args.concurrency * (stream_end - t0):.0f} process-seconds"
        )
    return LagRun(stream, measured, missing, lags, lag, achieved)


if __name__ == "__main__":
    sys.exit(main())
