"""History fixtures: the checkout's market and buyers, the drain as beat runs it, and nothing queued or opted out in
this database's Redis keys when a test starts."""

from __future__ import annotations

import pytest

from kernel.cache import redis_client
from marketplace.checkout.tests.conftest import cake, market, new_buyer, rice  # noqa: F401  (fixtures)
from marketplace.orders.tests.conftest import committed, texts  # noqa: F401  (fixtures)
from shared_apps.behaviour.models import BehaviourEvent
from shared_apps.behaviour.recorder import events_key, opted_out_key
from shared_apps.behaviour.services import behaviour_drain


@pytest.fixture(autouse=True)
def _behaviour_keys_empty():
    redis_client().delete(events_key(), opted_out_key())
    yield
    redis_client().delete(events_key(), opted_out_key())


def drained(**filters) -> list[BehaviourEvent]:
    """What reached the database once beat drained the queue, in the order it was recorded."""
    behaviour_drain()
    return list(BehaviourEvent.objects.filter(**filters).order_by("id"))
