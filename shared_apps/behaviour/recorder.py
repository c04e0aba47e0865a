"""Recording a behaviour event costs a request one Redis round trip: the event is pushed onto a list as JSON and a
beat task drains the list into the database in batches (services.behaviour_drain).

The list is named after the database, so test databases and the development one never drain each other's events.
Recording is best effort: if Redis does not answer, the event is dropped and logged, never the request failed —
these are statistics and ranking signals, not records of money or stock.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import orjson
from django.conf import settings
from django.utils import timezone

from kernel.cache import redis_client
from shared_apps.behaviour.models import EventKind, Subject

log = logging.getLogger(__name__)

MAX_WATCH_MS = 10 * 60 * 1000  # longer than any reel: a larger figure is a client's mistake, clipped


def events_key() -> str:
    return f"behaviour:events:{settings.DATABASES['default']['NAME']}"


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
    """Queue several events in one round trip (a page sends what it saw since its last beacon)."""
    if not events:
        return True
    try:
        redis_client().rpush(events_key(), *(orjson.dumps(asdict(e)) for e in events))
    except Exception:  # a statistic is not worth a failed request
        log.warning("behaviour events dropped: Redis did not take them", exc_info=True)
        return False
    return True
