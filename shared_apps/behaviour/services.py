"""Draining the recorded events into the database (beat, every few seconds: tasks.behaviour_drain_task)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import orjson
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from kernel.cache import redis_client
from shared_apps.behaviour.models import BehaviourEvent, EventKind
from shared_apps.behaviour.recorder import events_key

log = logging.getLogger(__name__)

BATCH = 5000
COMPLETION_FRACTION = 0.95  # players stop a few frames short of the end: that is still watched to the end
_COUNTERS = ("views", "watches", "watch_ms", "watch_fraction", "completions", "product_taps", "add_to_carts", "orders",
             "shares")  # fmt: skip

_UPSERT = f"""
    INSERT INTO behaviour_behaviourtotal (subject, merchant_id, subject_id, {", ".join(_COUNTERS)}, updated_at)
    SELECT *, now() FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
                                %s::float8[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
    ON CONFLICT (subject, merchant_id, subject_id) DO UPDATE SET
        {", ".join(f"{c} = behaviour_behaviourtotal.{c} + EXCLUDED.{c}" for c in _COUNTERS)},
        updated_at = EXCLUDED.updated_at
"""


@dataclass
class DrainReport:
    events: int = 0
    batches: int = 0
    subjects: int = 0


def watch_fraction(*, watch_ms: int | None, duration_ms: int | None) -> float:
    """How much of the subject was watched, 0..1, whatever its length (the ranking's completion signal)."""
    if not watch_ms or not duration_ms:
        return 0.0
    return min(watch_ms / duration_ms, 1.0)


def _totals(rows: list[dict]) -> dict[tuple[str, int, int], dict[str, float]]:
    totals: dict[tuple[str, int, int], dict[str, float]] = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for row in rows:
        total = totals[(row["subject"], row["merchant_id"], row["subject_id"])]
        kind = row["kind"]
        if kind == EventKind.VIEW:
            total["views"] += 1
        elif kind == EventKind.WATCH:
            fraction = watch_fraction(watch_ms=row.get("watch_ms"), duration_ms=row.get("duration_ms"))
            total["watches"] += 1
            total["watch_ms"] += row.get("watch_ms") or 0
            total["watch_fraction"] += fraction
            total["completions"] += fraction >= COMPLETION_FRACTION
        elif kind == EventKind.PRODUCT_TAP:
            total["product_taps"] += 1
        elif kind == EventKind.ADD_TO_CART:
            total["add_to_carts"] += 1
        elif kind == EventKind.ORDER:
            total["orders"] += 1
        elif kind == EventKind.SHARE:
            total["shares"] += 1
    return totals


def _decoded(raw: list[bytes]) -> list[dict]:
    rows = []
    kinds = set(EventKind.values)
    for item in raw:
        try:
            row = orjson.loads(item)
            if row["kind"] in kinds:
                row["at"] = parse_datetime(row["at"])
                rows.append(row)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("behaviour event skipped: not an event: %r", item[:200])
    return rows


def _store(rows: list[dict]) -> int:
    """One batch in one transaction: the events and the totals they add to."""
    totals = _totals(rows)
    keys = list(totals)
    columns = [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
    # one type per array: psycopg will not send a list mixing ints and floats
    columns += [[(float if c == "watch_fraction" else int)(totals[k][c]) for k in keys] for c in _COUNTERS]
    with transaction.atomic():
        BehaviourEvent.objects.bulk_create(
            [
                BehaviourEvent(
                    kind=r["kind"],
                    subject=r["subject"],
                    merchant_id=r["merchant_id"],
                    subject_id=r["subject_id"],
                    shopper=r.get("shopper") or "",
                    product_id=r.get("product_id"),
                    watch_ms=r.get("watch_ms"),
                    duration_ms=r.get("duration_ms"),
                    at=r["at"],
                )
                for r in rows
            ],
            batch_size=1000,
        )
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, columns)
    return len(keys)


def behaviour_drain(*, batch: int = BATCH, max_batches: int = 20) -> DrainReport:
    """Move recorded events from Redis into `BehaviourEvent` and `BehaviourTotal`, a batch per transaction.
    At most once: a batch is taken off the list before it is written, and pushed back if the write fails; a worker
    killed between the two loses that batch (statistics, not records). Safe to run concurrently (each batch is
    taken atomically by one drainer)."""
    report = DrainReport()
    client = redis_client()
    key = events_key()
    for _ in range(max_batches):
        pipe = client.pipeline(transaction=True)
        pipe.lrange(key, 0, batch - 1)
        pipe.ltrim(key, batch, -1)
        raw, _ = pipe.execute()
        if not raw:
            break
        rows = _decoded(raw)
        try:
            report.subjects += _store(rows) if rows else 0
        except Exception:
            client.rpush(key, *raw)  # back for the next drain
            raise
        report.events += len(rows)
        report.batches += 1
        if len(raw) < batch:
            break
    return report
