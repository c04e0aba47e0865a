"""What a shopper may ask of their history: a guest's follows them into their account (stored and still queued), an
opt-out stops recording even when Redis forgot it, clearing deletes what was stored and what was still on its way —
and nothing of what came after."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from kernel.cache import redis_client
from shared_apps.behaviour import services
from shared_apps.behaviour.models import BehaviourEvent, BehaviourShopper, BehaviourTotal
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.recorder import Event, behaviour_record_many, events_key, opted_out_key
from shared_apps.behaviour.selectors import shopper_history, shopper_recording
from shared_apps.behaviour.services import (
    behaviour_drain,
    opted_out_rebuild,
    shopper_history_clear,
    shopper_history_merge,
    shopper_recording_set,
)

pytestmark = pytest.mark.django_db

GUEST, USER = "g:6f1c0e4e-0000-4000-8000-000000000001", "u:42"


def _view(shopper: str, product_id: int = 1) -> None:
    product_view_record(shopper=shopper, merchant_id=1, product_id=product_id)


def _shoppers() -> list[str]:
    return list(BehaviourEvent.objects.order_by("id").values_list("shopper", flat=True))


def test_a_guests_history_joins_the_account_at_sign_in_stored_and_still_queued():
    _view(GUEST, 1)
    _view(USER, 2)
    behaviour_drain()
    _view(GUEST, 3)  # still in Redis when the guest signs in
    assert shopper_history_merge(from_shopper=GUEST, into_shopper=USER) == 1
    behaviour_drain()
    assert _shoppers() == [USER, USER, USER]
    assert [e.product_id for e in shopper_history(shopper=USER)] == [3, 2, 1]
    assert not shopper_history(shopper=GUEST).exists()
    assert shopper_history_merge(from_shopper=GUEST, into_shopper=USER) == 0  # idempotent


def test_an_account_that_never_chose_takes_its_guests_opt_out_and_one_that_chose_keeps_its_own():
    shopper_recording_set(shopper=GUEST, recording=False)
    shopper_history_merge(from_shopper=GUEST, into_shopper=USER)
    assert shopper_recording(shopper=USER) is False
    shopper_recording_set(shopper="u:43", recording=True)
    shopper_history_merge(from_shopper=GUEST, into_shopper="u:43")
    assert shopper_recording(shopper="u:43") is True


def test_an_opt_out_holds_even_when_redis_lost_the_set_and_the_drain_restores_it(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        shopper_recording_set(shopper=USER, recording=False)
    assert redis_client().sismember(opted_out_key(), USER)
    redis_client().delete(opted_out_key())  # Redis restarted without its data
    _view(USER)
    _view("u:7")
    report = behaviour_drain()
    assert (report.events, report.dropped) == (1, 1) and _shoppers() == ["u:7"]
    assert redis_client().sismember(opted_out_key(), USER)  # the drain put it back
    assert not BehaviourTotal.objects.filter(views__gt=1).exists()  # a dropped event counts nowhere
    redis_client().delete(opted_out_key())
    assert opted_out_rebuild() == 1 and redis_client().smembers(opted_out_key()) == {USER.encode()}


def test_clearing_deletes_the_stored_events_and_those_still_queued_but_not_what_comes_after():
    _view(USER, 1)
    behaviour_drain()
    _view(USER, 2)  # queued before the clearing: dropped by the drain
    _view("u:7", 2)
    assert shopper_history_clear(shopper=USER) == 1
    later = Event(kind="view", subject="product", merchant_id=1, subject_id=3, product_id=3, shopper=USER,
                  at=(timezone.now() + timedelta(seconds=1)).isoformat())  # fmt: skip
    behaviour_record_many([later])
    report = behaviour_drain()
    assert (report.events, report.dropped) == (2, 1)
    assert [e.product_id for e in shopper_history(shopper=USER)] == [3]
    assert shopper_history(shopper="u:7").count() == 1  # someone else's history is untouched
    assert shopper_recording(shopper=USER) is True  # clearing is not opting out


def test_a_guests_events_queued_before_its_account_cleared_are_dropped_after_the_merge():
    shopper_history_merge(from_shopper=GUEST, into_shopper=USER)
    _view(GUEST)  # a stale page of the guest's, sent before the account cleared its history
    shopper_history_clear(shopper=USER)
    assert behaviour_drain().dropped == 1
    assert not BehaviourEvent.objects.exists()
    assert BehaviourShopper.objects.get(shopper=GUEST).merged_into == USER


def test_an_event_that_is_not_one_is_skipped_not_fatal():
    redis_client().rpush(events_key(), b'{"kind": "view", "at": "not a time"}', b"[]")
    _view(USER)
    assert behaviour_drain().events == 1


@pytest.mark.django_db(transaction=True)
def test_a_merge_waits_for_the_batch_being_written_and_re_keys_it_too():
    """The race the lock closes: a batch read the wishes before the alias existed; without the lock its guest rows
    would land after the merge's UPDATE and stay the guest's."""
    _view(GUEST)
    read, release = threading.Event(), threading.Event()
    wished = services._wished

    def wished_then_wait(rows):
        kept = wished(rows)
        read.set()
        release.wait(10)
        return kept

    def in_thread(work):
        def run():
            try:
                work()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with mock.patch.object(services, "_wished", wished_then_wait):
        drain = in_thread(behaviour_drain)
        assert read.wait(10)
        merge = in_thread(lambda: shopper_history_merge(from_shopper=GUEST, into_shopper=USER))
        time.sleep(0.3)
        assert merge.is_alive()  # waiting for the batch's transaction
        release.set()
        drain.join(10)
        merge.join(10)
    assert _shoppers() == [USER]
