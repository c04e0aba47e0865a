"""Live events: what changed, told after commit to whoever watches an order, a branch board or a delivery.

The one entry point every floor above uses. Channels are strings named by `channel_*` below, so publishers and the
stream endpoints agree on them without importing each other.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from kernel.cache import redis_client

CHANNEL_PREFIX = "live:"


def channel_order(customer_order_id: int) -> str:
    """The customer's view of one order (public schema id): timeline, ETA, rider position."""
    return f"order:{customer_order_id}"


def channel_branch(schema_name: str, branch_id: int) -> str:
    """One branch's order board on the merchant host."""
    return f"branch:{schema_name}:{branch_id}"


def channel_delivery(schema_name: str, delivery_id: int) -> str:
    """One delivery as its rider sees it."""
    return f"delivery:{schema_name}:{delivery_id}"


def live_publish(*, channels: list[str], kind: str, data: dict[str, Any]) -> None:
    """Tell every listener of `channels` that `kind` happened, once the current transaction commits.

    Nothing is told when the transaction rolls back. `data` must be JSON-serialisable and carry only what every
    listener of those channels may see.
    """
    payload = json.dumps({"kind": kind, "data": data}, separators=(",", ":"), default=str)

    def send() -> None:
        client = redis_client()
        for channel in channels:
            client.publish(CHANNEL_PREFIX + channel, payload)

    transaction.on_commit(send)
