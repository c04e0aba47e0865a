"""Recording products' events: each kind with what it carries, a page of results in one Redis call, one impression
per product, the search named by a keyed hash of its words, and nothing for a shopper who opted out."""

from __future__ import annotations

from unittest import mock

import pytest

from kernel.cache import redis_client
from shared_apps.behaviour.models import BehaviourEvent, BehaviourTotal, EventKind, Subject, Surface
from shared_apps.behaviour.products import (
    SearchClick,
    Shown,
    add_to_cart_record,
    product_view_record,
    purchases_record,
    search_click_of,
    search_context,
    search_impressions_record,
)
from shared_apps.behaviour.recorder import PUSH_UNLESS_OPTED_OUT, events_key
from shared_apps.behaviour.services import behaviour_drain, shopper_recording_set

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    return list(
        BehaviourEvent.objects.order_by("id").values_list(
            "kind", "subject", "merchant_id", "subject_id", "product_id", "shopper", "position", "surface", "context"
        )
    )


def test_a_page_of_results_is_recorded_in_one_redis_call_one_impression_per_product():
    client = redis_client()
    shown = [Shown(7, 100 + n % 15, n) for n in range(21, 41)]  # 20 results, five products listed twice
    client.script_load(PUSH_UNLESS_OPTED_OUT)  # known to Redis, as after a process's first push
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as calls:
        queued = search_impressions_record(shopper="u:1", shown=shown, context="c:rice", surface=Surface.CATEGORY)
    assert calls.call_count == 1
    assert queued == 15 and client.llen(events_key()) == 1  # one item: the page's events of its one shopper
    behaviour_drain()
    impressions = {(r[3], r[6]) for r in _rows()}
    assert impressions == {(100 + n % 15, n) for n in range(21, 36)}  # each product at its first position
    assert {r[0] for r in _rows()} == {EventKind.IMPRESSION}
    assert {(r[7], r[8]) for r in _rows()} == {(Surface.CATEGORY, "c:rice")}


def test_no_results_costs_no_redis_call():
    client = redis_client()
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as calls:
        assert search_impressions_record(shopper="u:1", shown=[], context="", surface=Surface.SEARCH) == 0
    assert calls.call_count == 0


def test_each_kind_is_stored_as_an_event_of_the_product_with_what_it_carries():
    context = search_context(q="Basmati  RICE")
    product_view_record(shopper="g:a", merchant_id=3, product_id=9, click=SearchClick(position=4, context=context))
    add_to_cart_record(shopper="g:a", merchant_id=3, product_id=9, surface=Surface.PRODUCT)
    assert purchases_record(shopper="g:a", merchant_id=3, product_ids=[9, 9, 12]) == 2  # two variants of 9: once
    assert behaviour_drain().events == 5
    product = (Subject.PRODUCT, 3)
    assert _rows() == [
        (EventKind.VIEW, *product, 9, 9, "g:a", None, Surface.PRODUCT, ""),
        (EventKind.SEARCH_CLICK, *product, 9, 9, "g:a", 4, Surface.SEARCH, context),
        (EventKind.ADD_TO_CART, *product, 9, 9, "g:a", None, Surface.PRODUCT, ""),
        (EventKind.PURCHASE, *product, 9, 9, "g:a", None, Surface.CHECKOUT, ""),
        (EventKind.PURCHASE, *product, 12, 12, "g:a", None, Surface.CHECKOUT, ""),
    ]
    # one shop's order is one basket: its purchases share their moment (recommendations' "bought together")
    assert BehaviourEvent.objects.filter(kind=EventKind.PURCHASE).values("at").distinct().count() == 1
    total = BehaviourTotal.objects.get(subject=Subject.PRODUCT, merchant_id=3, subject_id=9)
    assert (total.views, total.search_clicks, total.add_to_carts, total.orders) == (1, 1, 1, 1)


def test_a_search_is_named_by_a_keyed_hash_of_its_words_else_its_category(settings):
    named = search_context(q="  Basmati Rice ")
    assert named.startswith("q:") and len(named) == 18 and "basmati" not in named
    assert search_context(q="basmati rice", category="grocery") == named  # case and spacing do not matter
    assert search_context(q="", category="rice-flour") == "c:rice-flour"
    assert search_context() == ""
    settings.SECRET_KEY = "another deployment's key"
    assert search_context(q="basmati rice") != named  # nobody can hash a dictionary to read them back


def test_a_product_pages_link_carries_its_click_and_anything_else_is_none():
    assert search_click_of(position="3", context="c:dairy") == SearchClick(3, "c:dairy")
    assert search_click_of(position=None, context="c:dairy") is None
    assert search_click_of(position="-1", context="") is None
    assert search_click_of(position="99999999", context="") is None
    product_view_record(shopper="", merchant_id=1, product_id=2, click=SearchClick(2, "<script>"))
    behaviour_drain()
    assert [(r[0], r[6], r[8]) for r in _rows()] == [("view", None, ""), ("search_click", 2, "")]  # context dropped


def test_an_opted_out_shopper_is_not_recorded_while_others_and_anonymous_visitors_are(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        shopper_recording_set(shopper="u:5", recording=False)
    shown = [Shown(1, 10, 1), Shown(1, 11, 2)]
    for shopper in ("u:5", "u:6", ""):
        search_impressions_record(shopper=shopper, shown=shown, context="", surface=Surface.SEARCH)
        product_view_record(shopper=shopper, merchant_id=1, product_id=10)
    assert redis_client().llen(events_key()) == 4  # left out at the push: u:5's never reached Redis
    behaviour_drain()
    assert {r[5] for r in _rows()} == {"u:6", ""}
    with django_capture_on_commit_callbacks(execute=True):
        shopper_recording_set(shopper="u:5", recording=True)
    product_view_record(shopper="u:5", merchant_id=1, product_id=10)
    behaviour_drain()
    assert BehaviourEvent.objects.filter(shopper="u:5").count() == 1
