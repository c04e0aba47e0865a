"""Reads of the live event log: what a stream replays at connect."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from shared_apps.live.models import LiveEvent

REPLAY_LIMIT = 500  # a client further behind than this reloads the page (the stream tells it: event "reload")


@dataclass(frozen=True)
class ReplayedEvent:
    id: int
    kind: str
    data_json: str


_REPLAY = (
    f"SELECT id, kind, data::text FROM public.{LiveEvent._meta.db_table} "
    "WHERE channel = ANY(%s) AND id > %s ORDER BY id LIMIT %s"
)


def live_events_after(*, channels: list[str], after_id: int, limit: int = REPLAY_LIMIT) -> list[ReplayedEvent]:
    """The channels' events with an id above `after_id`, oldest first (at most `limit`). Read as text straight from
    the JSON column: the stream sends it as it is, without parsing and re-serialising it."""
    with connection.cursor() as cursor:
        cursor.execute(_REPLAY, [channels, after_id, limit])
        return [ReplayedEvent(id=row[0], kind=row[1], data_json=row[2]) for row in cursor.fetchall()]


_LAST = f"SELECT COALESCE(MAX(id), 0) FROM public.{LiveEvent._meta.db_table} WHERE channel = ANY(%s)"


def live_last_event_id(*, channels: list[str]) -> int:
    """The channels' newest event id (0 when none), one index probe: a page renders it so that its stream replays
    whatever happened between the render and the connect."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST, [channels])
        return cursor.fetchone()[0]
