"""live_publish: a row per channel in the caller's transaction, published once it commits with the row's id (a
rollback: shared_apps/live/tests/test_streams.py); the log is purged past its retention by beat."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from shared_apps.live import services as live_services
from shared_apps.live.models import LiveEvent
from shared_apps.live.services import live_events_purge, live_publish, live_redis_channel
from shared_apps.live.tasks import live_events_purge_task
from workers.schedules import SCHEDULE

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def pipeline(self, transaction: bool = False) -> Recorder:
        return self

    def publish(self, channel: str, message: str) -> None:
        self.sent.append((channel, json.loads(message)))

    def execute(self) -> None:
        pass


def test_a_publish_is_logged_per_channel_and_sent_with_its_id_only_on_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    recorder = Recorder()
    monkeypatch.setattr(live_services, "redis_client", lambda: recorder)
    with django_capture_on_commit_callbacks(execute=True):
        events = live_publish(channels=["order:1", "branch:s:2"], kind="status", data={"status": "accepted"})
        assert not recorder.sent  # not before the commit
    assert [(e.channel, e.kind, e.data) for e in events] == [
        ("order:1", "status", {"status": "accepted"}),
        ("branch:s:2", "status", {"status": "accepted"}),
    ]
    assert recorder.sent == [
        (live_redis_channel(e.channel), {"id": e.pk, "kind": "status", "data": {"status": "accepted"}}) for e in events
    ]


def test_a_redis_outage_at_publish_is_logged_not_raised(monkeypatch, django_capture_on_commit_callbacks):
    def down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(live_services, "redis_client", down)
    with django_capture_on_commit_callbacks(execute=True):
        (event,) = live_publish(channels=["order:3"], kind="status", data={"n": 1})
    assert LiveEvent.objects.filter(pk=event.pk).exists()  # the stream replays it


def test_beat_purges_events_past_the_retention_only(settings):
    settings.LIVE_EVENT_RETENTION_DAYS = 3
    old, fresh = (LiveEvent.objects.create(channel="order:5", kind="status", data={}) for _ in range(2))
    LiveEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=4))
    assert live_events_purge() == 1
    assert list(LiveEvent.objects.filter(channel="order:5").values_list("pk", flat=True)) == [fresh.pk]
    assert SCHEDULE["live-events-purge"]["task"] == live_events_purge_task.name
