"""The drain: events from Redis into the events table and the running totals, a batch per transaction."""

from __future__ import annotations

import pytest

from kernel.cache import redis_client
from shared_apps.behaviour.models import BehaviourEvent, BehaviourTotal
from shared_apps.behaviour.recorder import behaviour_record, events_key
from shared_apps.behaviour.services import behaviour_drain


@pytest.mark.django_db
def test_a_batch_of_subjects_with_and_without_watches_adds_to_their_totals_once():
    behaviour_record(kind="view", subject="reel", merchant_id=1, subject_id=10, shopper="g:x")
    behaviour_record(kind="watch", subject="reel", merchant_id=1, subject_id=11, watch_ms=3000, duration_ms=6000)
    behaviour_record(kind="add_to_cart", subject="reel", merchant_id=1, subject_id=10, product_id=5)
    redis_client().rpush(events_key(), b"not json")  # skipped, not fatal
    assert behaviour_drain(batch=2).events == 3
    assert behaviour_drain().events == 0
    assert BehaviourEvent.objects.count() == 3
    totals = {t.subject_id: t for t in BehaviourTotal.objects.all()}
    assert (totals[10].views, totals[10].add_to_carts, totals[10].watch_fraction) == (1, 1, 0)
    assert (totals[11].watches, totals[11].watch_fraction, totals[11].completions) == (1, 0.5, 0)
    behaviour_record(kind="watch", subject="reel", merchant_id=1, subject_id=11, watch_ms=6000, duration_ms=6000)
    behaviour_drain()
    totals[11].refresh_from_db()
    assert (totals[11].watches, totals[11].watch_fraction, totals[11].completions) == (2, 1.5, 1)
