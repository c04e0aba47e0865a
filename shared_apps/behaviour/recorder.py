"""Recording behaviour events costs a request one Redis round trip: the events are pushed onto a list as JSON and a
beat task drains the list into the database in batches (services.behaviour_drain).

The same round trip honours opt-outs: the push is a small Lua script that leaves out the events of shoppers in the
opted-out set, a Redis mirror of `BehaviourShopper.recording = False` (kept by services.shopper_recording_set and
rebuilt daily from the table). The drain checks the table again, so an event that slipped past a lost set still never
reaches the events table.

The list is named after the database, so test databases and the development one never drain each other's events.
Recording is best effort: if Redis does not answer, the events are dropped and logged, never the request failed —
these are statistics and ranking signals, not records of money or stock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.utils import timezone

from kernel.cache import redis_client
from shared_apps.behaviour.models import EventKind, Subject

log = logging.getLogger(__name__)

MAX_WATCH_MS = 10 * 60 * 1000  # longer than any reel: a larger figure is a client's mistake, clipped

# KEYS[1]: the events list, KEYS[2]: the opted-out set; ARGV: shopper, events, shopper, events, ... (a JSON array)
# Anonymous events ('' shopper) are always kept: there is nobody to have opted out.
PUSH_UNLESS_OPTED_OUT = """
local pushed = 0
for i = 1, #ARGV, 2 do
  if ARGV[i] == '' or redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    pushed = pushed + 1
  end
end
return pushed
"""


def events_key() -> str:
    return f"behaviour:events:{settings.DATABASES['default']['NAME']}"


def opted_out_key() -> str:
    return f"behaviour:opted-out:{settings.DATABASES['default']['NAME']}"


@dataclass(frozen=True)
class Event:
    kind: str
    subject: str
    merchant_id: int
    subject_id: int
    shopper: str = ""
    product_id: int | None = None
    watch_ms: int | None = None
    duration_ms: int | None = None
    position: int | None = None
    surface: str = ""
    context: str = ""
    at: str = field(default_factory=lambda: timezone.now().isoformat())


def behaviour_record(
    *,
    kind: EventKind | str,
    subject: Subject | str,
    merchant_id: int,
    subject_id: int,
    shopper: str = "",
    product_id: int | None = None,
    watch_ms: int | None = None,
    duration_ms: int | None = None,
) -> bool:
    """Queue one event for the next drain. Returns False (and logs) when Redis could not take it."""
    return behaviour_record_many(
        [
            Event(
                kind=str(kind),
                subject=str(subject),
                merchant_id=merchant_id,
                subject_id=subject_id,
                shopper=shopper,
                product_id=product_id,
                watch_ms=None if watch_ms is None else max(0, min(int(watch_ms), MAX_WATCH_MS)),
                duration_ms=None if duration_ms is None else max(0, min(int(duration_ms), MAX_WATCH_MS)),
            )
        ]
    )


def behaviour_record_many(events: list[Event]) -> bool:
    """Queue several events in one round trip (a page sends what it saw since its last beacon; a search, its
    results), leaving out those of opted-out shoppers. Returns False (and logs) when Redis could not take them."""
    if not events:
        return True
    # One list item per shopper of the batch, a JSON array of its events (the drain reads items of either shape):
    # a page of search results is one item, not twenty for Redis and the client to frame.
    by_shopper: dict[str, list[Event]] = {}
    for event in events:
        by_shopper.setdefault(event.shopper, []).append(event)
    args: list[str | bytes] = []
    for shopper, own in by_shopper.items():
        args += [shopper, orjson.dumps(own)]  # orjson writes dataclasses itself
    try:
        # the script by its digest (EVALSHA), sent whole only when Redis does not know it yet: every search pushes
        push = redis_client().register_script(PUSH_UNLESS_OPTED_OUT)
        push(keys=[events_key(), opted_out_key()], args=args)
    except Exception:  # a statistic is not worth a failed request
        log.warning("behaviour events dropped: Redis did not take them", exc_info=True)
        return False
    return True


def opted_out_mark(*, shopper: str, opted_out: bool) -> None:
    """Add a shopper to the opted-out set or take them out of it (best effort: the drain checks the table anyway,
    and the daily rebuild repairs a set that missed a change)."""
    try:
        client = redis_client()
        (client.sadd if opted_out else client.srem)(opted_out_key(), shopper)
    except Exception:  # the table is the truth; the set only spares the drain the work
        log.warning("behaviour opt-out of %s not mirrored in Redis", shopper, exc_info=True)


def opted_out_replace(shoppers: Iterable[str]) -> int:
    """Rebuild the opted-out set from the table's shoppers, atomically (a new set renamed over the old one)."""
    client = redis_client()
    key = opted_out_key()
    building = f"{key}:building"
    members = list(shoppers)
    pipe = client.pipeline(transaction=True)
    pipe.delete(building)
    for start in range(0, len(members), 1000):
        pipe.sadd(building, *members[start : start + 1000])
    if members:
        pipe.rename(building, key)
    else:
        pipe.delete(key)
    pipe.execute()
    return len(members)
