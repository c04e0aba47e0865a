"""The drain keeps the recommendation shelves' daily counts: each shelf impression and shelf click adds to its day,
shelf and model label (never a search's impressions), so the admin's click-through reads a few rows, not events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shared_apps.behaviour.models import ShelfDaily
from shared_apps.behaviour.products import (
    Shown,
    search_impressions_record,
    shelf_click_event,
    shelf_click_of,
    shelf_impressions_record,
)
from shared_apps.behaviour.recorder import behaviour_record_many
from shared_apps.behaviour.selectors import shelf_click_through
from shared_apps.behaviour.services import behaviour_drain

pytestmark = pytest.mark.django_db


def _click(surface: str, model: str, position: int, shopper: str = "g:1") -> None:
    click = shelf_click_of(shelf=surface, model=model, position=str(position))
    behaviour_record_many([shelf_click_event(shopper=shopper, merchant_id=1, product_id=position, click=click)])


def test_each_drain_adds_the_shelves_impressions_and_clicks_to_their_day():
    shelf_impressions_record(shopper="u:1", surface="home", model="rp3beta#4", shown=[(1, 1), (1, 2), (2, 3)])
    shelf_impressions_record(shopper="", surface="product_similar", model="popular", shown=[(1, 1)])
    search_impressions_record(shopper="u:1", shown=[Shown(1, 9, 1)], context="q:0123456789abcdef", surface="search")
    _click("home", "rp3beta#4", 2)
    behaviour_drain()
    shelf_impressions_record(shopper="u:2", surface="home", model="rp3beta#4", shown=[(1, 1)])
    _click("home", "rp3beta#4", 1, shopper="u:2")
    behaviour_drain()

    rows = {(r.surface, r.model): (r.impressions, r.clicks) for r in ShelfDaily.objects.all()}
    assert rows == {("home", "rp3beta#4"): (4, 2), ("product_similar", "popular"): (1, 0)}
    assert ShelfDaily.objects.get(surface="home").day == timezone.localdate()


def test_a_hand_edited_shelf_link_is_no_click():
    assert shelf_click_of(shelf="home", model="rp3beta#4", position="1") is not None
    hand_edited = [
        ("search", "rp3beta#4", "1"),
        ("home", "<script>", "1"),
        ("home", "popular", "0"),
        ("home", "popular", "x"),
        (None, None, None),
        ("home", "popular", "10001"),
    ]
    for shelf, model, position in hand_edited:
        assert shelf_click_of(shelf=shelf, model=model, position=position) is None


def test_click_through_sums_the_period_per_shelf_and_model():
    today = timezone.localdate()
    ShelfDaily.objects.create(day=today, surface="home", model="ease#3", impressions=100, clicks=7)
    ShelfDaily.objects.create(day=today - timedelta(days=6), surface="home", model="ease#3", impressions=100, clicks=3)
    ShelfDaily.objects.create(day=today - timedelta(days=20), surface="home", model="ease#3", impressions=800, clicks=8)
    ShelfDaily.objects.create(day=today, surface="cart_addons", model="popular", impressions=10, clicks=0)

    week = shelf_click_through(days=7)
    month = shelf_click_through(days=30)

    assert [(r.surface, r.model, r.impressions, r.clicks) for r in week] == [
        ("home", "ease#3", 200, 10), ("cart_addons", "popular", 10, 0),
    ]  # fmt: skip
    assert week[0].rate == 0.05 and week[1].rate == 0.0
    assert month[0].impressions == 1000 and month[0].clicks == 18
