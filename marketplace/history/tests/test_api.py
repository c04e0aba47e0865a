"""/api/v1/me/preferences and /api/v1/me/history: a user's or a guest's own, by token or session; turning recording
off stops it; clearing deletes the caller's history and nobody else's; the list names each event and costs the same
queries for any page; bad input is a 400 envelope."""

from __future__ import annotations

import pytest
from django.test import Client

from marketplace.cart.shoppers import Shopper
from marketplace.history.tests.conftest import drained
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.testing import customer_make
from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
from shared_apps.behaviour.models import BehaviourEvent, EventKind
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.services import behaviour_drain
from tests.query_counts import assert_list_queries_flat, json_items

pytestmark = pytest.mark.django_db

ENVELOPE = {"code", "message", "field", "details"}


def _bearer(user=None, guest=None) -> dict[str, str]:
    token = token_pair_issue(user=user).access if user is not None else guest_token_issue(guest=guest)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _api(method: str, path: str, headers: dict, body: dict | None = None):
    client = Client(HTTP_HOST="localhost")
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, body, content_type="application/json", **headers)


def test_a_customer_turns_recording_off_and_on_and_nothing_is_recorded_in_between(market, rice, committed):
    ayesha = customer_make()
    me = _bearer(ayesha)
    assert _api("get", "/api/v1/me/preferences", me).json() == {"history_recording": True}
    with committed():
        off = _api("put", "/api/v1/me/preferences", me, {"history_recording": False})
    assert off.status_code == 200 and off.json() == {"history_recording": False}
    assert _api("get", "/api/v1/me/preferences", me).json() == {"history_recording": False}
    _api("get", "/api/v1/search?lat=31.51&lng=74.344&q=rice", me)
    assert not drained(shopper=Shopper(user_id=ayesha.pk).key)
    with committed():
        _api("put", "/api/v1/me/preferences", me, {"history_recording": True})
    _api("get", "/api/v1/search?lat=31.51&lng=74.344&q=rice", me)
    assert drained(shopper=Shopper(user_id=ayesha.pk).key)


def test_a_guest_token_has_preferences_and_a_history_of_its_own(market, rice):
    guest = guest_create()
    token = _bearer(guest=guest)
    product_view_record(
        shopper=Shopper(guest_id=guest.pk).key, merchant_id=rice.merchant_id, product_id=rice.product_id
    )
    behaviour_drain()
    history = _api("get", "/api/v1/me/history", token).json()
    assert history["count"] == 1 and history["items"][0]["title"] == "Guard Basmati Rice"
    assert _api("put", "/api/v1/me/preferences", token, {"history_recording": False}).status_code == 200
    assert _api("get", "/api/v1/me/preferences", token).json() == {"history_recording": False}


def test_the_history_is_the_callers_own_newest_first_and_named_for_people(market, rice, cake):
    ayesha, bilal = customer_make(), customer_make()
    for user, listing in ((ayesha, rice), (bilal, cake), (ayesha, cake)):
        key = Shopper(user_id=user.pk).key
        product_view_record(shopper=key, merchant_id=listing.merchant_id, product_id=listing.product_id)
    behaviour_drain()
    items = _api("get", "/api/v1/me/history", _bearer(ayesha)).json()["items"]
    assert [(i["kind"], i["merchant"], i["title"]) for i in items] == [
        (EventKind.VIEW, "crust-and-crumb", "Chocolate Fudge Cake"),
        (EventKind.VIEW, "gulberg-grocer", "Guard Basmati Rice"),
    ]
    assert items[0]["subject"] == "product" and items[0]["surface"] == "product" and items[0]["at"]


def test_clearing_deletes_the_callers_history_and_nobody_elses(market, rice):
    ayesha, bilal = customer_make(), customer_make()
    for user in (ayesha, bilal):
        key = Shopper(user_id=user.pk).key
        product_view_record(shopper=key, merchant_id=rice.merchant_id, product_id=rice.product_id)
    behaviour_drain()
    cleared = _api("delete", "/api/v1/me/history", _bearer(ayesha))
    assert cleared.status_code == 200 and cleared.json() == {"deleted": 1}
    assert _api("get", "/api/v1/me/history", _bearer(ayesha)).json()["count"] == 0
    assert _api("get", "/api/v1/me/history", _bearer(bilal)).json()["count"] == 1
    assert BehaviourEvent.objects.filter(shopper=Shopper(user_id=bilal.pk).key).count() == 1


def test_the_pages_session_reads_and_writes_its_own_with_a_csrf_token(market):
    ayesha = customer_make()
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(ayesha)
    assert client.get("/api/v1/me/preferences").json() == {"history_recording": True}
    refused = client.put("/api/v1/me/preferences", {"history_recording": False}, content_type="application/json")
    assert refused.status_code == 403 and set(refused.json()) == ENVELOPE
    client.get("/account/settings/")
    csrf = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    done = client.put("/api/v1/me/preferences", {"history_recording": False}, content_type="application/json", **csrf)
    assert done.status_code == 200 and done.json() == {"history_recording": False}


def test_without_a_shopper_every_history_route_is_a_401(market):
    for method, path, body in (
        ("get", "/api/v1/me/preferences", None),
        ("put", "/api/v1/me/preferences", {"history_recording": False}),
        ("get", "/api/v1/me/history", None),
        ("delete", "/api/v1/me/history", None),
    ):
        response = _api(method, path, {}, body)
        assert response.status_code == 401 and set(response.json()) == ENVELOPE, path


@pytest.mark.parametrize(
    "body", [{}, {"history_recording": "maybe"}, {"history_recording": None}, {"recording": False}]
)
def test_a_preference_that_is_not_one_is_a_400(market, body):
    response = _api("put", "/api/v1/me/preferences", _bearer(customer_make()), body)
    assert response.status_code == 400 and set(response.json()) == ENVELOPE


def test_the_history_costs_the_same_queries_for_a_few_events_as_for_many(market, rice, cake):
    ayesha = customer_make()
    key = Shopper(user_id=ayesha.pk).key
    me = _bearer(ayesha)
    product_view_record(shopper=key, merchant_id=rice.merchant_id, product_id=rice.product_id)
    behaviour_drain()

    def add_rows():
        for listing in (cake, rice, cake, rice):
            product_view_record(shopper=key, merchant_id=listing.merchant_id, product_id=listing.product_id)
        behaviour_drain()

    queries = assert_list_queries_flat(
        read=lambda: _api("get", "/api/v1/me/history", me),
        rows=json_items,
        add_rows=add_rows,
        few=1,
        many=5,
    )
    assert queries <= 5  # the user, the count, the page, the shops, the products' titles
