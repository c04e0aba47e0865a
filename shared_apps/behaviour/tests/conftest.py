"""Each behaviour test starts with nothing queued and nobody opted out (in this database's Redis keys only)."""

from __future__ import annotations

import pytest

from kernel.cache import redis_client
from shared_apps.behaviour.recorder import events_key, opted_out_key


@pytest.fixture(autouse=True)
def _behaviour_keys_empty():
    redis_client().delete(events_key(), opted_out_key())
    yield
    redis_client().delete(events_key(), opted_out_key())
