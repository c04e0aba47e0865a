"""Writes of behaviour events: draining the recorded events into the database (beat, every few seconds:
tasks.behaviour_drain_task), and what a shopper may ask of their history — to stop being recorded, to clear it, and
(a guest signing in) to have it follow them into their account; and, daily, retiring events past their retention.

Each drain batch also adds the recommendation shelves' impressions and clicks to their daily counts (`ShelfDaily`,
per day, shelf and model label), so the admin's click-through never reads the events.

The drain and a shopper's history writes meet on one PostgreSQL advisory lock: each drain batch holds it shared while
it reads the shoppers' wishes and writes its events; a merge, a clear, a change of the recording choice and the
opt-out set's rebuild hold it exclusively. So a batch already taken off Redis is written before a merge re-keys the
guest's events or a clear deletes them (and is re-keyed or deleted with them), and every later batch reads the alias
or the clearing time and applies it to the events still queued; and the Redis mirror of the opt-outs is always
written in the order the choices were made. Batches do not wait for each other; a sign-in or a choice waits for at
most the batch being written.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kernel.cache import redis_client
from shared_apps.behaviour.models import SHELF_SURFACES, BehaviourEvent, BehaviourShopper, EventKind
from shared_apps.behaviour.recorder import events_key, opted_out_mark, opted_out_replace

log = logging.getLogger(__name__)

BATCH = 5000  # list items a transaction takes; an item is one request's events of one shopper (a page: ~20)
COMPLETION_FRACTION = 0.95  # players stop a few frames short of the end: that is still watched to the end
RETENTION_DAYS = 180  # who did what is kept this long (issue 21); then only per-product daily counts
RETIRE_BATCH = 10_000
SHOPPERS_LOCK_KEY = 7_301_021  # pg advisory lock id; any constant unique within this database
_COUNTERS = ("views", "watches", "watch_ms", "watch_fraction", "completions", "product_taps", "add_to_carts", "orders",
             "shares", "impressions", "search_clicks")  # fmt: skip
_COUNTED = {
    EventKind.VIEW: "views",
    EventKind.PRODUCT_TAP: "product_taps",
    EventKind.ADD_TO_CART: "add_to_carts",
    EventKind.ORDER: "orders",
    EventKind.PURCHASE: "orders",
    EventKind.SHARE: "shares",
    EventKind.IMPRESSION: "impressions",
    EventKind.SEARCH_CLICK: "search_clicks",
}

_COUNTER_ARRAYS = ", ".join("%s::float8[]" if c == "watch_fraction" else "%s::bigint[]" for c in _COUNTERS)
_UPSERT = f"""
    INSERT INTO behaviour_behaviourtotal (subject, merchant_id, subject_id, {", ".join(_COUNTERS)}, updated_at)
    SELECT *, now() FROM unnest(%s::text[], %s::bigint[], %s::bigint[], {_COUNTER_ARRAYS})
    ON CONFLICT (subject, merchant_id, subject_id) DO UPDATE SET
        {", ".join(f"{c} = behaviour_behaviourtotal.{c} + EXCLUDED.{c}" for c in _COUNTERS)},
        updated_at = EXCLUDED.updated_at
"""


# The shelves' daily click-through (ShelfDaily): what each batch adds, per (day, shelf, model label).
_SHELF_UPSERT = """
    INSERT INTO behaviour_shelfdaily (day, surface, model, impressions, clicks)
    SELECT * FROM unnest(%s::date[], %s::text[], %s::text[], %s::bigint[], %s::bigint[])
    ON CONFLICT (day, surface, model) DO UPDATE SET
        impressions = behaviour_shelfdaily.impressions + EXCLUDED.impressions,
        clicks = behaviour_shelfdaily.clicks + EXCLUDED.clicks
"""


@dataclass
class DrainReport:
    events: int = 0
    batches: int = 0
    subjects: int = 0
    dropped: int = 0  # opted out, or recorded before their shopper cleared the history


def watch_fraction(*, watch_ms: int | None, duration_ms: int | None) -> float:
    """How much of the subject was watched, 0..1, whatever its length (the ranking's completion signal)."""
    if not watch_ms or not duration_ms:
        return 0.0
    return min(watch_ms / duration_ms, 1.0)


def _shoppers_locked(*, shared: bool) -> None:
    """The drain (shared) against a shopper's merge or clear (exclusive), until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [SHOPPERS_LOCK_KEY])


def _totals(rows: list[dict]) -> dict[tuple[str, int, int], dict[str, float]]:
    totals: dict[tuple[str, int, int], dict[str, float]] = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for row in rows:
        kind = row["kind"]
        if kind != EventKind.WATCH and kind not in _COUNTED:
            continue
        total = totals[(row["subject"], row["merchant_id"], row["subject_id"])]
        if kind == EventKind.WATCH:
            fraction = watch_fraction(watch_ms=row.get("watch_ms"), duration_ms=row.get("duration_ms"))
            total["watches"] += 1
            total["watch_ms"] += row.get("watch_ms") or 0
            total["watch_fraction"] += fraction
            total["completions"] += fraction >= COMPLETION_FRACTION
        else:
            total[_COUNTED[kind]] += 1
    return totals


def _shelf_counts(rows: list[dict]) -> dict[tuple[date, str, str], list[int]]:
    """{(day, shelf, model label): [impressions, clicks]} of a batch's shelf events (context `r:<model label>`)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    counts: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        kind, context = row["kind"], row.get("context") or ""
        if kind not in (EventKind.IMPRESSION, EventKind.SHELF_CLICK) or row.get("surface") not in SHELF_SURFACES:
            continue
        if not context.startswith("r:"):
            continue
        key = (row["at"].astimezone(zone).date(), row["surface"], context[2:42])
        counts[key][0 if kind == EventKind.IMPRESSION else 1] += 1
    return counts


def _decoded(raw: list[bytes]) -> list[dict]:
    rows = []
    kinds = set(EventKind.values)
    for item in raw:
        try:
            value = orjson.loads(item)
        except orjson.JSONDecodeError:
            log.warning("behaviour event skipped: not an event: %r", item[:200])
            continue
        # a request's events of one shopper; a lone object is an event queued before pushes were batched
        for row in value if isinstance(value, list) else [value]:
            try:
                if row["kind"] in kinds:
                    row["at"] = parse_datetime(row["at"])
                    if row["at"] is None:
                        raise ValueError("no time")
                    rows.append(row)
            except (KeyError, TypeError, ValueError):
                log.warning("behaviour event skipped: not an event: %r", str(row)[:200])
    return rows


def _refuses(wish: BehaviourShopper | None, at: datetime) -> bool:
    return wish is not None and (not wish.recording or (wish.cleared_at is not None and at <= wish.cleared_at))


def _wished(rows: list[dict]) -> tuple[list[dict], set[str]]:
    """The rows their shoppers allow, each under the shopper it belongs to now (a guest's events under the account
    it signed in to), and the opted-out shoppers whose events reached Redis all the same. Call under the lock."""
    keys = {r["shopper"] for r in rows if r.get("shopper")}
    if not keys:
        return rows, set()
    wishes = {w.shopper: w for w in BehaviourShopper.objects.filter(shopper__in=keys)}
    targets = {w.merged_into for w in wishes.values() if w.merged_into} - wishes.keys()
    if targets:
        wishes |= {w.shopper: w for w in BehaviourShopper.objects.filter(shopper__in=targets)}
    kept, slipped = [], set()
    for row in rows:
        key = row.get("shopper") or ""
        own = wishes.get(key)
        now_key = own.merged_into if own is not None and own.merged_into else key
        refusing = [k for k in {key, now_key} if _refuses(wishes.get(k), row["at"])]
        if refusing:
            slipped |= {k for k in refusing if not wishes[k].recording}
            continue
        row["shopper"] = now_key
        kept.append(row)
    return kept, slipped


def _store(rows: list[dict]) -> tuple[int, int]:
    """One batch in one transaction: the events their shoppers allow and the totals they add to. Returns (events
    stored, subjects totalled)."""
    with transaction.atomic():
        _shoppers_locked(shared=True)
        rows, slipped = _wished(rows)
        for shopper in slipped:  # the Redis set missed them (lost, not yet rebuilt): spare the next batches
            opted_out_mark(shopper=shopper, opted_out=True)  # under the lock: an opt-in waits, then takes them out
        if not rows:
            return 0, 0
        totals = _totals(rows)
        keys = list(totals)
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
                    position=r.get("position"),
                    surface=r.get("surface") or "",
                    context=(r.get("context") or "")[:90],
                    at=r["at"],
                )
                for r in rows
            ],
            batch_size=1000,
        )
        if keys:
            columns = [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
            # one type per array: psycopg will not send a list mixing ints and floats
            columns += [[(float if c == "watch_fraction" else int)(totals[k][c]) for k in keys] for c in _COUNTERS]
            with connection.cursor() as cursor:
                cursor.execute(_UPSERT, columns)
        shelves = _shelf_counts(rows)
        if shelves:
            days = list(shelves)
            with connection.cursor() as cursor:
                cursor.execute(
                    _SHELF_UPSERT,
                    [
                        [d[0] for d in days],
                        [d[1] for d in days],
                        [d[2] for d in days],
                        [shelves[d][0] for d in days],
                        [shelves[d][1] for d in days],
                    ],
                )
    return len(rows), len(keys)


def behaviour_drain(*, batch: int = BATCH, max_batches: int = 20) -> DrainReport:
    """Move recorded events from Redis into `BehaviourEvent` and `BehaviourTotal`, a batch per transaction, leaving
    out the events of shoppers who opted out or cleared their history since, and filing a guest's events under the
    account it signed in to. At most once: a batch is taken off the list before it is written, and pushed back if
    the write fails; a worker killed between the two loses that batch (statistics, not records). Safe to run
    concurrently (each batch is taken atomically by one drainer)."""
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
            stored, subjects = _store(rows) if rows else (0, 0)
        except Exception:
            client.rpush(key, *raw)  # back for the next drain
            raise
        report.events += stored
        report.dropped += len(rows) - stored
        report.subjects += subjects
        report.batches += 1
        if len(raw) < batch:
            break
    return report


# ── What a shopper may ask ────────────────────────────────────────────────────────────────────────────────────────


def shopper_recording_set(*, shopper: str, recording: bool) -> bool:
    """Record the shopper's behaviour from now on, or stop (opt out): nothing of theirs is recorded any more —
    requests leave their events out (the Redis set, updated after commit) and the drain drops any that slipped in.
    What was recorded before stays until they clear it. Idempotent; returns `recording`."""
    with transaction.atomic():
        # exclusive: a drain or a rebuild that read the old choice has put it in Redis before this one is mirrored
        _shoppers_locked(shared=False)
        BehaviourShopper.objects.update_or_create(
            shopper=shopper, defaults={"recording": recording, "chosen": True, "updated_at": timezone.now()}
        )
        transaction.on_commit(lambda: opted_out_mark(shopper=shopper, opted_out=not recording))
    return recording


def shopper_history_clear(*, shopper: str) -> int:
    """Delete every event of the shopper's, and drop those still queued in Redis when the drain meets them (they are
    older than the clearing time). Per-subject totals and per-product daily counts keep what they counted: they name
    nobody. Idempotent; returns how many stored events were deleted."""
    with transaction.atomic():
        _shoppers_locked(shared=False)  # a batch being written finishes first, and is deleted with the rest
        deleted, _ = BehaviourEvent.objects.filter(shopper=shopper).delete()
        BehaviourShopper.objects.update_or_create(
            shopper=shopper, defaults={"cleared_at": timezone.now(), "updated_at": timezone.now()}
        )
    return deleted


def shopper_history_merge(*, from_shopper: str, into_shopper: str) -> int:
    """A guest's history becomes the account's (at sign-in): the stored events are re-keyed by one UPDATE and the
    guest's row names the account, so the drain files the events still queued under the guest's key to the account
    too. The account's own choice about recording stands; an account that never chose takes the guest's. Idempotent
    (a second call re-keys nothing); returns how many stored events moved. Call inside the sign-in's transaction."""
    if not from_shopper or from_shopper == into_shopper:
        return 0
    with transaction.atomic():
        _shoppers_locked(shared=False)  # a batch being written finishes first, and is re-keyed with the rest
        moved = BehaviourEvent.objects.filter(shopper=from_shopper).update(shopper=into_shopper)
        guest, _ = BehaviourShopper.objects.update_or_create(
            shopper=from_shopper, defaults={"merged_into": into_shopper, "updated_at": timezone.now()}
        )
        account = BehaviourShopper.objects.select_for_update().filter(shopper=into_shopper).first()
        if guest.chosen and (account is None or not account.chosen):
            shopper_recording_set(shopper=into_shopper, recording=guest.recording)
    return moved


# ── Retention ─────────────────────────────────────────────────────────────────────────────────────────────────────

# One statement per batch, so a batch is folded and deleted together or not at all: the oldest events past the
# retention (locked, skipping any another sweep holds) are deleted, and those naming a product are added to their
# day's counts. Events without a product (a reel's view or watch) live on only in the reel's running totals.
_RETIRE = """
    WITH retired AS (
        DELETE FROM behaviour_behaviourevent WHERE id IN (
            SELECT id FROM behaviour_behaviourevent WHERE at < %(before)s ORDER BY at LIMIT %(batch)s
            FOR UPDATE SKIP LOCKED)
        RETURNING at, subject, merchant_id, product_id, kind
    ), folded AS (
        INSERT INTO behaviour_behaviourdaily (day, subject, merchant_id, product_id, kind, events)
        SELECT (at AT TIME ZONE %(zone)s)::date, subject, merchant_id, product_id, kind, count(*)
        FROM retired WHERE product_id IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (day, subject, merchant_id, product_id, kind)
        DO UPDATE SET events = behaviour_behaviourdaily.events + EXCLUDED.events
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM retired), (SELECT count(*) FROM folded)
"""


@dataclass
class RetireReport:
    events: int = 0  # deleted
    days: int = 0  # (day, product, kind) counts written or added to
    batches: int = 0


def behaviour_events_retire(
    *, now: datetime | None = None, batch: int = RETIRE_BATCH, max_batches: int = 1000
) -> RetireReport:
    """Fold events older than RETENTION_DAYS into `BehaviourDaily` (per product, day and kind; the day in the
    platform's time zone) and delete them, a batch per statement. Idempotent: a folded event is gone, so running it
    again changes nothing; safe to run concurrently (a batch's rows are locked, others skip them)."""
    before = (now or timezone.now()) - timedelta(days=RETENTION_DAYS)
    report = RetireReport()
    for _ in range(max_batches):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_RETIRE, {"before": before, "batch": batch, "zone": settings.TIME_ZONE})
            retired, days = cursor.fetchone()
        if not retired:
            break
        report.events += retired
        report.days += days
        report.batches += 1
        if retired < batch:
            break
    return report


def opted_out_rebuild() -> int:
    """The Redis set of opted-out shoppers, rebuilt from the table (daily, and after Redis lost it). Under the
    exclusive lock, so a choice made meanwhile is mirrored after the rebuild, never overwritten by it."""
    with transaction.atomic():
        _shoppers_locked(shared=False)
        shoppers = BehaviourShopper.objects.filter(recording=False).values_list("shopper", flat=True)
        return opted_out_replace(shoppers)
