"""Write side of the outbox: call `outbox_emit` inside the transaction that changes what customers can see."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction

from kernel.tasks import task_send
from tenant_apps.outbox.models import Entity, OutboxEvent

KICK_WINDOW_S = 10
LISTINGS_PUBLISH_TASK = "marketplace.listings.tasks.listings_publish"  # the marketplace's reader of every outbox


def _kick_key(schema: str) -> str:
    return f"outbox:kick:{schema}"


def _kick_after_commit() -> None:
    """One publish task per transaction and merchant, sent after commit — and not while one is already queued for
    that merchant: a burst of checkouts of one shop (a flash sale) sends one task, not one per order (a Celery
    publish costs ~2 ms of the request's CPU; the SET NX that stands in for it, one Redis round trip). The task
    clears the mark before it reads the outbox (`outbox_kick_taken`), so an event committed after that read sends
    a new kick. A kick lost after its mark was set blocks the next ones for at most KICK_WINDOW_S; the beat sweep
    catches anything a lost kick misses."""
    schema = connection.schema_name
    if not any(getattr(callback, "outbox_schema", None) == schema for _, callback, _ in connection.run_on_commit):

        def kick(schema: str = schema) -> None:
            if cache.add(_kick_key(schema), 1, timeout=KICK_WINDOW_S):
                task_send(LISTINGS_PUBLISH_TASK, schema=schema)

        kick.outbox_schema = schema  # type: ignore[attr-defined]
        transaction.on_commit(kick, robust=True)


def outbox_kick_taken(schema: str) -> None:
    """Called by the publish task before it reads `schema`'s outbox: the next commit sends a kick again."""
    cache.delete(_kick_key(schema))


def outbox_emit(
    *, entity: Entity | str, entity_id: int, branch_id: int | None = None, payload: dict | None = None
) -> OutboxEvent:
    """Record that `entity` changed, in the caller's transaction; after commit, one publish task per transaction is
    sent for this merchant (the beat sweep catches anything a lost kick misses). `payload`: reels only (ADR 0013)."""
    event = OutboxEvent.objects.create(entity=entity, entity_id=entity_id, branch_id=branch_id, payload=payload)
    _kick_after_commit()
    return event


def outbox_publish_on_commit() -> None:
    """For writes that insert their OutboxEvent rows in their own SQL (e.g. a one-statement stock move): the same
    single publish kick per transaction and merchant as `outbox_emit`."""
    _kick_after_commit()


def outbox_emit_many(*, events: Iterable[tuple[Entity | str, int, int | None]], batch_size: int = 1000) -> int:
    """`outbox_emit` for bulk writes: (entity, entity_id, branch_id) triples, one INSERT per `batch_size` events and
    still one publish kick after commit. Returns how many events were recorded."""
    rows = [
        OutboxEvent(entity=entity, entity_id=entity_id, branch_id=branch_id) for entity, entity_id, branch_id in events
    ]
    if rows:
        OutboxEvent.objects.bulk_create(rows, batch_size=batch_size)
        _kick_after_commit()
    return len(rows)
