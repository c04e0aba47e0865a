"""Flash sale benchmark: 1,000 buyers check out one product with 100 units at the same moment, over HTTP, from
separate client processes, against the real ASGI server — next to a raw SQL conditional-decrement loop in one run.

Run from the repo root:

    .venv/bin/python benchmarks/flash_sale.py [--buyers 1000] [--units 100] [--processes 8] [--keep]

It never touches dev data: it derives a database `<name>_flash` on the same server as DATABASE_URL (or the embedded
server of .data/embedded.env), drops and recreates it, migrates the shared apps and provisions one merchant (one
store, one branch, the sale product with `--units` in stock, plus a warm-up product and two baseline levels).
Redis: database `--redis-db` (default 7) of the REDIS_URL server, tasks on a queue of their own that is deleted at
the end (no worker runs: the after-commit kicks and texts are only queued).

Setup (not timed): the buyers are guests made through the services (`guest_create`, a guest token each, one unit of
the product in each cart with `cart_item_add`); the server is the Procfile's web command on a free port from
8300 with the Procfile web line's variables (DB_POOL_MAX_SIZE) and worker count; warm-up checkouts of another
product reach every worker before the sale.

Measured:
1. HTTP: `--processes` client processes (spawned, no Django) each open one connection per buyer of theirs and send
   `POST /api/v1/checkout` (guest Bearer token, a fresh Idempotency-Key, cash on delivery) for all of them at once (a
   minimal HTTP/1.1 client on non-blocking sockets: see http_client), released together; wall time from the first
   request sent to the last answer. Every answer must be 201 or 409 `out_of_stock`; exactly `--units` orders; a
   watcher samples the level's `available` on its own connection during the sale; afterwards the level must be
   on_hand = reserved = units, available 0, the ledger must sum to it, and there must be exactly `--units` customer
   orders, merchant orders, parts and intents.
2. raw SQL: the same number of buyers against PostgreSQL directly, from the same number of client processes holding
   as many sessions in total as the server (workers x threads, or x DB_POOL_MAX_SIZE): (a) the bare conditional
   decrement `UPDATE inventory_stocklevel SET reserved = reserved + 1 WHERE ... AND available >= 1` in autocommit;
   (b) the same UPDATE plus its ledger row in one transaction. Each on a level of its own with `--units` units.
Prints checkouts/s over all requests, orders/s until sold out, p50/p90/p99/max latency, CPU per request (server,
its PostgreSQL sessions, clients), then markdown for docs/benchmarks.md. Exit status 0 only if nothing was oversold,
every answer was 201 or 409 and the throughput goal was met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database, conninfo, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, latency, stats, verdict
from benchmarks.harness.processes import (
    WebServer,
    celery_queue_drop,
    process_cpu_s,
    run_clients,
    shares,
)
from benchmarks.harness.procfile import option_value, procfile_line, procfile_web, web_label
from benchmarks.harness.shop import BenchShop, ProductSpec, shop_open

GOAL_CHECKOUTS_PER_S = 300.0
BODY = {"payment_method": "cod", "contact_phone": "03001234567", "contact_name": "Flash buyer"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--buyers", type=int, default=1000, help="buyers, all at once (default 1,000)")
    parser.add_argument("--units", type=int, default=100, help="units of the product on sale (default 100)")
    parser.add_argument("--processes", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--warmup", type=int, default=40, help="warm-up checkouts of another product (default 40)")
    parser.add_argument(
        "--sql-sessions", type=int, default=0, help="raw SQL sessions in all (default: workers x DB_POOL_MAX_SIZE)"
    )
    parser.add_argument("--workers", type=int, default=0, help="web server workers (default: the Procfile web line's)")
    parser.add_argument("--pool", type=int, default=0, help="DB_POOL_MAX_SIZE (default: the Procfile web line's)")
    parser.add_argument("--redis-db", type=int, default=7, help="Redis database number for the run (default 7)")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_flash)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if args.buyers < 1 or args.units < 1 or args.processes < 1 or args.processes > args.buyers:
        parser.error("need --buyers, --units >= 1 and 1 <= --processes <= --buyers")

    run_started = time.perf_counter()
    redis_database_use(args.redis_db)
    queue = f"bench-flash-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_QUEUE"] = queue  # settings read it once: this process's and the server's tasks go there
    with bench_database(name=args.db_name, suffix="flash", keep=args.keep) as (bench_url, bench_name):
        try:
            return run(args, conninfo(bench_url), bench_name, run_started)
        finally:
            celery_queue_drop(queue)  # the texts and publish kicks no worker took


def run(args: argparse.Namespace, dsn: str, bench_name: str, run_started: float) -> int:
    django_start(quiet=True)
    report.section("Setup (not timed)")
    print(f"migrate_schemas --shared                {shared_apps_migrate():6.1f} s")
    started = time.perf_counter()
    shop = shop_create(args)
    print(f"merchant, branch, 4 products, stock     {time.perf_counter() - started:6.1f} s")
    started = time.perf_counter()
    warm_tokens = buyers_create(args.warmup, shop.listings["warmup"])
    sale_tokens = buyers_create(args.buyers, shop.listings["sale"])
    print(
        f"{args.buyers:,} buyers + {args.warmup} warm-up buyers (guest, token, one unit in the cart, via services) "
        f"{time.perf_counter() - started:6.1f} s"
    )
    from django.db import connection  # Django is set up now

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    web_env, workers = procfile_web()
    workers = args.workers or workers
    if args.pool:
        web_env["DB_POOL_MAX_SIZE"] = str(args.pool)
    pool = int(web_env.get("DB_POOL_MAX_SIZE", "0") or 0)
    threads = int(option_value(procfile_line("web")[1], "--blocking-threads", "1"))
    sql_sessions = args.sql_sessions or max(args.processes, workers * (pool or threads))
    pg = postgres_settings("server_version", "shared_buffers", "synchronous_commit", "max_connections")
    from django.conf import settings  # (as above)

    report.section("Machine and settings")
    report.rows_print(
        report.machine_rows(pg, database_server(), shown=("shared_buffers", "synchronous_commit", "max_connections"))
    )
    report.rows_print(
        [
            (
                "Redis",
                f"{report.redact(settings.REDIS_URL)} (Celery queue {settings.CELERY_TASK_DEFAULT_QUEUE}, no worker)",
            ),
            ("Django", report.versions("django-tenants", "django-ninja", "psycopg", "httpx")),
            ("Bench database", bench_name),
            ("Server", f"{web_label(workers=workers)}, Procfile env {web_env or 'none'}"),
            (
                "Sale",
                f"{args.buyers:,} buyers x 1 unit, {args.units} units; {args.processes} client processes "
                f"(~{args.buyers // args.processes} buyers and connections each); raw SQL {sql_sessions} sessions",
            ),
        ]
    )

    sale = http_sale(args, dsn, shop, warm_tokens, sale_tokens, web_env=web_env, workers=workers)
    checks, level, watcher_lowest = sale_checks(args, shop, sale)
    oversold = max(0, level.reserved - level.on_hand) + max(0, len(sale["won"]) - args.units)
    sql = raw_sql_measure(args, dsn, shop, sql_sessions)
    oversold += sum(max(0, v["level"][1] - v["level"][0]) for v in sql.values())

    http = sale["http"]
    rate_ok = http["rate"] >= GOAL_CHECKOUTS_PER_S
    answers_ok = checks["every other answer 409 out_of_stock"]
    correct = oversold == 0 and all(ok for name, ok in checks.items() if name != "every other answer 409 out_of_stock")
    report.section("Goals")
    print(f"{verdict(rate_ok)}  >= {GOAL_CHECKOUTS_PER_S:.0f} checkouts/s over HTTP: {http['rate']:,.1f}")
    print(f"{verdict(correct)}  0 oversell, exact orders, ledger consistent")
    print(f"{verdict(answers_ok)}  every answer 201 or 409 out_of_stock (no errors)")

    report.section("Markdown (docs/benchmarks.md)")
    print()
    print(
        f"{report.machine_line()}, load average {os.getloadavg()[0]:.2f} after the run; PostgreSQL "
        f"{pg['server_version']} ({database_server()}, shared_buffers={pg['shared_buffers']}, synchronous_commit="
        f"{pg['synchronous_commit']}); Python {platform.python_version()}, Django {report.versions()}, "
        f"{web_label(workers=workers)}, "
        f"{', '.join(f'{k}={v}' for k, v in web_env.items()) or 'no Procfile variables'}; {args.buyers:,} buyers "
        f"from {args.processes} client processes (non-blocking sockets, HTTP/1.1, one connection per buyer), "
        f"{args.units} units."
    )
    print()
    won, lost = sale["won"], sale["lost"]
    report.markdown_table(
        ("Measure", "HTTP checkout", *(f"raw SQL: {v['label']}" for v in sql.values())),
        [
            (
                "Throughput, all attempts",
                f"**{http['rate']:,.0f} checkouts/s**",
                *(f"{v['rate']:,.0f} attempts/s" for v in sql.values()),
            ),
            (
                "Sold out after / orders per s",
                f"{sale['sold_out_s']:.2f} s / {http['orders_rate']:,.0f} orders/s",
                *(f"{v['sold_out_s']:.3f} s / {v['won'] / v['sold_out_s']:,.0f}/s" for v in sql.values()),
            ),
            (
                "Latency, all",
                f"p50 {fmt_ms(http['all']['p50'])} ms, p99 **{fmt_ms(http['all']['p99'])} ms**",
                *(f"p50 {fmt_ms(v['all']['p50'])} ms, p99 {fmt_ms(v['all']['p99'])} ms" for v in sql.values()),
            ),
            (
                "Latency, 201 / 409",
                f"p50 {fmt_ms(http['won']['p50'])} / {fmt_ms(http['lost']['p50'])} ms, p99 "
                f"{fmt_ms(http['won']['p99'])} / {fmt_ms(http['lost']['p99'])} ms",
                *("" for _ in sql.values()),
            ),
            (
                "CPU per request (server / PostgreSQL / client)",
                f"{http['cpu'][0]:.1f} / {http['cpu'][1]:.1f} / {http['cpu'][2]:.1f} ms",
                *("" for _ in sql.values()),
            ),
            (
                "Sold / oversold",
                f"{len(won)} orders, {len(lost)} x 409; level {level.on_hand}/{level.reserved}/{level.available}, "
                f"lowest seen {watcher_lowest}",
                *(f"{v['won']}; level {'/'.join(map(str, v['level']))}" for v in sql.values()),
            ),
        ],
    )
    print(
        f"\nGoal ≥ {GOAL_CHECKOUTS_PER_S:.0f} checkouts/s: **{verdict(rate_ok)}**; 0 oversell: "
        f"**{verdict(correct)}**; no errors: **{verdict(answers_ok)}**"
    )
    report.wall_time(run_started)
    return 0 if rate_ok and correct and answers_ok else 1


# ---------------------------------------------------------------------------------------------------------------
# Setup: one shop, four products, the buyers (not timed)
# ---------------------------------------------------------------------------------------------------------------


def shop_create(args: argparse.Namespace) -> BenchShop:
    """One merchant, one branch, the sale product with --units, a warm-up product and two raw SQL levels."""
    products = [
        ProductSpec(key, name, f"FLASH-{key}", "Standard", "49999", units)
        for key, name, units in (
            ("sale", "Flash phone X1", args.units),
            ("warmup", "Warm-up cable", args.warmup + 10),
            ("sql", "Raw SQL level A", args.units),
            ("sql_ledger", "Raw SQL level B", args.units),
        )
    ]
    branch = {
        "name": "Liberty",
        "address": "Liberty Market, Gulberg III, Lahore",
        "area": "Gulberg III",
        "latitude": "31.510200",
        "longitude": "74.344300",
    }
    return shop_open(
        name="Flash Mart", slug="flash-mart", owner_phone="+923009990001", branch=branch, products=products
    )


def buyers_create(n: int, listing_id: int) -> list[str]:
    """`n` guests with one unit of the listing in their carts, through the services; their Bearer tokens."""
    # Django is set up in run(): the services can be imported.
    from marketplace.cart.services import cart_item_add
    from marketplace.cart.shoppers import Shopper
    from shared_apps.accounts.services import guest_create
    from shared_apps.accounts.tokens import guest_token_issue

    tokens = []
    for _ in range(n):
        guest = guest_create()
        cart_item_add(shopper=Shopper(guest_id=guest.pk), listing_id=listing_id, quantity=1)
        tokens.append(guest_token_issue(guest=guest))
    return tokens


# ---------------------------------------------------------------------------------------------------------------
# The sale over HTTP, what it left, and the raw SQL baselines
# ---------------------------------------------------------------------------------------------------------------


def http_sale(
    args: argparse.Namespace,
    dsn: str,
    shop: BenchShop,
    warm_tokens: list[str],
    sale_tokens: list[str],
    *,
    web_env: dict[str, str],
    workers: int,
) -> dict[str, Any]:
    """The warm-up, then every buyer at once; the answers, latencies, throughput and CPU per request."""
    from django.db import connection  # Django is set up in run()

    server = WebServer(env=web_env, workers=workers)
    watcher = LevelWatcher(dsn, shop.schema, shop.levels["sale"])
    try:
        server.wait()
        report.section(f"Warm-up: {args.warmup} checkouts of another product at once, from {workers} processes")
        warm_rows, _ = run_clients(
            http_client, [("127.0.0.1", server.port, share) for share in shares(warm_tokens, workers)]
        )
        warm = Counter(row[2] for row in warm_rows)
        print(f"warm-up answers {dict(warm)}")
        if set(warm) != {201}:
            raise RuntimeError(f"warm-up failed: {warm_rows[:5]}\n{server.output()}")
        report.section(f"HTTP: {args.buyers:,} buyers at once for {args.units} units")
        time.sleep(1.0)
        server_pids = server.pids()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backend_pids = [pid for (pid,) in cursor.fetchall()]  # the server's pooled sessions (and the watcher's)
            cursor.execute(_XACTS)
            xacts_before = cursor.fetchone()
        cpu_before = (process_cpu_s(server_pids), process_cpu_s(backend_pids))
        watcher.start()
        rows, released = run_clients(
            http_client, [("127.0.0.1", server.port, share) for share in shares(sale_tokens, args.processes)]
        )
        cpu_used = (process_cpu_s(server_pids) - cpu_before[0], process_cpu_s(backend_pids) - cpu_before[1])
    finally:
        watcher.stop.set()
        if watcher.is_alive():
            watcher.join(5)
        server_log, server_exceptions = server.output(), server.exceptions()
        server.stop()
    time.sleep(0.5)  # the server's sessions have ended and reported their transaction counts
    with connection.cursor() as cursor:
        cursor.execute(_XACTS)
        commits, rollbacks = (after - before for after, before in zip(cursor.fetchone(), xacts_before, strict=True))

    first = min(r[0] for r in rows)
    last = max(r[1] for r in rows)
    wall = last - first
    won = [r for r in rows if r[2] == 201]
    lost = [r for r in rows if r[2] == 409 and r[3] == "out_of_stock"]
    odd = [r for r in rows if r[2] != 201 and (r[2], r[3]) != (409, "out_of_stock")]
    sold_out_s = max(r[1] for r in won) - first if won else float("nan")
    all_ms = [(r[1] - r[0]) * 1000 for r in rows]
    won_ms = [(r[1] - r[0]) * 1000 for r in won]
    lost_ms = [(r[1] - r[0]) * 1000 for r in lost]
    http = {
        "rate": len(rows) / wall,
        "orders_rate": len(won) / sold_out_s if won else 0.0,
        "all": stats(all_ms),
        "won": stats(won_ms),
        "lost": stats(lost_ms),
    }
    print(
        f"answers: {len(won)} x 201, {len(lost)} x 409 out_of_stock, {len(odd)} other "
        f"{Counter((r[2], r[3]) for r in odd) if odd else ''}"
    )
    print(
        f"wall {wall:.2f} s (first request sent {first - released:+.3f} s after the release); sold out after "
        f"{sold_out_s:.2f} s"
    )
    print(
        f"throughput {http['rate']:,.1f} checkouts/s over all {len(rows):,} requests; "
        f"{http['orders_rate']:,.1f} orders/s until sold out"
    )
    client_ms = sum(r[5] for r in rows) / len(rows) * 1000
    server_ms, backends_ms = (used / len(rows) * 1000 for used in cpu_used)
    http["cpu"] = (server_ms, backends_ms, client_ms)
    available_ms = (os.cpu_count() or 1) * wall / len(rows) * 1000
    print(
        f"CPU per request: web server {server_ms:.1f} ms, PostgreSQL sessions {backends_ms:.1f} ms, client "
        f"{client_ms:.1f} ms (the machine had {os.cpu_count()} cores x {wall:.2f} s = {available_ms:.1f} ms per "
        "request)"
    )
    print(
        f"PostgreSQL transactions during the sale: {commits:,} committed, {rollbacks:,} rolled back (a rollback: a "
        "checkout that priced a unit, wrote its order and lost the unit at the reservation)"
    )
    print(f"latency all    {latency(http['all'])}")
    print(f"latency 201    {latency(http['won'])}")
    print(f"latency 409    {latency(http['lost'])}")
    if odd:
        print(f"server exceptions: {dict(server_exceptions)}; log tail:\n{server_log[-1500:]}")
    return {
        "http": http,
        "won": won,
        "lost": lost,
        "odd": odd,
        "sold_out_s": sold_out_s,
        "warm_n": len(warm_rows),
        "watcher": watcher,
    }


def sale_checks(args: argparse.Namespace, shop: BenchShop, sale: dict[str, Any]) -> tuple[dict[str, bool], Any, Any]:
    """What the sale left: the level, its ledger, one order of each kind per 201; returns (checks, level, the lowest
    `available` the watcher saw)."""
    # Django is set up in run(): the models can be imported.
    from django.db.models import Sum
    from django_tenants.utils import schema_context

    from marketplace.orders.models import CustomerOrder, CustomerOrderPart
    from shared_apps.payments.models import PaymentIntent
    from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
    from tenant_apps.orders.models import MerchantOrder

    schema, sale_level, won, odd, watcher = (
        shop.schema,
        shop.levels["sale"],
        sale["won"],
        sale["odd"],
        sale["watcher"],
    )
    with schema_context(schema):
        level = StockLevel.objects.get(branch_id=sale_level[0], variant_id=sale_level[1])
        sums = StockMovement.objects.filter(branch_id=sale_level[0], variant_id=sale_level[1]).aggregate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
        )
        reservations = StockMovement.objects.filter(
            branch_id=sale_level[0], variant_id=sale_level[1], reason=MovementReason.RESERVATION
        ).count()
        merchant_orders = MerchantOrder.objects.filter(lines__variant_id=sale_level[1]).count()
    warm_n = sale["warm_n"]
    customer_orders = CustomerOrder.objects.count() - warm_n
    parts = CustomerOrderPart.objects.count() - warm_n
    intents = PaymentIntent.objects.count() - warm_n
    ledger_ok = (sums["on_hand"], sums["reserved"]) == (level.on_hand, level.reserved)
    checks = {
        f"exactly {args.units} answers 201": len(won) == min(args.units, args.buyers),
        "every other answer 409 out_of_stock": not odd,
        f"level on_hand {args.units}, reserved {min(args.units, args.buyers)}": (level.on_hand, level.reserved)
        == (args.units, min(args.units, args.buyers)),
        "available never negative (watcher)": watcher.lowest is not None and watcher.lowest >= 0,
        "ledger sums equal the level": ledger_ok,
        "one reservation, merchant order, customer order, part and intent per 201": reservations
        == merchant_orders
        == customer_orders
        == parts
        == intents
        == len(won),
    }
    report.section("Checks")
    print(
        f"level: on_hand {level.on_hand}, reserved {level.reserved}, available {level.available}; ledger sums "
        f"{sums['on_hand']}/{sums['reserved']}; watcher: lowest available {watcher.lowest} in "
        f"{watcher.samples} samples"
    )
    print(
        f"reservations {reservations}, merchant orders {merchant_orders}, customer orders {customer_orders}, "
        f"parts {parts}, intents {intents}"
    )
    for name, ok in checks.items():
        print(f"{verdict(ok)}  {name}")
    return checks, level, watcher.lowest


def raw_sql_measure(
    args: argparse.Namespace, dsn: str, shop: BenchShop, sql_sessions: int
) -> dict[str, dict[str, Any]]:
    """The same number of buyers against PostgreSQL directly, on levels of their own: the bare conditional UPDATE,
    then the UPDATE and its ledger row in one transaction."""
    # Django is set up in run(): the models can be imported.
    from django_tenants.utils import schema_context

    from tenant_apps.inventory.models import StockLevel

    products = shop.levels
    sql: dict[str, dict[str, Any]] = {}
    for key, ledger, label in (
        ("sql", False, "bare conditional UPDATE, autocommit"),
        ("sql_ledger", True, "conditional UPDATE + ledger INSERT, one transaction"),
    ):
        report.section(
            f"Raw SQL: {args.buyers:,} attempts, {args.processes} processes, {sql_sessions} sessions: {label}"
        )
        per_process = [len(s) for s in shares(list(range(args.buyers)), args.processes)]
        sessions = [len(s) for s in shares(list(range(sql_sessions)), args.processes)]
        sql_rows, _ = run_clients(
            sql_client,
            [
                (dsn, shop.schema, products[key], n, max(1, k), ledger)
                for n, k in zip(per_process, sessions, strict=True)
            ],
        )
        s_first, s_last = min(r[0] for r in sql_rows), max(r[1] for r in sql_rows)
        s_won = [r for r in sql_rows if r[2]]
        with schema_context(shop.schema):
            s_level = StockLevel.objects.get(branch_id=products[key][0], variant_id=products[key][1])
        sql[key] = {
            "label": label,
            "rate": len(sql_rows) / (s_last - s_first),
            "won": len(s_won),
            "sold_out_s": max(r[1] for r in s_won) - s_first if s_won else float("nan"),
            "all": stats([(r[1] - r[0]) * 1000 for r in sql_rows]),
            "level": (s_level.on_hand, s_level.reserved, s_level.available),
        }
        print(
            f"{len(s_won)} reserved, level {sql[key]['level']}; {sql[key]['rate']:,.0f} attempts/s; "
            f"latency {latency(sql[key]['all'])}"
        )
    return sql


# ---------------------------------------------------------------------------------------------------------------
# Client processes (spawned: no Django, no inherited connections)
# ---------------------------------------------------------------------------------------------------------------


def http_client(host: str, port: int, tokens: list[str], ready, start, results) -> None:
    """One client process: all its buyers at once after `start`, each on a connection of its own; puts a list of
    (sent, answered, status, code, replayed, client CPU per request) with perf_counter times (CLOCK_MONOTONIC:
    comparable across processes).

    A minimal HTTP/1.1 client on non-blocking sockets and one epoll selector (request written in one piece,
    `Connection: close`, response read to EOF), the requests composed before the start: the load generator shares
    the machine's cores with the server it measures, so its cost per request must be small; a client library's own
    CPU per request was many times the server's (docs/benchmarks.md, flash sale)."""
    import resource  # a spawned client imports only what it uses
    import selectors  # (as above)

    body = json.dumps(BODY).encode()
    requests = [
        (
            f"POST /api/v1/checkout HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: {uuid.uuid4().hex}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
        for token in tokens
    ]
    ready.wait()
    start.wait()
    before = resource.getrusage(resource.RUSAGE_SELF)
    selector = selectors.DefaultSelector()
    rows: list[tuple] = []
    for request in requests:
        sock = socket.socket()
        sock.setblocking(False)
        sent = time.perf_counter()
        sock.connect_ex((host, port))  # EINPROGRESS: writable once connected
        selector.register(sock, selectors.EVENT_WRITE, [sent, memoryview(request), []])
    while len(rows) < len(requests):
        for key, events in selector.select():
            sock, state = key.fileobj, key.data
            try:
                if events & selectors.EVENT_WRITE:
                    if error := sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        raise OSError(error, os.strerror(error))
                    state[1] = state[1][sock.send(state[1]) :]
                    if not state[1]:
                        selector.modify(sock, selectors.EVENT_READ, state)
                    continue
                chunk = sock.recv(65536)
                if chunk:
                    state[2].append(chunk)
                    continue
                rows.append((state[0], time.perf_counter(), b"".join(state[2])))
            except OSError as exc:
                rows.append((state[0], time.perf_counter(), exc))
            selector.unregister(sock)
            sock.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / len(rows)
    results.put([(*_answer(sent, answered, raw), cpu) for sent, answered, raw in rows])


def _answer(sent: float, answered: float, raw: bytes | OSError) -> tuple:
    """(sent, answered, status, code, replayed) of one raw HTTP response (status 0 and the error's name if none)."""
    if isinstance(raw, OSError):
        return sent, answered, 0, type(raw).__name__, False
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    replayed = any(line.lower().startswith("idempotent-replayed:") for line in lines[1:])
    code = ""
    if status != 201:
        try:
            code = json.loads(payload).get("code", "")
        except ValueError:
            code = payload[:80].decode("latin1")
    return sent, answered, status, code, replayed


def sql_client(
    conninfo: str, schema: str, level: tuple[int, int], n: int, sessions: int, ledger: bool, ready, start, results
) -> None:
    """One raw SQL client process: `sessions` threads with a connection each take turns at `n` conditional
    decrements of the level; puts (sent, answered, reserved?) per attempt."""
    import psycopg  # a spawned client imports only what it uses

    branch_id, variant_id = level
    update = (
        f'UPDATE "{schema}".inventory_stocklevel SET reserved = reserved + 1, updated_at = now() '
        "WHERE branch_id = %s AND variant_id = %s AND available >= 1 RETURNING on_hand"
    )
    insert = (
        f'INSERT INTO "{schema}".inventory_stockmovement (branch_id, variant_id, reason, on_hand_delta, '
        "reserved_delta, on_hand_after, reference, note, created_at) "
        "VALUES (%s, %s, 'reservation', 0, 1, %s, 'raw-sql', '', now())"
    )
    todo = list(range(n))
    lock = threading.Lock()
    out: list[tuple] = []
    conns = [psycopg.connect(conninfo, autocommit=not ledger) for _ in range(sessions)]

    def work(conn) -> None:
        mine = []
        while True:
            with lock:
                if not todo:
                    break
                todo.pop()
            sent = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(update, (branch_id, variant_id))
                row = cur.fetchone()
                if ledger:
                    if row:
                        cur.execute(insert, (branch_id, variant_id, row[0]))
                    conn.commit()
            mine.append((sent, time.perf_counter(), row is not None))
        with lock:
            out.extend(mine)

    ready.wait()
    start.wait()
    threads = [threading.Thread(target=work, args=(conn,)) for conn in conns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for conn in conns:
        conn.close()
    results.put(out)


_XACTS = "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()"


class LevelWatcher(threading.Thread):
    """Samples a stock level's `available` on its own connection until stopped: the lowest value ever seen."""

    def __init__(self, conninfo: str, schema: str, level: tuple[int, int]) -> None:
        super().__init__(daemon=True)
        self.conninfo, self.schema, self.level = conninfo, schema, level
        self.lowest: int | None = None
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg  # the watcher connects on its own thread

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            sql = f'SELECT available FROM "{self.schema}".inventory_stocklevel WHERE branch_id = %s AND variant_id = %s'
            while not self.stop.is_set():
                (value,) = conn.execute(sql, self.level).fetchone()
                self.lowest = value if self.lowest is None else min(self.lowest, value)
                self.samples += 1
                self.stop.wait(0.005)


if __name__ == "__main__":
    sys.exit(main())
