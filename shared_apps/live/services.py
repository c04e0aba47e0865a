"""Live events: what changed, told after commit to whoever watches an order, a branch board or a delivery.

The one entry point every floor above uses. Channels are strings named by `channel_*` below, so publishers and the
stream endpoints agree on them without importing each other.

An event is written to the `LiveEvent` log inside the caller's transaction (one row per channel: its id is that
channel's SSE `id:`), and published to Redis (`live:<database>:<channel>`, JSON `{"id", "kind", "data"}`) once the
transaction commits. A rollback removes the rows and publishes nothing; a publish lost to a Redis outage is replayed
from the log when the stream reconnects with `Last-Event-ID` (shared_apps/live/streams.py).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kernel.cache import redis_client
from shared_apps.live.models import LiveEvent

CHANNEL_PREFIX = "live:"

log = logging.getLogger(__name__)


def channel_order(customer_order_id: int) -> str:
    """The customer's view of one order (public schema id): timeline, ETA, rider position."""
    return f"order:{customer_order_id}"


def channel_branch(schema_name: str, branch_id: int) -> str:
    """One branch's order board on the merchant host."""
    return f"branch:{schema_name}:{branch_id}"


def channel_delivery(schema_name: str, delivery_id: int) -> str:
    """One delivery as its rider sees it."""
    return f"delivery:{schema_name}:{delivery_id}"


def channel_riders(schema_name: str, branch_id: int) -> str:
    """One branch's riders: a delivery of the shop's own was assigned, became ready to take, or moved. It carries
    only which delivery and its status (the rider's page fetches what its rider may see)."""
    return f"riders:{schema_name}:{branch_id}"


def live_redis_channel(channel: str) -> str:
    """The Redis pub/sub channel of a live channel. Pub/sub ignores Redis's database index, so the database's name
    keeps deployments (and parallel test runs) that share one Redis from hearing each other."""
    return f"{CHANNEL_PREFIX}{settings.DATABASES['default']['NAME']}:{channel}"


def live_message(*, event_id: int, kind: str, data_json: str) -> str:
    """The Redis message of one event (the hub parses it back: shared_apps/live/hub.py)."""
    return f'{{"id":{event_id},"kind":{json.dumps(kind)},"data":{data_json}}}'


def live_publish(*, channels: list[str], kind: str, data: dict[str, Any]) -> list[LiveEvent]:
    """Tell every listener of `channels` that `kind` happened, once the current transaction commits.

    The events are logged now, in the caller's transaction (public schema tables are reached from any tenant's
    search path), so a rollback tells nothing and a reconnecting stream can replay them. `data` must be
    JSON-serialisable and carry only what every listener of those channels may see. A failed Redis publish is
    logged, never raised: the commit already happened and the log still replays the event.
    """
    data = json.loads(json.dumps(data, default=str))  # what the JSON column stores is what the stream sends
    events = LiveEvent.objects.bulk_create(LiveEvent(channel=channel, kind=kind, data=data) for channel in channels)
    data_json = json.dumps(data, separators=(",", ":"))
    messages = [
        (live_redis_channel(event.channel), live_message(event_id=event.pk, kind=kind, data_json=data_json))
        for event in events
    ]

    def send() -> None:
        try:
            pipe = redis_client().pipeline(transaction=False)
            for channel, message in messages:
                pipe.publish(channel, message)
            pipe.execute()
        except Exception:  # Redis down: streams reconnect and replay from the log
            log.warning("live publish to Redis failed; listeners replay from the log", exc_info=True)

    transaction.on_commit(send)
    return events


def live_events_purge(*, now=None, batch: int = 10_000) -> int:
    """Delete events older than LIVE_EVENT_RETENTION_DAYS, in batches (no long lock on a busy table); returns the
    count. A client away longer than that gets the page afresh instead of a replay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LIVE_EVENT_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(LiveEvent.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += LiveEvent.objects.filter(id__in=ids).delete()[0]
