"""Reels feed benchmark: 100,000 reels of 1,000 merchants around seven Pakistani cities; feed pages over HTTP against
the real web server (the Procfile's, one worker), next to a plain newest-first query, in one run.

Run from the repo root:

    .venv/bin/python benchmarks/reels.py [--reels 100000] [--merchants 1000] [--requests 2000] [--seed 22]
                                         [--redis-db 9] [--keep] [--reuse NAME]

It never touches dev data: it derives a database `<name>_reels` on the same server as DATABASE_URL (or the embedded
server of .data/embedded.env), drops and recreates it, migrates the shared apps and generates the public rows the
feed reads (no tenant schemas): merchants, their branches (`BranchListing`: 1-3 per merchant, placed like search's,
10 % closed now), 30 products per merchant listed at each branch (`Listing`, 10 % out of stock), reels with 1-3
tagged products at one or every branch of their merchant (`ReelCard`, `ReelPlacement`), published over 30 days,
and behaviour totals for 80 % of them; then beat's refresh of the stored scores (timed: scores.placements_refresh).

Measured, from customer locations drawn like the merchants (dense centres, sparse outskirts), radius 10 km:
1. HTTP: GET /api/v1/reels?lat&lng (5 reels) on the Procfile's web server (1 worker), one keep-alive client,
   sequential; 70 % first pages, 20 % second and 10 % third (each by the cursor of the page before); every answer
   must be 200; wall time per request;
2. in process: the same pages through `feed_page` (the statements and Python of the endpoint, without HTTP);
3. baseline: the plain newest-first query (`newest_page`: reels with a branch in the circle, newest first) for the
   same locations, in process.
Prints p50/p90/p99/max of each, the goals (HTTP p50 <= 30 ms, p99 <= 100 ms) and markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database, bench_database_reuse, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, percentile, stats, verdict
from benchmarks.harness.keepalive import KeepAliveClient
from benchmarks.harness.processes import WebServer
from benchmarks.search_data import CITIES, cumulative, place

GOAL_HTTP_P50_MS = 30.0
GOAL_HTTP_P99_MS = 100.0
RADIUS_KM = 10.0
PRODUCTS_PER_MERCHANT = 30
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass(frozen=True)
class Shop:
    id: int
    slug: str
    name: str
    branches: tuple[tuple[int, float, float], ...]  # (branch id, lat, lng)


def shops_create(rng: random.Random, n: int) -> list[Shop]:
    """Merchants (public rows), their branches in BranchListing, their products in Listing at every branch."""
    from marketplace.discovery.geo import cells_of
    from marketplace.listings.models import BranchListing, Listing
    from tenants.models import Merchant

    city_cum = list(cumulative([c.weight for c in CITIES]))
    merchants = Merchant.objects.bulk_create(
        Merchant(name=f"Shop {i}", slug=f"shop-{i:04d}", schema_name=f"m_shop_{i:04d}", status="active")
        for i in range(1, n + 1)
    )
    shops, branch_rows, listing_rows = [], [], []
    now = datetime.now(UTC)
    for merchant in merchants:
        city = rng.choices(CITIES, cum_weights=city_cum)[0]
        branches = []
        for b in range(1, rng.choice((1, 1, 2, 3)) + 1):
            lat, lng, area = place(rng, city, centre=0.70, town=0.22)
            branch_id = merchant.pk * 10 + b
            branches.append((branch_id, lat, lng))
            cells = cells_of(lat, lng)
            common = {"merchant_id": merchant.pk, "branch_id": branch_id, "store_id": merchant.pk * 10}
            common |= {"merchant_slug": merchant.slug, "store_name": merchant.name, "store_slug": "main"}
            branch_rows.append(
                BranchListing(
                    **common,
                    store_description="",
                    branch_name=area,
                    address=area,
                    area=area,
                    city=city.name,
                    latitude=lat,
                    longitude=lng,
                    opening_hours={} if rng.random() < 0.1 else ALL_DAY,
                    version=1,
                    **cells,
                )
            )
            for p in range(1, PRODUCTS_PER_MERCHANT + 1):
                price = rng.choice((90, 150, 240, 390, 590, 720, 1250, 1800, 3400))
                in_stock = rng.random() > 0.1
                listing_rows.append(
                    Listing(
                        **common,
                        branch_name=area,
                        variant_id=merchant.pk * 1000 + p,
                        product_id=merchant.pk * 1000 + p,
                        title=f"Product {p}",
                        sku=f"{merchant.pk}-{p}",
                        price=price,
                        regular_price=price,
                        currency="PKR",
                        in_stock=in_stock,
                        available=5 if in_stock else 0,
                        latitude=lat,
                        longitude=lng,
                        listed_at=now,
                        version=1,
                        **cells,
                    )
                )
        shops.append(Shop(id=merchant.pk, slug=merchant.slug, name=merchant.name, branches=tuple(branches)))
    BranchListing.objects.bulk_create(branch_rows, batch_size=2000)
    Listing.objects.bulk_create(listing_rows, batch_size=1000)
    return shops


def reels_create(rng: random.Random, shops: list[Shop], n: int) -> None:
    """Reels spread over the merchants (a few post much more), their placements, and behaviour totals."""
    from marketplace.discovery.geo import cells_of
    from marketplace.reels.models import ReelCard, ReelPlacement
    from shared_apps.behaviour.models import BehaviourTotal

    weights = [rng.paretovariate(1.5) for _ in shops]
    owners = rng.choices(shops, weights=weights, k=n)
    now = datetime.now(UTC)
    url = "https://res.cloudinary.com/bench/video/upload"
    for start in range(0, n, 10_000):
        cards, placed, totals = [], [], []
        for i in range(start, min(n, start + 10_000)):
            shop = owners[i]
            products = rng.sample(range(1, PRODUCTS_PER_MERCHANT + 1), rng.choice((1, 1, 2, 3)))
            duration = rng.uniform(6, 60)
            cards.append(
                ReelCard(
                    merchant_id=shop.id,
                    reel_id=i + 1,
                    merchant_slug=shop.slug,
                    shop_name=shop.name,
                    store_slug="main",
                    caption=f"Reel {i + 1}",
                    hls_url=f"{url}/sp_auto/r{i}.m3u8",
                    mp4_url=f"{url}/f_auto,q_auto/r{i}.mp4",
                    webm_url=f"{url}/r{i}.webm",
                    poster_url=f"{url}/so_0/r{i}.jpg",
                    duration_s=duration,
                    products=[{"id": shop.id * 1000 + p, "name": f"Product {p}"} for p in products],
                    product_ids=[shop.id * 1000 + p for p in products],
                    published_at=now - timedelta(hours=rng.uniform(0, 30 * 24)),
                    likes=rng.randint(0, 50),
                    saves=rng.randint(0, 20),
                    version=1,
                )
            )
        ReelCard.objects.bulk_create(cards, batch_size=2000)
        for card in cards:
            shop = owners[card.reel_id - 1]
            branches = shop.branches if rng.random() < 0.5 else shop.branches[:1]
            placed += [
                ReelPlacement(
                    card_id=card.pk,
                    merchant_id=shop.id,
                    branch_id=branch_id,
                    latitude=lat,
                    longitude=lng,
                    published_at=card.published_at,
                    **cells_of(lat, lng),
                )
                for branch_id, lat, lng in branches
            ]
            if rng.random() < 0.8:
                views = int(rng.paretovariate(1.2) * 20)
                watches = views
                completion = rng.betavariate(2, 2)
                totals.append(
                    BehaviourTotal(
                        subject="reel",
                        merchant_id=shop.id,
                        subject_id=card.reel_id,
                        views=views,
                        watches=watches,
                        watch_ms=int(watches * completion * card.duration_s * 1000),
                        watch_fraction=watches * completion,
                        completions=int(watches * completion * 0.5),
                        product_taps=int(views * rng.uniform(0, 0.1)),
                        add_to_carts=int(views * rng.uniform(0, 0.03)),
                    )
                )
        ReelPlacement.objects.bulk_create(placed, batch_size=5000)
        BehaviourTotal.objects.bulk_create(totals, batch_size=2000)


def locations(rng: random.Random, n: int) -> list[tuple[float, float]]:
    city_cum = list(cumulative([c.weight for c in CITIES]))
    return [
        (round(lat, 5), round(lng, 5))
        for lat, lng, _ in (
            place(rng, rng.choices(CITIES, cum_weights=city_cum)[0], centre=0.6, town=0.3) for _ in range(n)
        )
    ]


@dataclass
class Request:
    lat: float
    lng: float
    depth: int  # 1, 2 or 3: which page


def requests_draw(rng: random.Random, n: int) -> list[Request]:
    return [Request(lat, lng, rng.choices((1, 2, 3), weights=(7, 2, 1))[0]) for lat, lng in locations(rng, n)]


def http_pass(port: int, requests: list[Request]) -> tuple[list[float], int]:
    """Wall ms of each page (the pages before it are read, untimed, for their cursors); reels returned in all."""
    import orjson

    client = KeepAliveClient(port)
    timings, shown = [], 0
    try:
        for request in requests:
            cursor = None
            for page in range(1, request.depth + 1):
                params = {"lat": request.lat, "lng": request.lng, "radius_km": RADIUS_KM}
                if cursor:
                    params["cursor"] = cursor
                started = time.perf_counter()
                status, body = client.get("/api/v1/reels?" + urlencode(params))
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise RuntimeError(f"{status} for {params}: {body[:300]!r}")
                data = orjson.loads(body)
                cursor = data["next_cursor"]
                if page == request.depth:
                    timings.append(elapsed)
                    shown += len(data["reels"])
                if not cursor:
                    if page < request.depth:
                        timings.append(elapsed)  # the feed ended early here: its last page is what was asked
                    break
    finally:
        client.close()
    return timings, shown


def in_process_pass(requests: list[Request]) -> list[float]:
    from marketplace.reels.selectors import FeedQuery, feed_page

    timings = []
    for request in requests:
        cursor = None
        for page in range(1, request.depth + 1):
            query = FeedQuery(lat=request.lat, lng=request.lng, radius_km=RADIUS_KM, cursor=cursor)
            started = time.perf_counter()
            result = feed_page(query)
            elapsed = (time.perf_counter() - started) * 1000
            cursor = result.next_cursor
            if page == request.depth or not cursor:
                timings.append(elapsed)
                break
    return timings


def newest_pass(requests: list[Request]) -> list[float]:
    from marketplace.reels.selectors import newest_page

    timings = []
    for request in requests:
        started = time.perf_counter()
        newest_page(lat=request.lat, lng=request.lng, radius_km=RADIUS_KM, limit=5 * request.depth)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def line(label: str, ms: list[float]) -> tuple[str, str]:
    s = stats(ms)
    return label, f"p50 {fmt_ms(s['p50'])}  p90 {fmt_ms(s['p90'])}  p99 {fmt_ms(s['p99'])}  max {fmt_ms(s['max'])}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reels", type=int, default=100_000)
    parser.add_argument("--merchants", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--redis-db", type=int, default=9, help="Redis database number for the run (default 9)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", metavar="NAME", help="measure an existing kept database (no generation)")
    parser.add_argument("--db-name", default=None)
    args = parser.parse_args()
    run_started = time.perf_counter()
    redis_database_use(args.redis_db)
    if args.reuse:
        bench_database_reuse(args.reuse)
        return measure(args, run_started, setup={})
    with bench_database(name=args.db_name, suffix="reels", keep=args.keep):
        django_start(quiet=True)
        setup = {"migrate": shared_apps_migrate()}
        rng = random.Random(args.seed)
        started = time.perf_counter()
        shops = shops_create(rng, args.merchants)
        setup["shops, branches, listings"] = time.perf_counter() - started
        started = time.perf_counter()
        reels_create(rng, shops, args.reels)
        setup["reels, placements, totals"] = time.perf_counter() - started
        return measure(args, run_started, setup=setup)


def measure(args: argparse.Namespace, run_started: float, *, setup: dict[str, float]) -> int:
    if not setup:
        django_start(quiet=True)
    from django.db import connection

    from marketplace.reels.models import ReelCard, ReelPlacement
    from marketplace.reels.scores import placements_refresh

    started = time.perf_counter()
    refreshed = placements_refresh()
    refresh_s = time.perf_counter() - started
    started = time.perf_counter()
    again = placements_refresh()
    refresh_again_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reels_feed_reelplacement")
        cursor.execute("ANALYZE")
    pg = postgres_settings("shared_buffers", "work_mem", "jit")
    report.section("Machine and data")
    report.rows_print(report.machine_rows(pg, database_server(), shown=("shared_buffers", "work_mem", "jit")))
    cards, placements = ReelCard.objects.count(), ReelPlacement.objects.count()
    report.rows_print(
        [
            ("Data", f"{cards:,} reels, {placements:,} placements, {args.merchants:,} merchants"),
            *((f"setup {k}", f"{v:.1f} s") for k, v in setup.items()),
            ("beat refresh", f"{refresh_s:.1f} s first ({refreshed.scores:,} scores written), {refresh_again_s:.1f} s "
             f"again ({again.scores:,} written)"),
        ],
        width=28,
    )  # fmt: skip

    rng = random.Random(args.seed + 1)
    requests = requests_draw(rng, args.requests)
    warmup = requests_draw(random.Random(args.seed + 2), min(200, args.requests))
    server = WebServer(workers=1)
    try:
        server.wait()
        http_pass(server.port, warmup)
        http_ms, shown = http_pass(server.port, requests)
    finally:
        server.stop()
    in_process_pass(warmup)
    process_ms = in_process_pass(requests)
    newest_pass(warmup)
    newest_ms = newest_pass(requests)

    report.section(f"Feed pages: {len(http_ms):,} requests, radius {RADIUS_KM:g} km, 5 reels a page")
    rows = [
        line("HTTP feed", http_ms),
        line("in process feed", process_ms),
        line("newest-first SQL", newest_ms),
    ]
    report.rows_print(rows, width=20)
    print(f"reels shown per page: {shown / max(1, len(http_ms)):.2f}")
    http = stats(http_ms)
    ok50, ok99 = http["p50"] <= GOAL_HTTP_P50_MS, http["p99"] <= GOAL_HTTP_P99_MS
    report.section("Goals")
    report.rows_print(
        [
            (f"HTTP p50 <= {GOAL_HTTP_P50_MS:g} ms", f"{fmt_ms(http['p50'])}  {verdict(ok50)}"),
            (f"HTTP p99 <= {GOAL_HTTP_P99_MS:g} ms", f"{fmt_ms(http['p99'])}  {verdict(ok99)}"),
        ],
        width=24,
    )
    report.section("Markdown (docs/benchmarks.md)")
    print(
        f"\n{report.machine_line()}; {pg['version'].split(' on ')[0]} ({database_server()}). "
        f"{cards:,} reels ({placements:,} placements) of {args.merchants:,} merchants, {len(http_ms):,} pages "
        f"(70 % first, 20 % second, 10 % third), radius {RADIUS_KM:g} km, web server 1 worker.\n"
    )
    report.markdown_table(
        ("measure", "p50", "p90", "p99", "max"),
        [
            (label, fmt_ms(s["p50"]), fmt_ms(s["p90"]), fmt_ms(s["p99"]), fmt_ms(s["max"]))
            for label, s in (
                ("feed page, HTTP", stats(http_ms)),
                ("feed page, in process", stats(process_ms)),
                ("plain newest-first query", stats(newest_ms)),
            )
        ],
    )
    print(f"\nbeat's score refresh: {refresh_s:.1f} s (all), {refresh_again_s:.1f} s (nothing changed)")
    print(f"p50 check: {percentile(http_ms, 50):.1f} ms")
    report.wall_time(run_started)
    return 0 if ok50 and ok99 else 1


if __name__ == "__main__":
    sys.exit(main())
