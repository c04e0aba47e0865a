"""Retention: events older than RETENTION_DAYS become per-product daily counts and are deleted; newer ones stay; a
second run changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from shared_apps.behaviour.models import BehaviourDaily, BehaviourEvent, EventKind, Subject
from shared_apps.behaviour.services import RETENTION_DAYS, behaviour_events_retire

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _event(kind: str, product_id: int | None, days_ago: float, subject: str = Subject.PRODUCT, shopper: str = "u:1"):
    return BehaviourEvent(
        kind=kind,
        subject=subject,
        merchant_id=4,
        subject_id=product_id or 77,
        product_id=product_id,
        shopper=shopper,
        at=NOW - timedelta(days=days_ago),
    )


def _daily() -> set[tuple]:
    return set(BehaviourDaily.objects.values_list("day", "subject", "product_id", "kind", "events"))


def test_old_events_fold_into_daily_counts_per_product_and_running_twice_changes_nothing():
    old = RETENTION_DAYS + 10
    BehaviourEvent.objects.bulk_create(
        [
            _event(EventKind.IMPRESSION, 1, old),
            _event(EventKind.IMPRESSION, 1, old, shopper="g:x"),
            _event(EventKind.IMPRESSION, 1, old + 1),
            _event(EventKind.PURCHASE, 2, old),
            _event(EventKind.ADD_TO_CART, 2, old, subject=Subject.REEL),  # a reel's add: counted apart
            _event(EventKind.WATCH, None, old, subject=Subject.REEL),  # no product: lives on in the reel's totals
            _event(EventKind.VIEW, 1, RETENTION_DAYS - 1),  # still within retention
        ]
    )
    report = behaviour_events_retire(now=NOW, batch=4)
    assert (report.events, report.batches) == (6, 2)
    day = (NOW - timedelta(days=old)).date()
    expected = {
        (day, Subject.PRODUCT, 1, EventKind.IMPRESSION, 2),
        (day - timedelta(days=1), Subject.PRODUCT, 1, EventKind.IMPRESSION, 1),
        (day, Subject.PRODUCT, 2, EventKind.PURCHASE, 1),
        (day, Subject.REEL, 2, EventKind.ADD_TO_CART, 1),
    }
    assert _daily() == expected
    assert list(BehaviourEvent.objects.values_list("kind", flat=True)) == [EventKind.VIEW]
    again = behaviour_events_retire(now=NOW)
    assert (again.events, again.days) == (0, 0) and _daily() == expected


def test_a_later_sweep_adds_to_a_days_counts_instead_of_replacing_them():
    old = RETENTION_DAYS + 3
    BehaviourEvent.objects.bulk_create([_event(EventKind.VIEW, 5, old)])
    behaviour_events_retire(now=NOW)
    BehaviourEvent.objects.bulk_create([_event(EventKind.VIEW, 5, old)])  # drained late, same day
    behaviour_events_retire(now=NOW)
    assert BehaviourDaily.objects.get(product_id=5).events == 2
