"""Webhooks benchmark: 2,000 provider notifications (Foree Pay and JazzCash) with 30% duplicates and 10% out of order,
sent concurrently over HTTP to the real ASGI server while real Celery workers confirm and apply them — throughput,
latency, the time until everything is applied, and exactly-once checked from the ledger; next to raw SQL in one run.

Run from the repo root:

    .venv/bin/python benchmarks/webhooks.py [--notifications 2000] [--duplicates 0.3] [--out-of-order 0.1]
        [--processes 8] [--in-flight 32] [--workers 2] [--keep]

It never touches dev data: it derives a database `<name>_webhooks` on the same server as DATABASE_URL (or the embedded
server of .data/embedded.env), drops and recreates it, migrates the shared apps and provisions one merchant (one
store, one branch, one product with one unit per order). Redis: database `--redis-db` (default 8) of the REDIS_URL
server, tasks on a queue of their own that is deleted at the end. Providers: the real sandboxes process (`uvicorn
sandboxes.app:app`, Foree Pay, JazzCash and SMS) on a free port from 8300 with its state in a temporary directory and
its own notifications switched off (`POST /{foree,jazzcash}/sandbox/config {"enabled": false}`): this script is the
provider that notifies. The web server, the workers and this process are pointed at it by environment variables only
(FOREE_API_BASE, JAZZCASH_FORM_URL, JAZZCASH_API_BASE, SMS_API_BASE), as in the tests. PAYMENT_TIMEOUT_MINUTES is 60
so that a slow setup cannot let an intent expire.

The mix (printed by every run): of N notifications, `--out-of-order` x N are *stale* — a "pending" or "failed"
notification for a payment that is already paid, placed after that payment's "paid" notification in its client's
sending order (JazzCash: the paid IPN re-signed with pp_ResponseCode 157 or 999; Foree: the paid bill as "Unpaid", or
as "Failed" with an earlier transaction id) — `--duplicates` x N are exact re-sends of a notification already in the
stream (drawn with replacement from every distinct fact, so a few facts arrive three or more times, and duplicates run
concurrently with their original), and the rest are the payments' "paid" notifications: 2,000 = 1,200 paid + 200
stale + 600 duplicates, i.e. 1,400 distinct facts over 1,200 payments (half Foree, half JazzCash).

Setup (not timed): each payment is a real online order placed through the services (guest, cart, `checkout_place`),
an attempt started through the gateway adapter (`payment_attempt_start`: a Foree bill created in the sandbox; the
JazzCash form posted to the sandbox as the customer's browser would) and paid in the sandbox (its Pay button); the
notification bodies are what the providers send (Foree JSON, JazzCash form-encoded and signed); the same helpers as
shared_apps/payments/tests. The server is the Procfile's web command with the Procfile web line's variables and
worker count; `--workers` Celery workers (`celery worker --pool prefork --concurrency` as the Procfile worker line) on
the run's queue; `--warmup` other payments are notified and applied first, so every process has its connections.

Measured:
1. HTTP: `--processes` client processes (spawned, no Django; a minimal asyncio HTTP/1.1 client, one connection per
   notification as providers post them) each send their share — every notification of one payment goes to the same
   process, in the mixed order — with at most `--in-flight` requests open at once; all processes released together.
   Notifications/s over the wall time from the first request sent to the last answer; latency per request
   (p50/p90/p99/max). The endpoint verifies (JazzCash hash), stores raw and deduplicates in one INSERT … ON CONFLICT,
   and hands a new fact to a worker; every answer must be 200.
2. Applied: from the first request sent until every stored notification is processed (the worker asked the provider's
   status API and applied its answer: capture, ledger, merchant order placed, stock sold) and every intent succeeded,
   polled on the database (`--timeout`): end to end notifications/s and facts/s. Beat is not running: a notification
   left for reconciliation counts as a failure. CPU per notification of the web server, the workers, the sandboxes
   process, the bench database's PostgreSQL sessions and the clients.
3. Checks (exit status 1 if any fails): every answer 200; one WebhookEvent per distinct fact, each with as many
   deliveries as were sent, all applied; per intent: succeeded, captured_amount = amount, no refund, exactly one
   `capture` ledger row of the amount, `ledger_problems(intent) == []`; Σ capture = Σ intent amounts; every attempt
   succeeded; every merchant and customer order placed; the stock level sold out with nothing reserved.
4. Replay: once all is applied and the queue drained, the same N notifications again, the same way — every one a
   duplicate now, so no task is queued: the endpoint alone, without the workers competing for the CPU (the baseline
   for 1.), and a check that a whole replay changes nothing but the delivery counts (each doubled; no event processed
   again, the same ledger rows, no refund).
5. Baseline, raw SQL, the same N notifications from the same number of client processes over as many sessions as the
   web server's pools (workers x DB_POOL_MAX_SIZE), in the same order, on scratch tables in the bench database:
   (a) the endpoint's storage step alone — the same INSERT … ON CONFLICT DO UPDATE deliveries + 1 into a copy of the
   WebhookEvent table, autocommit: the floor of what the endpoint does per request; (b) a naive exactly-once apply with
   no provider and no worker — in one transaction the upsert and, for a new "paid" fact, a conditional UPDATE of the
   intent (processing → succeeded) and its ledger row (unique key), checked for exactly one capture per intent. The
   gap to (b) is what the architecture costs: HTTP and Django per request, the Redis hand-off, and per fact a status
   query to the provider and the real capture (locks, ledger with fee and shares, order and stock transitions, a text).

Output: plain figures, then markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import queue
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database, conninfo, database_server, postgres_settings
from benchmarks.harness.figures import fmt_ms, latency, stats, verdict
from benchmarks.harness.processes import (
    CeleryWorkers,
    Sandboxes,
    WebServer,
    celery_queue_drop,
    process_cpu_s,
    run_clients,
)
from benchmarks.harness.procfile import procfile_web, procfile_worker, web_label
from benchmarks.harness.shop import BenchShop, ProductSpec, shop_open

PATHS = {"foree": "/api/v1/payments/webhooks/foree", "jazzcash": "/api/v1/payments/webhooks/jazzcash"}
PRICE = "2499.00"
STALE = {  # what a stale notification says, per gateway, alternating
    "foree": ({"bill_status": "Unpaid"}, {"bill_status": "Failed"}),
    "jazzcash": (
        {"pp_ResponseCode": "157", "pp_ResponseMessage": "Transaction is pending"},
        {"pp_ResponseCode": "999", "pp_ResponseMessage": "Transaction failed"},
    ),
}


@dataclass
class Payment:
    order_id: int
    intent_id: int
    attempt_id: int
    reference: str
    gateway: str
    amount: str
    paid: tuple[bytes, str]  # the "paid" notification: body, content type
    stale: tuple[bytes, str] | None = None


@dataclass(frozen=True)
class Fact:
    """One distinct notification (what the endpoint deduplicates on)."""

    payment: int  # index into the payments
    kind: str  # "paid" or "stale"
    gateway: str
    key: str  # the adapter's dedupe_key
    body: bytes
    content_type: str


# ---------------------------------------------------------------------------------------------------------------
# The CPU of the bench database's sessions
# ---------------------------------------------------------------------------------------------------------------


class BackendCpu(threading.Thread):
    """CPU used by the bench database's PostgreSQL sessions from construction to stop(), sampled every `interval` on a
    connection of its own: sessions open now count from now, later ones from their start; the last `interval` of a
    session that ends meanwhile is missed (the web pools and the workers keep theirs)."""

    SQL = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

    def __init__(self, conninfo: str, interval: float = 0.1) -> None:
        import psycopg

        super().__init__(daemon=True)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.interval = interval
        self.halt = threading.Event()
        self.baseline = self.sample()
        self.last = dict(self.baseline)

    def sample(self) -> dict[int, float]:
        return {pid: process_cpu_s([pid]) for (pid,) in self.conn.execute(self.SQL).fetchall()}

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.last.update(self.sample())

    def stop(self) -> tuple[float, int]:
        """(CPU seconds used, sessions seen)."""
        self.halt.set()
        self.join()
        self.last.update(self.sample())
        self.conn.close()
        return sum(max(0.0, cpu - self.baseline.get(pid, 0.0)) for pid, cpu in self.last.items()), len(self.last)


# ---------------------------------------------------------------------------------------------------------------
# Client processes (spawned: no Django, no inherited connections)
# ---------------------------------------------------------------------------------------------------------------


def notify_client(host: str, port: int, items: list[tuple], in_flight: int, ready, start, results) -> None:
    """One provider: posts `items` [(index, path, body, content type)] in their order, at most `in_flight` open at
    once, each on a connection of its own (`Connection: close`, read to EOF); puts a list of (index, sent, answered,
    status, answer, cpu per request) with perf_counter times (CLOCK_MONOTONIC: comparable across processes). A
    minimal asyncio client, like flash_sale's and for the same reason (a client library costs many times the CPU)."""
    import resource

    async def post(index: int, path: str, body: bytes, content_type: str, gate: asyncio.Semaphore) -> tuple:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        async with gate:
            sent = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(head.encode() + body)
                await writer.drain()
                answer = await reader.read()
                writer.close()
            except OSError as exc:
                return index, sent, time.perf_counter(), 0, type(exc).__name__
            answered = time.perf_counter()
        status_line = answer.split(b"\r\n", 1)[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
        return index, sent, answered, status, answer.partition(b"\r\n\r\n")[2][:120].decode("latin1")

    async def drive() -> list[tuple]:
        gate = asyncio.Semaphore(in_flight)  # FIFO: requests start in the items' order
        ready.wait()
        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        before = resource.getrusage(resource.RUSAGE_SELF)
        rows = await asyncio.gather(*(post(*item, gate) for item in items))
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / max(1, len(rows))
        return [(*row, cpu) for row in rows]

    results.put(asyncio.run(drive()))


def raw_sql_client(
    conninfo: str, tables: dict[str, str], items: list[tuple], sessions: int, apply: bool, ready, start, results
) -> None:
    """One raw SQL client process: `sessions` threads with a connection each take `items` [(gateway, key, body,
    content type, intent id or None)] in order; puts (sent, done) per notification. Without `apply`: the endpoint's
    upsert, autocommit. With `apply`: the upsert and, for a new paid fact, the intent's conditional UPDATE and its
    ledger row, in one transaction."""
    import psycopg

    upsert = (
        f"INSERT INTO {tables['event']} (gateway, dedupe_key, body, content_type, status, detail, deliveries, "
        "received_at) VALUES (%s, %s, %s, %s, 'received', '', 1, now()) ON CONFLICT (gateway, dedupe_key) DO UPDATE "
        f"SET deliveries = {tables['event']}.deliveries + 1 RETURNING id, (xmax = 0)"
    )
    capture = (
        f"UPDATE {tables['intent']} SET status = 'succeeded', captured_amount = amount "
        "WHERE id = %s AND status = 'processing' RETURNING amount"
    )
    ledger = (
        f"INSERT INTO {tables['ledger']} (key, intent_id, amount, created_at) VALUES (%s, %s, %s, now()) "
        "ON CONFLICT (key) DO NOTHING"
    )
    connections: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(sessions):
        connections.put(psycopg.connect(conninfo, autocommit=not apply))

    def one(item: tuple) -> tuple[float, float]:
        gateway, key, body, content_type, intent_id = item
        conn = connections.get()  # a free session: `sessions` threads share `sessions` connections
        try:
            sent = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(upsert, (gateway, key, body, content_type))
                if apply:
                    if cur.fetchone()[1] and intent_id is not None:
                        cur.execute(capture, (intent_id,))
                        row = cur.fetchone()
                        if row:
                            cur.execute(ledger, (f"capture:{intent_id}", intent_id, row[0]))
                    conn.commit()
            return sent, time.perf_counter()
        finally:
            connections.put(conn)

    ready.wait()
    start.wait()
    with ThreadPoolExecutor(sessions) as pool:  # items start in their order
        out = list(pool.map(one, items))
    while not connections.empty():
        connections.get().close()
    results.put(out)


# ---------------------------------------------------------------------------------------------------------------
# Exactly once, checked
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactlyOnce:
    """What the HTTP pass left, checked: one event per fact, one capture per intent, the books balanced."""

    checks: dict[str, bool]
    expected: dict[tuple[str, str], int]  # (gateway, dedupe key) -> deliveries sent
    events: dict[tuple[str, str], Any]  # (gateway, dedupe key) -> WebhookEvent
    stale_keys: set[tuple[str, str]]
    stale_late: int  # stale facts processed after their payment's capture
    captured: Any  # Σ capture ledger rows
    owed: Any  # Σ intent amounts


def exactly_once_check(
    *,
    facts: list[Fact],
    deliveries: Counter,
    payments: list[Payment],
    ours: Any,
    shop: BenchShop,
    rows: list[tuple],
    answers: Counter,
    n: int,
) -> ExactlyOnce:
    """Check and print what the workers applied (exit status 1 if any check fails)."""
    # Django is set up in run(): the models and the ledger can be imported.
    from django.db.models import Count, Sum
    from django_tenants.utils import schema_context

    from marketplace.orders.models import CustomerOrder
    from shared_apps.payments.ledger import ledger_problems
    from shared_apps.payments.models import (
        AttemptStatus,
        IntentStatus,
        LedgerEntry,
        LedgerKind,
        PaymentAttempt,
        PaymentIntent,
        Refund,
        WebhookStatus,
    )
    from tenant_apps.inventory.models import StockLevel
    from tenant_apps.orders.models import MerchantOrder

    schema, n_payments = shop.schema, len(payments)
    intent_ids = [p.intent_id for p in payments]
    report.section("Checks")
    expected = {(f.gateway, f.key): deliveries[i] for i, f in enumerate(facts)}
    events = {(e.gateway, e.dedupe_key): e for e in ours.select_related("attempt")}
    wrong_deliveries = [k for k, c in expected.items() if k in events and events[k].deliveries != c]
    statuses = Counter(e.status for e in events.values())
    stale_keys = {(f.gateway, f.key) for f in facts if f.kind == "stale"}
    succeeded_at = dict(PaymentAttempt.objects.filter(intent_id__in=intent_ids).values_list("pk", "succeeded_at"))
    stale_late = sum(
        1
        for k in stale_keys
        if k in events
        and events[k].processed_at
        and events[k].attempt_id
        and succeeded_at.get(events[k].attempt_id)
        and events[k].processed_at > succeeded_at[events[k].attempt_id]
    )
    intents = list(PaymentIntent.objects.filter(pk__in=intent_ids))
    capture_counts = dict(
        LedgerEntry.objects.filter(intent_id__in=intent_ids, kind=LedgerKind.CAPTURE)
        .values_list("intent_id")
        .annotate(c=Count("id"))
    )
    captured = LedgerEntry.objects.filter(intent_id__in=intent_ids, kind=LedgerKind.CAPTURE).aggregate(
        total=Sum("amount")
    )["total"]
    owed = sum((i.amount for i in intents), start=0)
    amount_of = {i.pk: i.amount for i in intents}
    captures_of_amount = sum(
        amount == amount_of[intent_id]
        for intent_id, amount in LedgerEntry.objects.filter(
            intent_id__in=intent_ids, kind=LedgerKind.CAPTURE
        ).values_list("intent_id", "amount")
    )
    problems = {i.pk: ledger_problems(i) for i in intents}
    problems = {k: v for k, v in problems.items() if v}
    attempts_state = Counter(PaymentAttempt.objects.filter(intent_id__in=intent_ids).values_list("status", flat=True))
    order_ids = [p.order_id for p in payments]
    with schema_context(schema):
        merchant_orders = Counter(
            MerchantOrder.objects.filter(customer_order_id__in=order_ids).values_list("status", flat=True)
        )
        branch_id, variant_id = shop.levels["earbuds"]
        level = StockLevel.objects.get(branch_id=branch_id, variant_id=variant_id)
    customer_orders = Counter(CustomerOrder.objects.filter(pk__in=order_ids).values_list("status", flat=True))
    checks = {
        f"every answer 200 ({n:,})": set(answers) == {200} and len(rows) == n,
        f"one event per distinct fact ({len(facts):,})": set(events) == set(expected),
        f"deliveries per event as sent (sum {n:,})": not wrong_deliveries
        and sum(e.deliveries for e in events.values()) == n,
        "every event applied (none rejected, retry or waiting)": statuses
        == Counter({WebhookStatus.APPLIED: len(facts)}),
        f"every intent succeeded, captured = amount, nothing refunded ({n_payments:,})": all(
            i.status == IntentStatus.SUCCEEDED and i.captured_amount == i.amount and i.refunded_amount == 0
            for i in intents
        )
        and not Refund.objects.filter(intent_id__in=intent_ids).exists(),
        "exactly one capture ledger row per intent, of its amount": all(
            capture_counts.get(i, 0) == 1 for i in intent_ids
        )
        and captures_of_amount == n_payments,
        "ledger_problems(intent) == [] for every intent": not problems,
        "Σ capture = Σ intent amounts": captured == owed,
        "every attempt succeeded": attempts_state == Counter({AttemptStatus.SUCCEEDED: n_payments}),
        "every merchant order placed, every customer order placed": merchant_orders == Counter({"placed": n_payments})
        and customer_orders == Counter({"placed": n_payments}),
        "stock sold out, nothing reserved": (level.on_hand, level.reserved) == (0, 0),
    }
    print(
        f"events: {len(events):,} ({dict(statuses)}), deliveries {sum(e.deliveries for e in events.values()):,}"
        f"; wrong deliveries {len(wrong_deliveries)}; stale facts processed after the capture: {stale_late} "
        f"of {len(stale_keys)} (the rest came first: captured through the status query)"
    )
    print(
        f"intents {len(intents):,}: {dict(Counter(i.status for i in intents))}; captures "
        f"{sum(capture_counts.values()):,} (Σ {captured}, owed {owed}); attempts {dict(attempts_state)}; "
        f"refunds {Refund.objects.filter(intent_id__in=intent_ids).count()}"
    )
    print(
        f"merchant orders {dict(merchant_orders)}; customer orders {dict(customer_orders)}; stock on_hand "
        f"{level.on_hand}, reserved {level.reserved}"
    )
    for intent_id, found in list(problems.items())[:5]:
        print(f"  ledger problem, intent {intent_id}: {found}")
    for key in wrong_deliveries[:5]:
        print(f"  deliveries of {key}: {events[key].deliveries}, sent {expected[key]}")
    for e in [e for e in events.values() if e.status != WebhookStatus.APPLIED][:5]:
        print(f"  event {e.gateway} {e.dedupe_key}: {e.status} {e.detail}")
    for name, passed in checks.items():
        print(f"{verdict(passed)}  {name}")
    return ExactlyOnce(checks, expected, events, stale_keys, stale_late, captured, owed)


# ---------------------------------------------------------------------------------------------------------------
# The baseline: raw SQL
# ---------------------------------------------------------------------------------------------------------------


def raw_sql_measure(
    args: argparse.Namespace,
    dsn: str,
    payments: list[Payment],
    facts: list[Fact],
    order_of: dict[int, list[int]],
    *,
    sql_sessions: int,
    owed: Any,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """The baseline: the same notifications in the same order from as many processes and sessions, on scratch
    tables: the endpoint's upsert alone, then the upsert and a naive exactly-once apply in one transaction. Returns
    (figures per pass, whether both counted what they should)."""
    # Django is set up in run(): the models can be imported.
    from django.db import connection

    from shared_apps.payments.models import WebhookEvent

    n, n_payments = args.notifications, len(payments)
    event_table = WebhookEvent._meta.db_table
    tables = {"event": "bench_raw_event", "intent": "bench_raw_intent", "ledger": "bench_raw_ledger"}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {tables['event']} (LIKE {event_table} INCLUDING ALL); "
            f"CREATE TABLE {tables['intent']} (id bigint PRIMARY KEY, amount numeric(12, 2) NOT NULL, "
            "status varchar(20) NOT NULL, captured_amount numeric(12, 2) NOT NULL DEFAULT 0); "
            f"CREATE TABLE {tables['ledger']} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            f"key varchar(64) NOT NULL UNIQUE, intent_id bigint NOT NULL REFERENCES {tables['intent']}, "
            "amount numeric(12, 2) NOT NULL, created_at timestamptz NOT NULL)"
        )
    sql: dict[str, dict[str, Any]] = {}
    sql_ok = True
    per_process_sessions = [len(range(k, sql_sessions, args.processes)) for k in range(args.processes)]
    for key, apply, label in (
        ("upsert", False, "the endpoint's upsert alone, autocommit"),
        ("apply", True, "upsert + intent UPDATE + ledger row, one transaction"),
    ):
        report.section(f"Raw SQL: {n:,} notifications, {args.processes} processes, {sql_sessions} sessions: {label}")
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables['event']}, {tables['ledger']}, {tables['intent']}")
            cursor.executemany(
                f"INSERT INTO {tables['intent']} (id, amount, status) VALUES (%s, %s, 'processing')",
                [(p.intent_id, p.amount) for p in payments],
            )
            cursor.execute(f"ANALYZE {tables['event']}, {tables['intent']}, {tables['ledger']}")
        sql_rows, _ = run_clients(
            raw_sql_client,
            [
                (
                    dsn,
                    tables,
                    [
                        (
                            facts[i].gateway,
                            facts[i].key,
                            facts[i].body.decode(),
                            facts[i].content_type,
                            payments[facts[i].payment].intent_id if facts[i].kind == "paid" else None,
                        )
                        for i in order_of[k]
                    ],
                    max(1, per_process_sessions[k]),
                    apply,
                )
                for k in range(args.processes)
            ],
        )
        s_first, s_last = min(r[0] for r in sql_rows), max(r[1] for r in sql_rows)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), coalesce(sum(deliveries), 0) FROM {tables['event']}")
            s_events, s_deliveries = cursor.fetchone()
            cursor.execute(
                f"SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT intent_id) FROM {tables['ledger']}"
            )
            s_ledger, s_sum, s_intents = cursor.fetchone()
        s_ok = s_events == len(facts) and s_deliveries == n
        if apply:
            s_ok = s_ok and s_ledger == s_intents == n_payments and s_sum == owed
        sql_ok = sql_ok and s_ok
        sql[key] = {
            "label": label,
            "rate": len(sql_rows) / (s_last - s_first),
            "wall": s_last - s_first,
            "all": stats([(r[1] - r[0]) * 1000 for r in sql_rows]),
            "ok": s_ok,
            "ledger": (s_ledger, s_sum),
        }
        print(
            f"{s_events:,} events, {s_deliveries:,} deliveries; ledger {s_ledger:,} rows (Σ {s_sum}) -> "
            f"{verdict(s_ok)}; {sql[key]['rate']:,.0f} notifications/s in {sql[key]['wall']:.2f} s; latency "
            f"{latency(sql[key]['all'])}"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {tables['ledger']}, {tables['intent']}, {tables['event']}")
    return sql, sql_ok


# ---------------------------------------------------------------------------------------------------------------
# The mix
# ---------------------------------------------------------------------------------------------------------------


def mix(facts: list[Fact], n_payments: int, n_dup: int, processes: int, lag: float, rng: random.Random):
    """The deliveries: every fact once plus `n_dup` re-sends drawn from all facts, each with a time in [0, 1); a stale
    fact's copies come at least `lag` after its payment's paid original. Returns ({process: [fact index, ...] in
    sending order}, deliveries per fact)."""
    stale_of = {f.payment: i for i, f in enumerate(facts) if f.kind == "stale"}
    paid_at = {p: rng.uniform(0, 1 - lag) if p in stale_of else rng.random() for p in range(n_payments)}
    copies = list(range(len(facts))) + rng.choices(range(len(facts)), k=n_dup)
    originals = set()
    timed = []
    for fact_index in copies:
        fact = facts[fact_index]
        if fact.kind == "stale":
            when = rng.uniform(paid_at[fact.payment] + lag, 1.0)
        elif fact_index not in originals:
            when = paid_at[fact.payment]
            originals.add(fact_index)
        else:
            when = rng.random()
        timed.append((when, fact_index))
    per_process: dict[int, list[int]] = defaultdict(list)
    for _, fact_index in sorted(timed):
        per_process[facts[fact_index].payment % processes].append(fact_index)
    return per_process, Counter(copies)


# ---------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notifications", type=int, default=2000, help="notifications sent (default 2,000)")
    parser.add_argument("--duplicates", type=float, default=0.3, help="share that are exact re-sends (default 0.3)")
    parser.add_argument("--out-of-order", type=float, default=0.1, help="share that are stale (default 0.1)")
    parser.add_argument("--processes", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--in-flight", type=int, default=32, help="open requests per client process (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker instances (default 2)")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="prefork children per worker (default: the Procfile worker line's)"
    )
    parser.add_argument(
        "--web-workers", type=int, default=0, help="web server workers (default: the Procfile web line's)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="payments notified before the measurement (default 20)")
    parser.add_argument("--timeout", type=float, default=600.0, help="wait at most this long for the workers (s)")
    parser.add_argument("--sql-sessions", type=int, default=0, help="raw SQL sessions (default: web pools in all)")
    parser.add_argument("--seed", type=int, default=8, help="random seed of the mix (default 8)")
    parser.add_argument("--redis-db", type=int, default=8, help="Redis database number for the run (default 8)")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_webhooks)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    worker_env, concurrency = procfile_worker()
    args.concurrency = args.concurrency or concurrency
    os.environ.update(worker_env)  # for the workers this script starts (its own settings are loaded already)
    n_stale = round(args.notifications * args.out_of_order)
    n_dup = round(args.notifications * args.duplicates)
    n_payments = args.notifications - n_dup - n_stale
    if not (0 <= args.duplicates < 1 and 0 <= args.out_of_order < 1) or n_payments < max(2, n_stale):
        parser.error("the paid originals (N - duplicates - stale) must be at least 2 and at least the stale ones")
    if min(args.processes, args.in_flight, args.workers, args.concurrency, args.warmup) < 1:
        parser.error("--processes, --in-flight, --workers, --concurrency and --warmup must be positive")
    if args.processes > n_payments:
        parser.error("--processes must be at most the number of payments")

    run_started = time.perf_counter()
    redis_database_use(args.redis_db)
    os.environ["PAYMENT_TIMEOUT_MINUTES"] = "60"
    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_QUEUE"] = queue  # settings read it once: the server's and the workers' tasks go there
    workers = CeleryWorkers(queue=queue, count=args.workers, concurrency=args.concurrency)
    with bench_database(name=args.db_name, suffix="webhooks", keep=args.keep) as (bench_url, bench_name):
        try:
            return run(args, bench_url, bench_name, workers, (n_payments, n_stale, n_dup), run_started)
        finally:
            workers.stop()
            celery_queue_drop(queue)


def run(
    args: argparse.Namespace,
    bench_url: str,
    bench_name: str,
    workers: CeleryWorkers,
    counts: tuple[int, int, int],
    run_started: float,
) -> int:
    django_start(quiet=True)
    queue = workers.queue

    # Django is set up now: the models and services can be imported.

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count, Max, Q, Sum

    from config.celery import app
    from marketplace.cart.services import cart_item_add
    from marketplace.cart.shoppers import Shopper
    from marketplace.checkout.services import CheckoutRequest, checkout_place
    from sandboxes.testing import _payment_credentials, _payment_urls
    from shared_apps.accounts.services import guest_create
    from shared_apps.payments.gateways import gateway_for
    from shared_apps.payments.models import (
        IntentStatus,
        LedgerEntry,
        PaymentAttempt,
        PaymentIntent,
        Refund,
        WebhookEvent,
        WebhookStatus,
    )
    from shared_apps.payments.services import REDIRECT_CACHE, payment_attempt_start
    from shared_apps.payments.tests.conftest import Sandbox, jazzcash_signed, notification_body

    n_payments, n_stale, n_dup = counts
    n = args.notifications
    rng = random.Random(args.seed)
    dsn = conninfo(bench_url)
    stack = ExitStack()
    try:
        # -- setup (not timed) -------------------------------------------------------------------------------------
        report.section("Setup (not timed)")
        started = time.perf_counter()
        shared_apps_migrate()
        units = n_payments + args.warmup
        branch = {
            "name": "Main Boulevard",
            "address": "Main Boulevard, Gulberg II, Lahore",
            "area": "Gulberg II",
            "latitude": "31.520400",
            "longitude": "74.358700",
        }
        earbuds = ProductSpec("earbuds", "Wireless earbuds", "WH-EARBUDS", "Black", PRICE, units)
        shop = shop_open(
            name="Webhook Mart", slug="webhook-mart", owner_phone="+923009990008", branch=branch, products=[earbuds]
        )
        listing_id = shop.listings["earbuds"]
        print(f"migrate, merchant, product with {units:,} units              {time.perf_counter() - started:6.1f} s")

        started = time.perf_counter()
        sandbox_env = {
            **os.environ,
            **_payment_credentials(),
            "SANDBOX_SMS_ACCOUNT_SID": settings.SMS_ACCOUNT_SID,
            "SANDBOX_SMS_AUTH_TOKEN": settings.SMS_AUTH_TOKEN,
            "SANDBOX_FOREE_NOTIFICATION_URL": "http://127.0.0.1:9/nobody",
            "SANDBOX_JAZZCASH_IPN_URL": "http://127.0.0.1:9/nobody",
        }
        sandboxes = Sandboxes(env=sandbox_env)
        stack.callback(sandboxes.stop)
        sandboxes.wait()
        pointed = {**_payment_urls(sandboxes.base), "SMS_API_BASE": sandboxes.base}
        os.environ.update(pointed)  # the web server and the workers started below
        for name, value in pointed.items():  # this process (payment_attempt_start, the helpers)
            setattr(settings, name, value)
        box = Sandbox(sandboxes.base, settings)
        box.reset()  # notifications off: this script is the provider that notifies
        print(f"sandboxes at {sandboxes.base} (notifications off)        {time.perf_counter() - started:6.1f} s")

        started = time.perf_counter()
        attempts: list[PaymentAttempt] = []
        for i in range(units):
            gateway = "foree" if i % 2 == 0 else "jazzcash"
            shopper = Shopper(guest_id=guest_create().pk)
            cart_item_add(shopper=shopper, listing_id=listing_id, quantity=1)
            request = CheckoutRequest(payment_method=gateway, contact_phone="03001234567", contact_name="Buyer")
            order = checkout_place(shopper=shopper, idempotency_key=uuid.uuid4().hex, request=request).order
            attempts.append(
                payment_attempt_start(intent=PaymentIntent.objects.get(customer_order=order), gateway=gateway)
            )
        print(f"{units:,} online orders placed, attempts started (services) {time.perf_counter() - started:6.1f} s")

        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:  # the customers press Pay at the providers
            notices = list(pool.map(box.pay, attempts))
        connection.close()
        payments: list[Payment] = []
        for i, (attempt, notice) in enumerate(zip(attempts, notices, strict=True)):
            payment = Payment(
                attempt.intent.customer_order_id,
                attempt.intent_id,
                attempt.pk,
                attempt.reference,
                attempt.gateway,
                str(attempt.amount),
                notification_body(attempt, notice),
            )
            changes = STALE[attempt.gateway][i // 2 % 2]
            if attempt.gateway == "jazzcash":
                stale = jazzcash_signed(
                    notice, settings.JAZZCASH_INTEGRITY_SALT, pp_RetreivalReferenceNo="", pp_AuthCode="", **changes
                )
            else:
                bill = {**notice["response_data"]["bill"], **changes, "paid_amount": None}
                bill["transaction_ref_id"] = (
                    None if changes["bill_status"] == "Unpaid" else f"FT{rng.randrange(10**14)}"
                )
                stale = {**notice, "response_data": {"bill": bill}}
            payment.stale = notification_body(attempt, stale)
            payments.append(payment)
        warm, payments = payments[: args.warmup], payments[args.warmup :]
        print(f"{units:,} paid in the sandboxes, notification bodies built  {time.perf_counter() - started:6.1f} s")

        # -- the mix -------------------------------------------------------------------------------------------------
        def fact(p: int, payment: Payment, kind: str) -> Fact:
            body, content_type = payment.paid if kind == "paid" else payment.stale
            notice = gateway_for(payment.gateway).parse_notification(body=body, content_type=content_type)
            return Fact(p, kind, payment.gateway, notice.dedupe_key, body, content_type)

        stale_payments = set(rng.sample(range(n_payments), n_stale))
        facts = [fact(p, payment, "paid") for p, payment in enumerate(payments)]
        facts += [fact(p, payments[p], "stale") for p in sorted(stale_payments)]
        if len({(f.gateway, f.key) for f in facts}) != len(facts):
            raise RuntimeError("two facts share a dedupe key: the mix would not be what it says")
        per_process_len = n / args.processes
        lag = min(0.5, 2 * args.in_flight / per_process_len)
        order_of, deliveries = mix(facts, n_payments, n_dup, args.processes, lag, rng)
        dup_kinds = Counter(facts[i].kind for i, c in deliveries.items() for _ in range(c - 1))
        histogram = Counter(deliveries.values())
        report.section("The mix")
        print(
            f"{n:,} notifications = {n_payments:,} paid originals + {n_stale:,} stale (out of order) + {n_dup:,} "
            f"duplicates ({dup_kinds['paid']:,} of paid, {dup_kinds['stale']:,} of stale notifications)"
        )
        print(
            f"{len(facts):,} distinct facts over {n_payments:,} payments "
            f"({sum(p.gateway == 'foree' for p in payments):,} Foree Pay, "
            f"{sum(p.gateway == 'jazzcash' for p in payments):,} JazzCash); deliveries per fact: "
            + ", ".join(f"{k}x {v:,}" for k, v in sorted(histogram.items()))
        )
        stale_says = Counter(f"{f.gateway} {f.key.rsplit(':', 1)[1]}" for f in facts if f.kind == "stale")
        print(
            f"stale: {', '.join(f'{k} {v}' for k, v in sorted(stale_says.items()))}; each placed >= {lag:.2f} of "
            "its client's sending order after its payment's paid notification"
        )

        # -- processes -----------------------------------------------------------------------------------------------
        web_env, web_workers = procfile_web()
        web_workers = args.web_workers or web_workers
        pool_size = int(web_env.get("DB_POOL_MAX_SIZE", "0") or 0)
        sql_sessions = args.sql_sessions or max(args.processes, web_workers * pool_size)
        report.section("Machine and settings")
        shown = ("shared_buffers", "synchronous_commit", "max_connections")
        pg = postgres_settings("server_version", *shown)
        db_host = database_server()
        import httpx  # only to show what one client costs (below)

        cpu_started = time.process_time()
        for _ in range(10):
            httpx.Client(timeout=5).close()
        client_ms = (time.process_time() - cpu_started) * 100
        report.rows_print(report.machine_rows(pg, db_host, shown=shown), width=16)
        rows = [
            ("Redis", f"{report.redact(settings.REDIS_URL)} (Celery queue {queue})"),
            ("Django", report.versions("django-ninja", "psycopg", "granian", "celery", "httpx")),
            (
                "httpx.Client()",
                f"{client_ms:.0f} ms of CPU each here (its SSL context): the gateway adapters and the "
                "SMS client build one per call",
            ),
            ("Bench database", bench_name),
            ("Server", f"{web_label(workers=web_workers)}, Procfile env {web_env or 'none'}"),
            ("Workers", f"{args.workers} x celery worker --pool prefork --concurrency {args.concurrency} -Q {queue}"),
            ("Sandboxes", f"{sandboxes.base} (uvicorn sandboxes.app:app, 1 process)"),
            (
                "Clients",
                f"{args.processes} processes x at most {args.in_flight} requests in flight; raw SQL "
                f"{sql_sessions} sessions",
            ),
        ]
        report.rows_print(rows, width=16)

        server = WebServer(env=web_env, workers=web_workers)
        stack.callback(server.stop)
        names = workers.start()  # ready when the warm-up is applied
        stack.callback(workers.stop)  # before the sandboxes go: a text in flight would retry
        server.wait()

        def applied(intent_ids: list[int], events: int, timeout: float) -> tuple[bool, dict[str, int]]:
            """Poll until `events` notifications are stored and none waits for a worker and every intent succeeded."""
            deadline = time.monotonic() + timeout
            while True:
                state = WebhookEvent.objects.aggregate(
                    stored=Count("id"),
                    waiting=Count("id", filter=Q(status=WebhookStatus.RECEIVED)),
                    retry=Count("id", filter=Q(status=WebhookStatus.RETRY)),
                )
                state["unpaid"] = (
                    PaymentIntent.objects.filter(pk__in=intent_ids).exclude(status=IntentStatus.SUCCEEDED).count()
                )
                done = state["stored"] >= events and not state["waiting"] and not state["unpaid"]
                stuck = state["stored"] >= events and not state["waiting"] and state["retry"]  # no beat: never
                if done or stuck or time.monotonic() > deadline:
                    return bool(done), state
                workers.alive_check()
                time.sleep(0.2)

        def share(rows: list[tuple[int, Fact]]) -> list[tuple]:
            return [(i, PATHS[f.gateway], f.body, f.content_type) for i, f in rows]

        report.section(f"Warm-up: {args.warmup} other payments notified and applied")
        warm_facts = [fact(-1, payment, "paid") for payment in warm]
        warm_rows, _ = run_clients(
            notify_client,
            [
                ("127.0.0.1", server.port, share(list(enumerate(warm_facts))[k::web_workers]), 8)
                for k in range(min(web_workers, len(warm_facts)))
            ],
        )
        ok, state = applied([p.intent_id for p in warm], len(warm_facts), 120)
        print(f"warm-up answers {dict(Counter(r[3] for r in warm_rows))}; applied: {ok} {state}")
        if not ok or {r[3] for r in warm_rows} != {200}:
            raise RuntimeError(f"warm-up failed: {warm_rows[:3]}\n{server.output()}")

        # -- HTTP and the workers ----------------------------------------------------------------------------------
        pids = {
            "web": server.pids(),
            "workers": workers.pids(),
            "sandboxes": [sandboxes.proc.pid],
        }
        items = [share([(i, facts[i]) for i in order_of[k]]) for k in range(args.processes)]

        def http_pass(title: str, then=None) -> dict[str, Any]:
            """Every client process sends its items, released together; `then()` runs after the last answer (wait for
            the workers). Figures, and the CPU used from the release until `then` returned."""
            report.section(title)
            time.sleep(1.0)
            cpu_before = {name: process_cpu_s(p) for name, p in pids.items()}
            sampler = BackendCpu(dsn)
            sampler.start()
            wall_offset = time.time() - time.perf_counter()
            rows, released = run_clients(notify_client, [("127.0.0.1", server.port, k, args.in_flight) for k in items])
            out: dict[str, Any] = {"rows": rows, "answered": time.perf_counter()}
            out["first"], out["last"] = min(r[1] for r in rows), max(r[2] for r in rows)
            out["first_wall"] = out["first"] + wall_offset
            out["wall"] = out["last"] - out["first"]
            out["rate"] = len(rows) / out["wall"]
            out["answers"] = Counter(r[3] for r in rows)
            out["all"] = stats([(r[2] - r[1]) * 1000 for r in rows])
            for kind in ("paid", "stale"):
                out[kind] = stats([(r[2] - r[1]) * 1000 for r in rows if facts[r[0]].kind == kind])
            odd = [r for r in rows if r[3] != 200]
            print(f"answers: {dict(out['answers'])}" + (f"; e.g. {odd[0]}" if odd else ""))
            print(f"wall {out['wall']:.2f} s (first request sent {out['first'] - released:+.3f} s after the release)")
            print(f"throughput {out['rate']:,.1f} notifications/s answered")
            print(f"latency all    {latency(out['all'])}")
            print(f"latency paid   {latency(out['paid'])}")
            print(f"latency stale  {latency(out['stale'])}")
            out["then"] = then() if then else None
            used = {name: process_cpu_s(p) - cpu_before[name] for name, p in pids.items()}
            used["postgres"], sessions = sampler.stop()
            used["clients"] = sum(r[5] for r in rows)
            out["cpu"] = {name: value / len(rows) * 1000 for name, value in used.items()}
            figures = ", ".join(f"{k} {v:.1f} ms" for k, v in out["cpu"].items())
            print(f"CPU per notification (release to the end of the work, {sessions} PostgreSQL sessions): {figures}")
            return out

        def drained(timeout: float = 120.0) -> bool:
            """The run's queue is empty and no worker is busy (texts and other follow-up tasks included), twice."""
            deadline, calm = time.monotonic() + timeout, 0
            while time.monotonic() < deadline and calm < 2:
                with app.connection_for_write() as conn:
                    queued = conn.default_channel.client.llen(queue)
                inspect = app.control.inspect(destination=names, timeout=1)
                busy = sum(
                    len(tasks)
                    for found in (inspect.active(), inspect.reserved(), inspect.scheduled())
                    for tasks in (found or {"no answer": [None]}).values()
                )
                calm = calm + 1 if queued == 0 and busy == 0 else 0
                time.sleep(0.3)
            return calm >= 2

        intent_ids = [p.intent_id for p in payments]
        ours = WebhookEvent.objects.exclude(dedupe_key__in=[f.key for f in warm_facts])
        outcome: dict[str, Any] = {}

        def until_applied() -> None:
            outcome["ok"], outcome["state"] = applied(intent_ids, len(warm_facts) + len(facts), args.timeout)
            outcome["polled"] = time.perf_counter()
            outcome["drained"] = drained()

        http = http_pass(
            f"HTTP: {n:,} notifications from {args.processes} processes, the workers applying them", until_applied
        )
        rows, first, ok = http["rows"], http["first"], outcome["ok"]
        answers, wall = http["answers"], http["wall"]
        last_processed = ours.aggregate(at=Max("processed_at"))["at"]
        last_capture = PaymentAttempt.objects.filter(intent_id__in=intent_ids).aggregate(at=Max("succeeded_at"))["at"]
        e2e = (last_processed.timestamp() - http["first_wall"]) if last_processed else float("nan")
        captured_s = (last_capture.timestamp() - http["first_wall"]) if last_capture else float("nan")
        print(
            f"applied: {'yes' if ok else 'NO'} {outcome['state']}; the last notification processed {e2e:.2f} s after "
            f"the first was sent (the last capture at {captured_s:.2f} s; polling saw it at "
            f"{outcome['polled'] - first:.2f} s, {outcome['polled'] - http['answered']:.2f} s after the last HTTP "
            f"answer; queue drained: {outcome['drained']})"
        )
        e2e_rate, facts_rate = n / e2e, len(facts) / e2e
        print(
            f"end to end {e2e_rate:,.1f} notifications/s = {facts_rate:,.1f} distinct facts/s = "
            f"{n_payments / captured_s:,.1f} payments captured/s (the machine had {os.cpu_count()} cores x "
            f"{e2e:.2f} s = {(os.cpu_count() or 1) * e2e / n * 1000:.1f} ms of CPU per notification)"
        )
        logged = workers.logs()
        done_tasks = Counter(m.rsplit(".", 1)[-1] for m in re.findall(r"Task ([\w.]+)\[[^\]]*\] succeeded", logged))
        retries, errors = logged.count("] retry: "), logged.count(" ERROR/")
        print(f"worker logs: tasks succeeded {dict(done_tasks)}; {retries} retries, {errors} errors")
        server_exceptions = server.exceptions()
        if server_exceptions:
            print(f"server exceptions: {dict(server_exceptions)}")

        # out of order, as it happened
        first_paid_answer: dict[int, float] = {}
        first_paid_sent: dict[int, float] = {}
        for r in rows:
            f = facts[r[0]]
            if f.kind == "paid":
                first_paid_sent[f.payment] = min(first_paid_sent.get(f.payment, r[1]), r[1])
                first_paid_answer[f.payment] = min(first_paid_answer.get(f.payment, r[2]), r[2])
        stale_rows = [r for r in rows if facts[r[0]].kind == "stale"]
        after_answer = sum(r[1] >= first_paid_answer[facts[r[0]].payment] for r in stale_rows)
        after_sent = sum(r[1] >= first_paid_sent[facts[r[0]].payment] for r in stale_rows)
        print(
            f"out of order: {len(stale_rows)} stale deliveries; {after_sent} sent after their payment's first paid "
            f"notification was sent, {after_answer} after it was answered"
        )

        once = exactly_once_check(
            facts=facts, deliveries=deliveries, payments=payments, ours=ours, shop=shop, rows=rows, answers=answers, n=n
        )
        checks, expected, events, captured, owed = once.checks, once.expected, once.events, once.captured, once.owed
        correct = ok and all(checks.values())

        # -- replay: the endpoint alone ----------------------------------------------------------------------------
        def books() -> tuple:
            ledger = LedgerEntry.objects.filter(intent_id__in=intent_ids).aggregate(
                rows=Count("id"), total=Sum("amount")
            )
            refunds = Refund.objects.filter(intent_id__in=intent_ids).count()
            return ours.aggregate(at=Max("processed_at"))["at"], ledger["rows"], ledger["total"], refunds

        books_before = books()
        replay = http_pass(
            f"Replay: the same {n:,} notifications again, all duplicates now (the endpoint alone: no task)",
            lambda: drained(30),
        )
        replayed = {(e.gateway, e.dedupe_key): (e.deliveries, e.status) for e in ours}
        replay_checks = {
            f"replay: every answer 200 ({n:,})": set(replay["answers"]) == {200} and len(replay["rows"]) == n,
            "replay: deliveries doubled, statuses unchanged": replayed
            == {k: (2 * c, WebhookStatus.APPLIED) for k, c in expected.items()},
            "replay: no event processed again, the same ledger rows, no refund": books() == books_before,
        }
        for label, (at, rows_, total, refunds) in (("before", books_before), ("after", books())):
            print(
                f"{label} the replay: last event processed at {at:%H:%M:%S.%f}, {rows_:,} ledger rows (Σ {total}), "
                f"{refunds} refunds"
            )
        for name, passed in replay_checks.items():
            print(f"{verdict(passed)}  {name}")
        correct = correct and all(replay_checks.values())

        sql, sql_ok = raw_sql_measure(args, dsn, payments, facts, order_of, sql_sessions=sql_sessions, owed=owed)

        # -- markdown ----------------------------------------------------------------------------------------------
        report.section("Markdown (docs/benchmarks.md)")
        print()
        print(
            f"{report.machine_line()}, load average "
            f"{os.getloadavg()[0]:.2f} after the run; PostgreSQL {pg['server_version']} ({db_host}, shared_buffers "
            f"{pg['shared_buffers']}, synchronous_commit {pg['synchronous_commit']}); Python "
            f"{platform.python_version()}, Django {report.versions()}, {web_label(workers=web_workers)}, "
            f"{', '.join(f'{k}={v}' for k, v in web_env.items()) or 'no Procfile variables'}; celery "
            f"{version('celery')}: {args.workers} x prefork --concurrency {args.concurrency}; the sandboxes process (1 "
            f"uvicorn process). {n:,} notifications = {n_payments:,} paid + {n_stale:,} stale + {n_dup:,} duplicates "
            f"({len(facts):,} distinct facts, {n_payments:,} payments, half Foree Pay, half JazzCash), from "
            f"{args.processes} client processes x {args.in_flight} in flight (one connection per notification). "
            f"One `httpx.Client()` costs {client_ms:.0f} ms of CPU on this box (SSL context)."
        )
        print()

        def lat(v: dict[str, Any], bold: bool = False) -> str:
            p99 = f"**{fmt_ms(v['all']['p99'])}**" if bold else fmt_ms(v["all"]["p99"])
            return f"{fmt_ms(v['all']['p50'])} / {fmt_ms(v['all']['p90'])} / {p99} / {fmt_ms(v['all']['max'])} ms"

        def cpu(v: dict[str, Any]) -> str:
            return " / ".join(f"{x:.1f}" for x in v["cpu"].values()) + " ms"

        delivered = sum(e.deliveries for e in events.values())
        report.markdown_table(
            (
                "Measure",
                "HTTP: web server + workers",
                "HTTP replay: the endpoint alone",
                *(f"raw SQL: {v['label']}" for v in sql.values()),
            ),
            [
                (
                    "Throughput, answered",
                    f"**{http['rate']:,.0f} notifications/s** ({wall:.2f} s)",
                    f"{replay['rate']:,.0f} notifications/s ({replay['wall']:.2f} s)",
                    *(f"{v['rate']:,.0f} notifications/s ({v['wall']:.2f} s)" for v in sql.values()),
                ),
                ("Latency p50 / p90 / p99 / max", lat(http, bold=True), lat(replay), *(lat(v) for v in sql.values())),
                (
                    "Everything applied, from the first send",
                    f"**{e2e:.1f} s = {e2e_rate:,.1f} notifications/s** ({facts_rate:,.1f} facts/s, "
                    f"{n_payments / captured_s:,.1f} captures/s)",
                    "nothing to apply",
                    "nothing to apply",
                    "inline",
                ),
                (
                    "CPU per notification: web / workers / sandboxes / PostgreSQL / clients",
                    cpu(http),
                    cpu(replay),
                    "",
                    "",
                ),
                (
                    "Exactly once",
                    f"{len(events):,} events ({delivered:,} deliveries), {n_payments:,} intents x 1 capture of the "
                    f"amount, Σ {captured} = owed, ledger balanced, 0 refunds: **{verdict(all(checks.values()))}**",
                    f"deliveries doubled, nothing else changed: **{verdict(all(replay_checks.values()))}**",
                    f"{verdict(sql['upsert']['ok'])} ({len(facts):,} rows)",
                    f"{sql['apply']['ledger'][0]:,} captures, Σ {sql['apply']['ledger'][1]}: "
                    f"{verdict(sql['apply']['ok'])}",
                ),
            ],
        )
        print(
            f"\nOut of order as sent: {after_sent} of {len(stale_rows)} stale deliveries went out after their "
            f"payment's first paid one, {after_answer} after it was answered; {once.stale_late} of "
            f"{len(once.stale_keys)} stale facts were processed after the capture (the others first: the status query "
            "said paid, and they captured)."
        )
        report.wall_time(run_started)
        cache.delete_many([REDIRECT_CACHE.format(a.reference) for a in attempts])
        if correct:
            for log in workers.log_paths():
                log.unlink(missing_ok=True)
        else:
            print("worker logs: " + ", ".join(str(log) for log in workers.log_paths()))
        return 0 if correct and sql_ok else 1
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
