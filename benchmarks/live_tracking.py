"""Live tracking benchmark: 2,000 open Server-Sent Events streams through `make run`'s front, order transitions
committed at a steady rate, the time from each commit to the event on every stream that listens; and the search and
checkout throughput with the streams open against without, in the same run.

Run from the repo root:

    .venv/bin/python benchmarks/live_tracking.py [--streams 2000] [--board-streams 100] [--rate 20] [--duration 30]

A quick check that it works (not a measurement): `--streams 50 --board-streams 5 --rate 5 --duration 4
--load-requests 100`.

It never touches dev data: a database `<name>_live` on the same server as DATABASE_URL (dropped at the end unless
`--keep`), Redis database `--redis-db` (default 8). Setup (not timed): one merchant with one branch (shop_open), the
orders to move (guests checking out through the checkout service: pickup, cash on delivery), guests with a unit in
their carts for the checkout load, and the servers of the Procfile: `front` (Caddy on a free port), `web` (granian
WSGI) and `live` (granian ASGI), each with its Procfile variables.

Measured, in two phases of `--duration` seconds that differ only in the open streams:
1. Without streams: a committer in this process moves orders (placed → accepted → preparing → ready → picked up) at
   `--rate` transitions/s, each in its own transaction, as the shops' staff would; meanwhile `--load-processes`
   client processes send requests through the front for the phase's duration, alternately a search
   (`GET /api/v1/search`, a few words around the branch) and a checkout (`POST /api/v1/checkout` of a guest's cart),
   one keep-alive connection each: requests answered per second.
2. One asyncio client process opens `--streams` streams through the front (each a connection of its own, as a
   browser's EventSource): `--board-streams` of them the branch board's (the owner's Bearer token on the merchant
   host), the rest the customers' order streams (guest Bearer tokens), spread over the orders that phase 3 moves. The
   live process's memory (RSS) is read before and after they open: memory per open stream.
3. With the streams open: the same transitions (other orders, the ones listened to) and the same load as in 1. The
   committer notes the wall clock when each commit (and its after-commit publish) returned; the stream client notes
   when each event id arrives on each stream. Latency = arrival - commit, for every (event, listening stream) pair;
   a pair that never arrives counts as missed.
The transitions run in both phases because they happen whether anyone listens or not (their rows and publishes are
the product's work): the difference between the phases is what the open streams cost. Each phase prints the CPU
seconds that every process used meanwhile. Goals: p99 ≤ 250 ms commit → event, nothing missed, throughput with the
streams ≥ 90 % of without. Exit status 0 only if all are met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import ROOT, django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, latency, stats, verdict
from benchmarks.harness.processes import children_of, free_port, process_cpu_s, run_clients, shares
from benchmarks.harness.procfile import procfile_line
from benchmarks.harness.shop import BenchShop, ProductSpec, shop_open

GOAL_P99_MS = 250.0
GOAL_THROUGHPUT_SHARE = 0.90
MOVES = ("accepted", "preparing", "ready_for_pickup", "picked_up")  # a pickup order, placed → picked up
SEARCH = "/api/v1/search?q=rice&lat=31.5102&lng=74.3443&radius_km=5"
# The stream client reads chunks, not lines: it stands for 2,000 browsers on other machines, so it takes as little of
# this one as it can.
EVENT_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)
BODY = json.dumps({"payment_method": "cod", "contact_phone": "03001234567", "contact_name": "Live load"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=2000, help="open SSE streams in all (default 2,000)")
    parser.add_argument("--board-streams", type=int, default=100, help="of them, branch board streams (default 100)")
    parser.add_argument("--rate", type=float, default=20.0, help="order transitions committed per second (default 20)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each phase (default 30)")
    parser.add_argument(
        "--load-requests", type=int, default=4000, help="most search + checkout requests per phase (default 4,000)"
    )
    parser.add_argument("--load-processes", type=int, default=2, help="load client processes (default 2)")
    parser.add_argument("--redis-db", type=int, default=8, help="Redis database number for the run (default 8)")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_live)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if args.streams < 1 or not 0 <= args.board_streams <= args.streams or args.rate <= 0 or args.duration <= 0:
        parser.error("need --streams >= 1, 0 <= --board-streams <= --streams, --rate and --duration > 0")

    run_started = time.perf_counter()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 3 * args.streams + 200:  # a socket per stream here, in the front and in the live process (inherited)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 3 * args.streams + 200)), hard))
    redis_database_use(args.redis_db)
    os.environ["CELERY_QUEUE"] = f"bench-live-{uuid.uuid4().hex[:8]}"  # texts and kicks are only queued
    with bench_database(name=args.db_name, suffix="live", keep=args.keep) as (_, bench_name):
        return run(args, bench_name, run_started)


def run(args: argparse.Namespace, bench_name: str, run_started: float) -> int:
    django_start(quiet=True)
    report.section("Setup (not timed)")
    print(f"migrate_schemas --shared                {shared_apps_migrate():6.1f} s")
    started = time.perf_counter()
    transitions = int(args.rate * args.duration)
    order_count = max(1, -(-transitions // len(MOVES)))  # per phase
    checkouts = args.load_requests  # both phases: half of each phase's requests are checkouts
    shop = shop_create(2 * order_count + checkouts + 50)
    orders_a, orders_b = orders_place(shop, order_count), orders_place(shop, order_count)
    buyers = buyers_create(checkouts, shop.listings["load"])
    took = time.perf_counter() - started
    print(f"shop, {order_count} orders to move per phase, {checkouts} guests with a cart  {took:6.1f} s")
    pg = postgres_settings("server_version", "shared_buffers", "synchronous_commit")
    report.section("Machine and settings")
    report.rows_print(report.machine_rows(pg, database_server(), shown=("shared_buffers", "synchronous_commit")))
    report.rows_print(
        [
            ("Bench database", bench_name),
            ("Servers", "Procfile front (Caddy) → web (granian WSGI) | live (granian ASGI)"),
            (
                "Streams",
                f"{args.streams:,} ({args.board_streams} branch board, the rest over {order_count} orders); "
                f"{args.rate:g} transitions/s and the load for {args.duration:g} s per phase",
            ),
        ]
    )

    servers = Servers()
    try:
        servers.start()
        report.section(f"Without streams: {args.rate:g} transitions/s and the load for {args.duration:g} s")
        load_a = load_run(args, servers.front_port, buyers[: checkouts // 2], servers.cpu_all, shop, orders_a, [])
        result = streams_run(args, servers, shop, orders_b, buyers[checkouts // 2 :])
    finally:
        servers.stop()

    pairs = result["pairs"]
    ms = [p for p in pairs if p is not None]
    missed = len(pairs) - len(ms)
    summary = stats(ms) if ms else {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": 0.0}
    share = result["load"]["rate"] / load_a["rate"] if load_a["rate"] else 0.0
    p99_ok = bool(ms) and summary["p99"] <= GOAL_P99_MS
    missed_ok = missed == 0 and result["opened"] == args.streams
    share_ok = share >= GOAL_THROUGHPUT_SHARE
    report.section("Results")
    print(f"streams open {result['opened']:,} of {args.streams:,}; events committed {result['events']:,}")
    print(f"commit → event, {len(ms):,} deliveries: {latency(summary)}; missed {missed:,}")
    print(f"live process memory: {result['rss_per_stream_kib']:.1f} KiB per open stream")
    print(f"throughput without streams {load_a['rate']:,.1f} req/s, with {result['load']['rate']:,.1f} ({share:.0%})")
    report.section("Goals")
    print(f"{verdict(p99_ok)}  p99 commit → event ≤ {GOAL_P99_MS:.0f} ms: {fmt_ms(summary['p99'])} ms")
    print(f"{verdict(missed_ok)}  every stream opened and got every event")
    print(f"{verdict(share_ok)}  search + checkout with streams ≥ {GOAL_THROUGHPUT_SHARE:.0%} of without: {share:.0%}")

    report.section("Markdown (docs/benchmarks.md)")
    print(
        f"\n{report.machine_line()}, load average {os.getloadavg()[0]:.2f} after the run; PostgreSQL "
        f"{pg['server_version']}; Python {platform.python_version()}; Procfile front/web/live; {args.streams:,} "
        f"streams ({args.board_streams} board); two phases of {args.duration:g} s, {args.rate:g} order transitions/s "
        "in both, the streams open in the second.\n"
    )
    report.markdown_table(
        ("Measure", "Result", "Goal"),
        [
            (
                "commit → event, every listening stream",
                f"p50 {fmt_ms(summary['p50'])} ms, p99 **{fmt_ms(summary['p99'])} ms**, max "
                f"{fmt_ms(summary['max'])} ms; {len(ms):,} deliveries, {missed} missed",
                f"p99 ≤ {GOAL_P99_MS:.0f} ms: **{verdict(p99_ok and missed_ok)}**",
            ),
            (
                "search + checkout answered through the front",
                f"{load_a['rate']:,.0f} req/s without the streams, {result['load']['rate']:,.0f} with ({share:.0%})",
                f"≥ {GOAL_THROUGHPUT_SHARE:.0%}: **{verdict(share_ok)}**",
            ),
            ("memory per open stream (live process RSS)", f"{result['rss_per_stream_kib']:.1f} KiB", ""),
        ],
    )
    report.wall_time(run_started)
    return 0 if p99_ok and missed_ok and share_ok else 1


# ---------------------------------------------------------------------------------------------------------------
# Setup (not timed)
# ---------------------------------------------------------------------------------------------------------------


def shop_create(units: int) -> BenchShop:
    products = [
        ProductSpec("orders", "Basmati rice 1 kg", "LIVE-RICE", "1 kg", "590", units),
        ProductSpec("load", "Basmati rice 5 kg", "LIVE-RICE-5", "5 kg", "2750", units),
    ]
    branch = {
        "name": "Liberty",
        "address": "Liberty Market, Gulberg III, Lahore",
        "area": "Gulberg III",
        "latitude": "31.510200",
        "longitude": "74.344300",
    }
    return shop_open(name="Live Mart", slug="live-mart", owner_phone="+923009990011", branch=branch, products=products)


def orders_place(shop: BenchShop, n: int) -> list[dict[str, Any]]:
    """`n` pickup orders, cash on delivery, each a guest's checkout through the service: id, token, part number."""
    # Django is set up in run(): the services can be imported.
    from marketplace.cart.services import cart_item_add
    from marketplace.cart.shoppers import Shopper
    from marketplace.checkout.services import CheckoutRequest, checkout_place
    from shared_apps.accounts.services import guest_create
    from shared_apps.accounts.tokens import guest_token_issue

    orders = []
    for _ in range(n):
        guest = guest_create()
        shopper = Shopper(guest_id=guest.pk)
        cart_item_add(shopper=shopper, listing_id=shop.listings["orders"], quantity=1)
        placed = checkout_place(
            shopper=shopper,
            idempotency_key=uuid.uuid4().hex,
            request=CheckoutRequest(payment_method="cod", contact_phone="03001234567"),
        )
        parts = placed.parts or list(placed.order.parts.all())
        orders.append({"id": placed.order.pk, "token": guest_token_issue(guest=guest), "part": parts[0].number})
    return orders


def buyers_create(n: int, listing_id: int) -> list[str]:
    """`n` guests with one unit of the listing in their carts; their Bearer tokens."""
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


def owner_token() -> str:
    """The shop owner's access token (the branch board's streams)."""
    # Django is set up in run(): the models can be imported.
    from shared_apps.accounts.models import User
    from shared_apps.accounts.tokens import token_pair_issue

    return token_pair_issue(user=User.objects.get(phone="+923009990011")).access


# ---------------------------------------------------------------------------------------------------------------
# The Procfile's front, web and live processes
# ---------------------------------------------------------------------------------------------------------------


class Servers:
    """`make run`'s serving processes on free ports, with their Procfile variables (the bench database's URL)."""

    def __init__(self) -> None:
        self.web_port, self.live_port = free_port(), 0
        self.procs: dict[str, subprocess.Popen] = {}
        self.log = tempfile.NamedTemporaryFile(prefix="bench-live-", suffix=".log", delete=False)  # noqa: SIM115

    def _start(self, name: str, port: int, extra_env: dict[str, str] | None = None) -> None:
        env, tokens = procfile_line(name)
        if not tokens:
            sys.exit(f"Procfile has no {name} line")
        if "--port" in tokens:
            tokens[tokens.index("--port") + 1] = str(port)
        full_env = {**os.environ, **env, **(extra_env or {}), "PLANCKLY_DEV": "1", "LOG_LEVEL": "WARNING"}
        self.procs[name] = subprocess.Popen(tokens, cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        _wait_port(port, self.procs[name], name)

    def start(self) -> None:
        self._start("web", self.web_port)
        self.live_port = free_port()
        self._start("live", self.live_port)
        self.front_port = free_port()
        ports = {"FRONT_PORT": str(self.front_port), "WEB_PORT": str(self.web_port), "LIVE_PORT": str(self.live_port)}
        self._start("front", self.front_port, ports)

    def pids(self, name: str) -> list[int]:
        proc = self.procs[name]
        return [proc.pid, *children_of(proc.pid)]

    def live_pids(self) -> list[int]:
        return self.pids("live")

    def cpu_all(self) -> dict[str, float]:
        """CPU seconds used so far by each serving process (with its workers), PostgreSQL and this process (the
        committer's thread)."""
        used = {name: process_cpu_s(self.pids(name)) for name in self.procs}
        return {**used, "postgres": process_cpu_s(postgres_pids()), "bench": process_cpu_s([os.getpid()])}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def _wait_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {port}")


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


# ---------------------------------------------------------------------------------------------------------------
# Load: searches and checkouts through the front
# ---------------------------------------------------------------------------------------------------------------


def load_run(
    args: argparse.Namespace,
    port: int,
    tokens: list[str],
    cpu: Callable[[], dict[str, float]],
    shop: BenchShop,
    orders: list[dict[str, Any]],
    committed: list[tuple[int, str, float]],
) -> dict[str, float]:
    """One phase: the orders moved at --rate and the load through the front for --duration s. Requests answered per
    second, and the CPU seconds each process used meanwhile."""
    per = shares(tokens, args.load_processes)
    committer = threading.Thread(target=transitions_commit, args=(args, shop, orders, committed))
    before = cpu()
    committer.start()
    rows, _ = run_clients(load_client, [(port, share, args.duration) for share in per])
    committer.join()
    after = cpu()
    first, last = min(r[0] for r in rows), max(r[1] for r in rows)
    bad = [r for r in rows if r[2] not in (200, 201)]
    rate = len(rows) / (last - first)
    print(f"{len(rows):,} requests answered in {last - first:.2f} s: {rate:,.1f} req/s; {len(bad)} not 200/201")
    if len(rows) >= 2 * len(tokens):
        print("  (every guest checked out before the phase ended: raise --load-requests)")
    if bad:
        print(f"  e.g. {bad[:3]}")
    used = {name: after[name] - before.get(name, 0.0) for name in after}
    print("CPU used meanwhile: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in used.items()))
    return {"rate": rate, **{f"cpu_{name}": seconds for name, seconds in used.items()}}


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on the machine (the bench database's server: nothing else runs during a
    measurement)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if stat.read_text().strip() == "postgres":
                pids.append(int(stat.parent.name))
    return pids


def load_client(port: int, tokens: list[str], seconds: float, ready, start, results) -> None:
    """One keep-alive connection for `seconds`: for each token a search then that guest's checkout. Rows (sent,
    answered, status)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = [b""]

    def request(raw: bytes) -> int:
        sock.sendall(raw)
        while b"\r\n\r\n" not in buffer[0]:
            buffer[0] += _recv(sock)
        head, _, rest = buffer[0].partition(b"\r\n\r\n")
        status_line, *headers = head.split(b"\r\n")
        length = next(int(h.split(b":", 1)[1]) for h in headers if h.lower().startswith(b"content-length:"))
        while len(rest) < length:
            rest += _recv(sock)
        buffer[0] = rest[length:]
        return int(status_line.split()[1])

    ready.wait()
    start.wait()
    deadline = time.perf_counter() + seconds
    rows = []
    for token in tokens:
        if time.perf_counter() >= deadline:
            break
        sent = time.perf_counter()
        status = request(f"GET {SEARCH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        rows.append((sent, time.perf_counter(), status))
        sent = time.perf_counter()
        status = request(
            (
                f"POST /api/v1/checkout HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                f"Idempotency-Key: {uuid.uuid4().hex}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(BODY)}\r\n\r\n{BODY}"
            ).encode()
        )
        rows.append((sent, time.perf_counter(), status))
    sock.close()
    results.put(rows)


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(262144)
    if not chunk:
        raise ConnectionResetError("the server closed the connection")
    return chunk


# ---------------------------------------------------------------------------------------------------------------
# Streams open, transitions committed, load again
# ---------------------------------------------------------------------------------------------------------------


def streams_run(
    args: argparse.Namespace, servers: Servers, shop: BenchShop, orders: list[dict[str, Any]], tokens: list[str]
) -> dict[str, Any]:
    report.section(f"{args.streams:,} streams open, then {args.rate:g} transitions/s and the load again")
    host = shop.merchant.domains.get(is_primary=True).domain
    boards = [(host, f"/api/v1/console/branches/{shop.levels['orders'][0]}/events")]
    owner = owner_token()
    specs = []  # (host, path, token, channel key)
    for i in range(args.streams):
        if i < args.board_streams:
            specs.append((boards[0][0], boards[0][1], owner, "board"))
        else:
            order = orders[i % len(orders)]
            specs.append(("localhost", f"/api/v1/orders/{order['id']}/events", order["token"], f"order:{order['id']}"))
    ctx = multiprocessing.get_context("spawn")
    opened, stop, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    stream_warm(servers.front_port, specs[-1])  # the live process's first stream loads what every stream shares
    rss_before = rss_kib(servers.live_pids())
    client = ctx.Process(target=stream_client, args=(servers.front_port, specs, opened, stop, results))
    client.start()
    opened_count = opened.get(timeout=300)
    time.sleep(1.0)
    rss_per_stream = (rss_kib(servers.live_pids()) - rss_before) / max(1, opened_count)
    print(f"{opened_count:,} streams open; live process RSS +{rss_per_stream:.1f} KiB per stream")

    committed: list[tuple[int, str, float]] = []  # (event id, channel key, wall clock at commit)
    load_b = load_run(
        args,
        servers.front_port,
        tokens,
        lambda: {**servers.cpu_all(), "stream client": process_cpu_s([client.pid])},
        shop,
        orders,
        committed,
    )
    time.sleep(2.0)  # the last events reach their streams
    stop.set()
    arrivals: dict[tuple[int, int], float] = results.get(timeout=120)  # (stream index, event id) -> wall clock
    client.join(30)

    listeners: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        listeners.setdefault(spec[3], []).append(index)
    pairs: list[float | None] = []
    for event_id, key, at in committed:
        for index in listeners.get(key, []):
            arrived = arrivals.get((index, event_id))
            pairs.append(None if arrived is None else (arrived - at) * 1000)
    return {
        "pairs": pairs,
        "opened": opened_count,
        "events": len(committed),
        "load": load_b,
        "rss_per_stream_kib": rss_per_stream,
    }


def stream_warm(port: int, spec: tuple[str, str, str, str]) -> None:
    """Open one stream, read its first bytes, leave."""
    host, path, token, _ = spec
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        received = b""
        while b"retry:" not in received:
            received += _recv(sock)
    time.sleep(0.5)


def transitions_commit(
    args: argparse.Namespace, shop: BenchShop, orders: list[dict[str, Any]], committed: list[tuple[int, str, float]]
) -> None:
    """Move the orders at a steady rate, each move in its own transaction; note each event's id, channel and the wall
    clock when the commit and its after-commit publish returned."""
    # Django is set up in run(): the models and services can be imported.
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from shared_apps.live.models import LiveEvent
    from tenant_apps.orders.models import MerchantOrder
    from tenant_apps.orders.states import STAFF, Actor, merchant_order_transition

    actor = Actor(STAFF, role="merchant")
    total = int(args.rate * args.duration)
    board_channel = f"branch:{shop.schema}:{shop.levels['orders'][0]}"
    last_id = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.perf_counter()
    try:
        for i in range(total):
            order = orders[i // len(MOVES) % len(orders)]
            to = MOVES[i % len(MOVES)]
            time.sleep(max(0.0, started + i / args.rate - time.perf_counter()))
            with schema_context(shop.schema):
                merchant_order = MerchantOrder.objects.get(number=order["part"])
                with transaction.atomic():
                    merchant_order_transition(order=merchant_order, to=to, actor=actor)
                at = time.time()
            for event_id, channel in LiveEvent.objects.filter(id__gt=last_id).values_list("id", "channel"):
                key = "board" if channel == board_channel else channel
                committed.append((event_id, key, at))
                last_id = max(last_id, event_id)
    finally:
        connection.close()


def stream_client(port: int, specs: list[tuple[str, str, str, str]], opened, stop, results) -> None:
    """One asyncio process holding every stream (a connection each); puts the number opened, then, once `stop` is
    set, {(stream index, event id): wall clock of arrival}."""
    asyncio.run(_streams(port, specs, opened, stop, results))


async def _streams(port: int, specs, opened, stop, results) -> None:
    arrivals: dict[tuple[int, int], float] = {}
    ready = asyncio.Event()
    count = [0, 0]  # opened, settled (opened or failed)

    def settled(ok: bool) -> None:
        count[0] += ok
        count[1] += 1
        if count[1] == len(specs):
            ready.set()

    async def one(index: int, host: str, path: str, token: str) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        except OSError:
            settled(False)
            return
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (OSError, asyncio.IncompleteReadError):
            settled(False)
            return
        ok = b" 200 " in head.split(b"\r\n", 1)[0]
        settled(ok)
        if not ok:
            writer.close()
            return
        pending = b""  # a line cut by the chunk boundary
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            at = time.time()
            pending += chunk
            cut = pending.rfind(b"\n") + 1
            for event_id in EVENT_ID.findall(pending, 0, cut):
                arrivals[(index, int(event_id))] = at
            pending = pending[cut:]

    tasks = []
    for index, (host, path, token, _) in enumerate(specs):
        tasks.append(asyncio.create_task(one(index, host, path, token)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # browsers arrive over time, not in one SYN flood
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), 240)
    opened.put(count[0])
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.put(arrivals)


if __name__ == "__main__":
    sys.exit(main())
