"""Recommendations benchmark: the search benchmark's 1,000,000 listings, 100,000 shoppers and 10,000,000 behaviour
events; training timed and weighed in a process of its own, then shelves served over HTTP to shoppers with a history
and, in the same minutes, the popular-nearby fallback to shoppers without one.

Run from the repo root:

    .venv/bin/python benchmarks/recommendations.py [--listings 1000000] [--merchants 1000] [--users 100000]
        [--events 10000000] [--requests 2000] [--seed 6] [--keep] [--reuse NAME] [--no-train]

It never touches dev data: it derives a database `<name>_recommendations` on the same server as DATABASE_URL,
drops and recreates it, migrates the shared apps, generates the listings as benchmarks/search.py does
(benchmarks/search_data.py) and the shoppers and their events (benchmarks/recommendations_data.py). `--keep` keeps
the database; `--reuse NAME` measures an existing kept one (never dropped) without generating it again, and
`--no-train` with it serves what its last training left; `--data-only` generates a database and keeps it.

Measured:
1. training: `manage.py recommendations_train --json` in a child process on the bench database, as a deployment's
   nightly job runs it: wall time, and peak resident memory (the child's getrusage ru_maxrss from wait4, and the
   sum over its process tree sampled every 0.2 s); goals ≤ 600 s and ≤ 4 GiB; each region's model as written;
2. serving: GET /api/v1/recommendations on the Procfile's web server (one worker), one keep-alive client,
   sequential, every answer 200 with items: (a) shelves of shoppers with a history (their Bearer token, surface=home
   at their home, some surface=product of a product from their history) and (b) the popular-nearby fallback: new
   guests without a history at the same places (surface=home). Interleaved by blocks of BLOCK, each class leading
   every other block, so both see the same minutes. Goal: (a) p99 ≤ 20 ms. (b) is one baseline: what serving a
   shelf costs when nothing about the shopper is read;
3. the naive baseline: for `--baseline` of those shoppers, a shelf counted from the events at request time (the
   products most taken by the shoppers who took any of theirs; raw SQL): what serving would cost without training.
Prints the data's shape, the timings, p50/p90/p99/max per class, then markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import ROOT, django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database, bench_database_reuse, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, latency, stats, verdict
from benchmarks.harness.keepalive import KeepAliveClient
from benchmarks.harness.processes import WebServer, children_of
from benchmarks.recommendations_data import KINDS, SHOPPER_TABLE, meta_read
from benchmarks.recommendations_data import generate as behaviour_generate
from benchmarks.search_data import generate as listings_generate

GOAL_TRAIN_S = 600.0
GOAL_TRAIN_MIB = 4096.0
GOAL_P99_MS = 20.0
BLOCK = 100  # requests per block of the interleaved classes
REDIS_DB = 7
PRODUCT_SHARE = 0.25
# Requests come from homes with a branch this near: pickup reaches the search's default radius (5 km), and a request
# is placed up to ~0.6 km from home. Farther shoppers have nothing in reach, and their shelf is rightly empty.
REACH_KM = 4.0  # of the history class's requests: surface=product
ENDPOINT = "/api/v1/recommendations"
HISTORY, FALLBACK = "history", "fallback"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--listings", type=int, default=1_000_000, help="listing rows (default 1,000,000)")
    parser.add_argument("--merchants", type=int, default=1000, help="merchants (default 1,000)")
    parser.add_argument("--users", type=int, default=100_000, help="shoppers (default 100,000)")
    parser.add_argument("--events", type=int, default=10_000_000, help="behaviour events (default 10,000,000)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per class (default 2,000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per class (default 200)")
    parser.add_argument("--baseline", type=int, default=50, help="shoppers of the naive baseline (default 50)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the data and of the requests (default 6)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", metavar="NAME", help="measure an existing kept database; no generation, kept")
    parser.add_argument("--no-train", action="store_true", help="with --reuse: serve what the last training left")
    parser.add_argument("--data-only", action="store_true", help="generate and keep the database, measure nothing")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL>_recommendations)")
    args = parser.parse_args()
    if args.listings < args.merchants * 10 or args.merchants < 10 or args.users < 100 or args.requests < 10:
        parser.error("need --merchants >= 10, --listings >= 10 x merchants, --users >= 100, --requests >= 10")
    if args.no_train and not args.reuse:
        parser.error("--no-train needs --reuse (a fresh database has no trained model)")

    run_started = time.perf_counter()
    redis_database_use(REDIS_DB)
    if args.reuse:
        bench_database_reuse(args.reuse)
        return run(args, run_started, reused=True)
    with bench_database(name=args.db_name, suffix="recommendations", keep=args.keep or args.data_only):
        return run(args, run_started, reused=False)


def run(args: argparse.Namespace, run_started: float, *, reused: bool) -> int:
    django_start(quiet=True)
    report.section("Data")
    meta, generation_s = data_ready(args, reused=reused)
    shape = data_describe(meta)
    if args.data_only:
        return 0

    training: Training | None = None
    if args.no_train:
        report.section("Training skipped (--no-train): serving the models of the last training")
    else:
        report.section("Training: manage.py recommendations_train --json in a child process")
        training = train()
        training_report(training)
    models = models_describe()

    report.section(
        f"Serving: {args.requests:,} requests per class (after {args.warmup} warm-up), classes interleaved by blocks "
        f"of {BLOCK}"
    )
    rng = random.Random(f"planckly-reco-bench:requests:{args.seed}")
    warmup = requests_draw(rng, args.warmup, quiet=True)
    requests = requests_draw(rng, args.requests)
    served = serve(requests, warmup=warmup)
    figures = serving_report(requests, served)
    report.section(f"Baseline: the shelf computed at request time from the events (raw SQL), {args.baseline} shoppers")
    figures["naive, at request time (raw SQL)"] = naive_baseline(requests, per_class=args.baseline)

    goals = goals_report(training, figures, requests)
    report.section("Markdown (docs/benchmarks.md)")
    markdown(args, meta, shape, generation_s, training, models, requests, figures, served, goals)
    report.wall_time(run_started)
    return 0 if all(ok for _, ok, _ in goals) else 1


# ---------------------------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------------------------


def data_ready(args: argparse.Namespace, *, reused: bool) -> tuple[dict[str, Any], float]:
    """The meta of the behaviour data (generated now, listings first, or read from a kept database) with every
    generation step timed and printed; returns (meta, generation seconds)."""
    if reused:
        # A database kept by older code: the migrations since (new tables of the models measured) applied first.
        migrated_s = shared_apps_migrate()
        print(f"migrate_schemas --shared on the kept database: {migrated_s:.1f} s")
        meta = meta_read()
    else:
        timings: dict[str, float] = {"migrate_schemas --shared": shared_apps_migrate()}
        print(f"Listings: {args.listings:,} of {args.merchants:,} merchants (search_data.py, seed {args.seed})")
        listings_generate(args, timings)
        print(f"Behaviour: {args.users:,} shoppers, {args.events:,} events (seed {args.seed})")
        meta = behaviour_generate(args, timings)
    timings = dict(meta["timings"])  # a list in a fresh meta, a dict from meta_read()
    generation_s = sum(v for k, v in timings.items() if k != "migrate_schemas --shared")
    for step, seconds in timings.items():
        print(f"  {step:<58} {seconds:7.1f} s")
    print(f"  {'generation total':<58} {generation_s:7.1f} s{' (when it was generated)' if reused else ''}")
    return meta, generation_s


@dataclass(frozen=True)
class DataShape:
    pg: dict[str, str]
    listings: int
    products: int
    merchants: int
    branches: int
    events_mib: float  # BehaviourEvent with its indexes


def data_describe(meta: dict[str, Any]) -> DataShape:
    from django.db import connection  # Django is set up in run()

    pg = postgres_settings("server_version", "shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM public.listings_listing), "
            "(SELECT count(*) FROM (SELECT DISTINCT merchant_id, product_id FROM public.listings_listing) p), "
            "(SELECT count(DISTINCT merchant_id) FROM public.listings_branchlisting), "
            "(SELECT count(*) FROM public.listings_branchlisting), "
            "pg_total_relation_size('public.behaviour_behaviourevent')"
        )
        listings, products, merchants, branches, events_bytes = cursor.fetchone()
    shape = DataShape(pg, listings, products, merchants, branches, events_bytes / 2**20)
    per = meta["events_per_shopper"]
    kinds = {k: meta["by_kind"][k] for k in KINDS}  # jsonb does not keep the order
    report.rows_print(
        [
            ("Listings", f"{listings:,} ({products:,} products = items) of {merchants:,} merchants, "
             f"{branches:,} branches"),
            ("Shoppers", f"{meta['users']:,}; {meta['shoppers_with_events']:,} with events (per shopper p50 "
             f"{per['p50']:,.0f}, p90 {per['p90']:,.0f}, max {per['max']:,})"),
            ("Events", f"{meta['events']:,}: " + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
             + f"; {meta['items_seen']:,} items seen; {meta['window'][0][:10]} .. {meta['window'][1][:10]}"),
            ("Event table", f"{shape.events_mib:,.0f} MiB with indexes"),
        ],
    )  # fmt: skip
    return shape


# ---------------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Training:
    wall_s: float
    maxrss_mib: float  # the child's own resident peak (wait4's rusage)
    tree_peak_mib: float  # the sum over the child's process tree, sampled
    returncode: int
    output: str
    result: Any = None


def train() -> Training:
    """`manage.py recommendations_train --json` in a child process on the bench database: wall time and peak RSS."""
    command = [sys.executable, "manage.py", "recommendations_train", "--json"]
    peak = {"kib": 0}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ}, stdout=out, stderr=err)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak["kib"] = max(peak["kib"], sum(_rss_kib(p) for p in (proc.pid, *children_of(proc.pid))))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage (Popen.wait would not give it)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    training = Training(wall, usage.ru_maxrss / 1024, peak["kib"] / 1024, proc.returncode, output + errors)
    try:
        training.result = json.loads(output)
    except ValueError:
        training.result = None
    return training


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def training_report(training: Training) -> None:
    print(
        f"exit {training.returncode}; wall {training.wall_s:,.1f} s; peak RSS {training.maxrss_mib:,.0f} MiB "
        f"(process), {training.tree_peak_mib:,.0f} MiB (process tree, sampled)"
    )
    if training.returncode != 0:
        print(training.output[-5000:])
        raise SystemExit("training failed")


@dataclass(frozen=True)
class ModelRow:
    region: str
    algorithm: str
    users: int
    items: int
    events: int
    fit_seconds: float
    peak_mb: float
    neighbours: int
    popular: int
    validation: dict


def models_describe() -> list[ModelRow]:
    """The active model of each region, as the training wrote it, with its precomputed rows."""
    from django.db.models import Count  # Django is set up in run()

    from shared_apps.recommendations.models import ModelStatus, TrainedModel

    rows = [
        ModelRow(
            m.region,
            m.algorithm,
            m.users,
            m.items,
            m.events,
            m.fit_seconds,
            m.peak_mb,
            m.n_neighbours,
            m.n_popular,
            m.validation,
        )
        for m in TrainedModel.objects.filter(status=ModelStatus.ACTIVE)
        .annotate(n_neighbours=Count("neighbours", distinct=True), n_popular=Count("popular", distinct=True))
        .order_by("-events")
    ]
    header = ("region", "algorithm", "users", "items", "events", "fit s", "peak MB", "neighbour lists", "popular lists")
    report.markdown_table(
        header,
        [
            (r.region, r.algorithm, f"{r.users:,}", f"{r.items:,}", f"{r.events:,}", f"{r.fit_seconds:,.1f}",
             f"{r.peak_mb:,.0f}", f"{r.neighbours:,}", f"{r.popular:,}")
            for r in rows
        ],
    )  # fmt: skip
    for r in rows:
        if r.validation:
            print(f"  {r.region}: validation {json.dumps(r.validation, default=str)[:400]}")
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Request:
    cls: str  # HISTORY or FALLBACK
    surface: str
    shopper: str  # its key ('' for none)
    token: str
    params: dict[str, Any]
    events: int = 0  # the shopper's events in the data
    ms: float = 0.0
    items: int = 0
    body: dict = field(default_factory=dict)


def requests_draw(rng: random.Random, n: int, *, quiet: bool = False) -> list[Request]:
    """`n` requests of each class, in pairs at one place: a shopper with a history at home (surface=home, or
    surface=product of a product they took), and a new guest without one at the same place (surface=home)."""
    # Django is set up in run().
    import uuid

    from django.db import connection

    from shared_apps.accounts.models import Guest, User
    from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue

    reachable = f"events > 0 AND nearest_km <= {REACH_KM}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE {reachable}), count(*) FILTER (WHERE events > 0) FROM {SHOPPER_TABLE}"
        )
        with_events, any_events = cursor.fetchone()
        if not quiet:
            print(
                f"Shoppers asked: those with events and a branch within {REACH_KM} km of home, {with_events:,} of "
                f"{any_events:,} ({with_events / any_events:.0%}); the others' shelves are empty (nothing in reach)"
            )
        picks = sorted(rng.sample(range(with_events), min(n, with_events)))
        cursor.execute(
            f"SELECT key, lat, lng, events FROM (SELECT key, lat, lng, events, row_number() OVER (ORDER BY no) - 1 "
            f"AS i FROM {SHOPPER_TABLE} WHERE {reachable}) s WHERE i = ANY(%s)",
            [picks],
        )
        chosen = cursor.fetchall()
        rng.shuffle(chosen)
        keys = [c[0] for c in chosen]
        cursor.execute(
            "SELECT DISTINCT ON (shopper) shopper, merchant_id, product_id FROM public.behaviour_behaviourevent "
            "WHERE shopper = ANY(%s) ORDER BY shopper, hashtext(shopper || id::text)",
            [keys],
        )
        taken = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    out: list[Request] = []
    for i in range(n):
        key, lat, lng, events = chosen[i % len(chosen)]
        place = {"lat": round(lat + rng.uniform(-0.004, 0.004), 6), "lng": round(lng + rng.uniform(-0.004, 0.004), 6)}
        if key.startswith("u:"):
            token = token_pair_issue(user=User(pk=int(key[2:]))).access
        else:
            token = guest_token_issue(guest=Guest(pk=uuid.UUID(key[2:])))
        if rng.random() < PRODUCT_SHARE and key in taken:
            merchant_id, product_id = taken[key]
            params = {"surface": "product", **place, "product": f"{merchant_id}:{product_id}"}
        else:
            params = {"surface": "home", **place}
        out.append(Request(HISTORY, params["surface"], key, token, params, events))
        guest = Guest.objects.create()  # a new visitor: no event was ever recorded for them
        out.append(
            Request(FALLBACK, "home", f"g:{guest.pk}", guest_token_issue(guest=guest), {"surface": "home", **place})
        )
    return out


def serve(requests: list[Request], *, warmup: list[Request]) -> dict[str, Any]:
    """Both classes on the Procfile's web server (one worker), one keep-alive client, interleaved by blocks of
    BLOCK: history then fallback on one block, fallback then history on the next."""
    server = WebServer(workers=1)
    client = KeepAliveClient(server.port)
    info: dict[str, Any] = {"wall_s": {HISTORY: 0.0, FALLBACK: 0.0}}

    def call(r: Request) -> float:
        path = f"{ENDPOINT}?{urlencode(r.params)}"
        started = time.perf_counter()
        status, body = client.get(path, headers={"Authorization": f"Bearer {r.token}"})
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"{r.cls} {r.params}: {status} {body[:300]!r}")
        r.body = json.loads(body)
        r.items = len(r.body.get("items") or [])
        return elapsed

    try:
        server.wait()
        info["procfile_env"], info["command"] = server.procfile_env, server.command
        for r in warmup:
            call(r)
        by_cls = {cls: [r for r in requests if r.cls == cls] for cls in (HISTORY, FALLBACK)}
        n = len(by_cls[HISTORY])
        for block_no, start in enumerate(range(0, n, BLOCK)):
            order = (HISTORY, FALLBACK) if block_no % 2 == 0 else (FALLBACK, HISTORY)
            for cls in order:
                for r in by_cls[cls][start : start + BLOCK]:
                    r.ms = call(r) * 1000
                    info["wall_s"][cls] += r.ms / 1000
        info["exceptions"] = server.exceptions()
    finally:
        client.close()
        server.stop()
    return info


def serving_report(requests: list[Request], served: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Latency per class and per surface, items per shelf; returns the stats() per row label."""
    groups = {
        "history, all": [r for r in requests if r.cls == HISTORY],
        "history, surface=home": [r for r in requests if r.cls == HISTORY and r.surface == "home"],
        "history, surface=product": [r for r in requests if r.cls == HISTORY and r.surface == "product"],
        "fallback (no history), surface=home": [r for r in requests if r.cls == FALLBACK],
    }
    figures = {}
    for label, rs in groups.items():
        s = stats([r.ms for r in rs])
        figures[label] = s
        items = sorted(r.items for r in rs) or [0]
        print(f"{label:<38} n={s['n']:>5,}  {latency(s)}; items p50 {items[len(items) // 2]}, min {items[0]}")
    history = groups["history, all"]
    for lo, hi in ((1, 20), (20, 100), (100, 500), (500, 10**9)):
        rs = [r for r in history if lo <= r.events < hi]
        if rs:
            label = f"history of {lo:,}-{hi - 1:,} events" if hi < 10**9 else f"history of ≥ {lo:,} events"
            figures[label] = stats([r.ms for r in rs])
            print(f"  {label:<36} n={len(rs):>5,}  {latency(figures[label])}")
    for cls, rs in ((HISTORY, history), (FALLBACK, groups["fallback (no history), surface=home"])):
        shelves: dict[str, int] = {}
        for r in rs:
            label = str(r.body.get("model", "?")).split("#")[0]
            shelves[label] = shelves.get(label, 0) + 1
        items = [i for r in rs for i in r.body.get("items", [])]
        from_model = sum(i.get("source") == "model" for i in items) / max(1, len(items))
        print(f"{cls}: shelves by model {shelves}; {from_model:.0%} of the items from a model's list")
        figures[f"{cls} model share"] = {"n": len(rs), "items_from_model": from_model}
    print(f"Server exceptions logged: {dict(served['exceptions']) or 'none'}")
    top = sorted(requests, key=lambda r: -r.ms)[:10]
    print("Ten slowest:")
    for r in top:
        print(f"  {fmt_ms(r.ms):>7} ms  {r.cls:<8} {r.events:>5} events  {r.params}")
    return figures


NAIVE_SQL = """
WITH mine AS (
    SELECT DISTINCT merchant_id, subject_id FROM (
        SELECT merchant_id, subject_id FROM public.behaviour_behaviourevent
        WHERE shopper = %(shopper)s ORDER BY at DESC LIMIT 50) recent),
others AS (
    SELECT DISTINCT e.shopper FROM public.behaviour_behaviourevent e JOIN mine USING (merchant_id, subject_id)
    WHERE e.shopper <> %(shopper)s)
SELECT e.merchant_id, e.subject_id, count(*) AS together
FROM public.behaviour_behaviourevent e JOIN others USING (shopper)
WHERE (e.merchant_id, e.subject_id) NOT IN (SELECT merchant_id, subject_id FROM mine)
GROUP BY 1, 2 ORDER BY together DESC LIMIT 20
"""


def naive_baseline(requests: list[Request], *, per_class: int) -> dict[str, float]:
    """What a shelf costs without training: the products most taken by the shoppers who took any of this shopper's
    last 50, counted from the events at request time (item-based co-occurrence in one statement; no distance, stock
    or listing read, so a lower bound of a real one). On a plain psycopg connection with the app's session settings,
    for the first `per_class` shoppers of the history class."""
    import psycopg  # only this pass talks to the database directly
    from django.conf import settings  # Django is set up in run()

    options = settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")
    shoppers = list(dict.fromkeys(r.shopper for r in requests if r.cls == HISTORY))[:per_class]
    ms: list[float] = []
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, options=options) as conn:
        for shopper in shoppers:
            started = time.perf_counter()
            rows = conn.execute(NAIVE_SQL, {"shopper": shopper}).fetchall()
            ms.append((time.perf_counter() - started) * 1000)
            if not rows:
                print(f"  (no co-occurring product for {shopper})")
    s = stats(ms)
    print(f"naive shelf, {len(ms)} shoppers: {latency(s)}")
    return s


# ---------------------------------------------------------------------------------------------------------------
# Goals and markdown
# ---------------------------------------------------------------------------------------------------------------


def goals_report(
    training: Training | None, figures: dict[str, dict[str, float]], requests: list[Request]
) -> list[tuple[str, bool, str]]:
    report.section("Goals")
    goals: list[tuple[str, bool, str]] = []
    if training is not None:
        peak = max(training.maxrss_mib, training.tree_peak_mib)
        goals.append(("training ≤ 600 s", training.wall_s <= GOAL_TRAIN_S, f"{training.wall_s:,.0f} s"))
        goals.append(("training peak RSS ≤ 4 GiB", peak <= GOAL_TRAIN_MIB, f"{peak:,.0f} MiB"))
    p99 = figures["history, all"]["p99"]
    goals.append((f"shelf with history p99 ≤ {GOAL_P99_MS:.0f} ms", p99 <= GOAL_P99_MS, f"{fmt_ms(p99)} ms"))
    empty = [r for r in requests if not r.items]
    goals.append(("every answer 200 with items", not empty, f"{len(empty):,} of {len(requests):,} empty"))
    for name, ok, value in goals:
        print(f"{verdict(ok)}  {name}: {value}")
    return goals


def markdown(
    args: argparse.Namespace,
    meta: dict[str, Any],
    shape: DataShape,
    generation_s: float,
    training: Training | None,
    models: list[ModelRow],
    requests: list[Request],
    figures: dict[str, dict[str, float]],
    served: dict[str, Any],
    goals: list[tuple[str, bool, str]],
) -> None:
    pg = shape.pg
    kinds = meta["by_kind"]
    print(
        f"{report.machine_line()}; PostgreSQL {pg['server_version']} ({database_server()}, shared_buffers="
        f"{pg['shared_buffers']}, jit={pg['jit']}); Python {platform.python_version()}, Django {report.versions()}, "
        f"numpy {version('numpy')}, scipy {version('scipy')}, granian {version('granian')} (WSGI, 1 worker). "
        f"Data: {shape.listings:,} listings ({shape.products:,} products) of {shape.merchants:,} merchants; "
        f"{meta['users']:,} shoppers ({meta['shoppers_with_events']:,} with events); {meta['events']:,} events "
        f"({kinds['view']:,} views, {kinds['add_to_cart']:,} adds, {kinds['purchase']:,} purchases) over 180 days, "
        f"{shape.events_mib:,.0f} MiB with indexes; generated in {generation_s:.0f} s (seed {meta['seed']})."
    )
    print()
    rows = []
    if training is not None:
        peak = max(training.maxrss_mib, training.tree_peak_mib)
        rows.append(
            (
                "Training, all regions (`recommendations_train`, one process)",
                f"**{training.wall_s:,.0f} s**, peak RSS **{peak:,.0f} MiB**",
                f"≤ 600 s: **{verdict(training.wall_s <= GOAL_TRAIN_S)}**; ≤ 4 GiB: "
                f"**{verdict(peak <= GOAL_TRAIN_MIB)}**",
            )
        )
    for label, s in figures.items():
        if label.startswith("history of") or "items_from_model" in s:
            continue
        goal = f"p99 ≤ {GOAL_P99_MS:.0f} ms: **{verdict(s['p99'] <= GOAL_P99_MS)}**" if label == "history, all" else ""
        rows.append(
            (
                f"Baseline: the shelf counted from the events at request time, raw SQL (n={s['n']:,})"
                if label.startswith("naive")
                else f"Shelf over HTTP, {label} (n={s['n']:,})",
                f"p50 {fmt_ms(s['p50'])}, p90 {fmt_ms(s['p90'])}, p99 **{fmt_ms(s['p99'])}**, max "
                f"{fmt_ms(s['max'])} ms",
                goal,
            )
        )
    report.markdown_table(("Measure", "Result", "Goal"), rows)
    print()
    report.markdown_table(
        ("region", "algorithm", "users", "items", "events", "fit s", "neighbour lists", "popular lists"),
        [
            (r.region, r.algorithm, f"{r.users:,}", f"{r.items:,}", f"{r.events:,}", f"{r.fit_seconds:,.1f}",
             f"{r.neighbours:,}", f"{r.popular:,}")
            for r in models
        ],
    )  # fmt: skip
    print()
    print("Summary row: " + "; ".join(f"{name} {value} ({verdict(ok)})" for name, ok, value in goals))


if __name__ == "__main__":
    sys.exit(main())
