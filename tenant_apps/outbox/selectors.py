"""Reads of the outbox across merchants: what is still waiting to be published (the /metrics outbox lag)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

_CHUNK = 200  # schemas per statement, as the listings sweep reads them


@dataclass(frozen=True)
class OutboxPending:
    entity: str
    count: int
    oldest: datetime


def outbox_pending_by_entity(*, schemas: list[str]) -> list[OutboxPending]:
    """Unpublished outbox events of these merchant schemas, per entity (store, branch, product, variant, stock): how
    many and the oldest's creation time. Reads only unpublished rows (the `outbox_unpublished` partial index)."""
    totals: dict[str, tuple[int, datetime]] = {}
    for start in range(0, len(schemas), _CHUNK):
        union = " UNION ALL ".join(
            f'(SELECT entity, count(*), min(created_at) FROM "{name}".outbox_outboxevent '
            f"WHERE published_at IS NULL GROUP BY entity)"
            for name in schemas[start : start + _CHUNK]
        )
        with connection.cursor() as cursor:
            cursor.execute(union)
            for entity, count, oldest in cursor.fetchall():
                seen = totals.get(entity)
                totals[entity] = (count, oldest) if seen is None else (seen[0] + count, min(seen[1], oldest))
    return [OutboxPending(entity, count, oldest) for entity, (count, oldest) in sorted(totals.items())]
