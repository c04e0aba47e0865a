"""What the marketplace records, surface by surface: a search's page of results as impressions (one Redis call),
the result followed from the page to the product (the click, with its position), a product's page, an add to cart
from the API or a page, a placed order's purchases (by the worker, once), and an app's views and clicks."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client

from kernel.cache import redis_client
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.tests.conftest import LIBERTY
from marketplace.history import receivers, services
from marketplace.history.tasks import order_purchases_record_task
from marketplace.history.tests.conftest import drained
from marketplace.orders.models import CustomerOrderPart
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.testing import customer_make
from shared_apps.accounts.tokens import guest_token_issue
from shared_apps.behaviour.models import EventKind, Surface
from shared_apps.behaviour.products import search_context
from shared_apps.behaviour.recorder import PUSH_UNLESS_OPTED_OUT
from shared_apps.behaviour.services import shopper_recording_set
from tenant_apps.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

NEAR = {"lat": LIBERTY[0], "lng": LIBERTY[1]}


def _guest_key(buyer) -> str:
    return Shopper(guest_id=uuid.UUID(buyer.call("get", "/api/v1/me").json()["guest_id"])).key


def test_an_api_search_records_its_page_as_impressions_in_one_redis_call_under_the_caller(market, new_buyer):
    buyer = new_buyer()
    client = redis_client()
    client.script_load(PUSH_UNLESS_OPTED_OUT)  # known to Redis, as after a process's first push
    with mock.patch.object(client, "evalsha", wraps=client.evalsha) as pushes:
        body = buyer.call("get", "/api/v1/search?" + "&".join(f"{k}={v}" for k, v in {**NEAR, "q": "rice"}.items()))
    assert body.status_code == 200 and pushes.call_count == 1
    results = body.json()["results"]
    assert results and all("merchant_id" in r for r in results)
    impressions = drained(kind=EventKind.IMPRESSION)
    products = list(dict.fromkeys((r["merchant_id"], r["product_id"]) for r in results))
    assert [(e.merchant_id, e.product_id) for e in impressions] == products  # one per product, in result order
    assert impressions[0].position == 1 and all(e.shopper == _guest_key(buyer) for e in impressions)
    assert {(e.surface, e.context) for e in impressions} == {(Surface.SEARCH, search_context(q="rice"))}


def test_a_second_page_counts_its_positions_from_where_the_first_ended(market):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/api/v1/search", {**NEAR, "limit": 2, "page": 2}).status_code == 200
    assert [e.position for e in drained()][:1] == [3]
    assert {e.shopper for e in drained()} == {""}  # nobody said who they are


def test_the_search_page_records_impressions_and_its_links_record_the_click(market):
    client = Client(HTTP_HOST="localhost")
    page = client.get("/search", {"q": "basmati", **NEAR})
    impressions = drained(kind=EventKind.IMPRESSION)
    assert impressions and impressions[0].position == 1 and impressions[0].context == search_context(q="basmati")
    link = re.search(r'href="(/p/[^"]+\?pos=1[^"]*)"', page.content.decode()).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200
    view, click = drained(kind__in=(EventKind.VIEW, EventKind.SEARCH_CLICK))
    assert (view.kind, view.surface, view.product_id) == (EventKind.VIEW, Surface.PRODUCT, impressions[0].product_id)
    assert (click.kind, click.position, click.context) == (EventKind.SEARCH_CLICK, 1, impressions[0].context)


def test_a_category_page_records_its_results_under_its_category(market):
    Client(HTTP_HOST="localhost").get("/c/grocery/", NEAR)
    impressions = drained(kind=EventKind.IMPRESSION)
    assert impressions and {(e.surface, e.context) for e in impressions} == {(Surface.CATEGORY, "c:grocery")}


def test_a_product_page_opened_directly_is_a_view_and_no_click(market, rice):
    Client(HTTP_HOST="localhost").get(f"/p/gulberg-grocer/{rice.product_id}/", {"pos": "x", "ctx": "q:nothex"})
    assert [(e.kind, e.merchant_id, e.product_id) for e in drained()] == [
        (EventKind.VIEW, rice.merchant_id, rice.product_id)
    ]


def test_adds_to_cart_from_the_api_and_from_a_product_page_are_recorded_with_where_they_came_from(
    market, new_buyer, rice, cake, committed
):
    buyer = new_buyer()
    with committed():
        added = buyer.call("post", "/api/v1/cart/items", {"listing_id": rice.pk, "quantity": 1, "surface": "reel"})
        assert added.status_code == 201
        page = Client(HTTP_HOST="localhost")
        page.post("/cart/add", {"listing_id": cake.pk, "quantity": 1, "surface": "product"})
        page.post("/cart/add", {"listing_id": cake.pk, "quantity": 1, "surface": "<script>"})
    adds = drained(kind=EventKind.ADD_TO_CART)
    assert [(e.product_id, e.surface) for e in adds] == [
        (rice.product_id, Surface.REEL),
        (cake.product_id, Surface.PRODUCT),
        (cake.product_id, ""),
    ]
    assert adds[0].shopper == _guest_key(buyer) and adds[1].shopper.startswith("g:")  # the page's session guest


def test_a_refused_add_to_cart_records_nothing(market, new_buyer, committed):
    with committed():
        assert new_buyer().call("post", "/api/v1/cart/items", {"listing_id": 999999}).status_code == 404
    assert drained() == []


def test_a_placed_order_is_one_purchase_per_product_recorded_once_by_the_worker(
    market, new_buyer, rice, cake, committed, texts, monkeypatch
):
    sent = []
    monkeypatch.setattr(order_purchases_record_task, "delay", lambda **kwargs: sent.append(kwargs))
    buyer = new_buyer()
    buyer.add(rice.pk, 2)
    buyer.add(cake.pk)
    with committed():
        assert buyer.checkout().status_code == 201
    assert len(sent) == 2  # one task per shop's order, after the commit
    assert not drained(kind=EventKind.PURCHASE)  # nothing from the request itself
    for kwargs in sent * 2:  # a task delivered twice records once
        services.order_purchases_record(**kwargs)
    purchases = drained(kind=EventKind.PURCHASE)
    assert sorted((e.merchant_id, e.product_id) for e in purchases) == sorted(
        [(rice.merchant_id, rice.product_id), (cake.merchant_id, cake.product_id)]
    )
    assert {(e.shopper, e.surface) for e in purchases} == {(_guest_key(buyer), Surface.CHECKOUT)}
    assert CustomerOrderPart.objects.count() == 2


def test_an_apps_product_views_and_search_clicks_are_named_by_their_listing(market, rice):
    guest = guest_create()
    events = [
        {"kind": "view", "listing_id": rice.pk},
        {"kind": "search_click", "listing_id": rice.pk, "position": 3, "q": "Rice"},
        {"kind": "view", "listing_id": 987654},  # no longer listed: dropped
    ]
    client = Client(HTTP_HOST="localhost")
    token = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}
    response = client.post("/api/v1/events", {"events": events}, content_type="application/json", **token)
    assert response.status_code == 202 and response.json() == {"queued": 2}
    view, click = drained()
    assert (view.kind, view.product_id, view.shopper) == ("view", rice.product_id, Shopper(guest_id=guest.pk).key)
    assert (click.position, click.context, click.surface) == (3, search_context(q="rice"), Surface.SEARCH)


def test_a_session_names_the_shopper_of_an_event_only_with_its_csrf_token(market, rice):
    """Else any site could post views into a visitor's history with the visitor's cookie: without the token the
    events are recorded, as anyone's."""
    ayesha = customer_make()
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(ayesha)
    view = {"events": [{"kind": "view", "listing_id": rice.pk}]}
    assert client.post("/api/v1/events", view, content_type="application/json").status_code == 202
    client.get("/account/settings/")
    csrf = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    assert client.post("/api/v1/events", view, content_type="application/json", **csrf).status_code == 202
    forged, signed = drained()
    assert (forged.shopper, signed.shopper) == ("", Shopper(user_id=ayesha.pk).key)


@pytest.mark.parametrize(
    "events",
    [
        [{"kind": "search_click", "listing_id": 1}],  # a click without its place in the results
        [{"kind": "view", "listing_id": 1}] * 51,
        [{"kind": "purchase", "listing_id": 1}],  # purchases come from placed orders only
    ],
)
def test_events_an_app_may_not_send_are_a_400(market, events):
    response = Client(HTTP_HOST="localhost").post("/api/v1/events", {"events": events}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"code", "message", "field", "details"}


def test_an_opted_out_shoppers_searches_and_views_are_not_recorded(market, rice):
    guest = guest_create()
    key = Shopper(guest_id=guest.pk).key
    shopper_recording_set(shopper=key, recording=False)
    token = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}
    client = Client(HTTP_HOST="localhost")
    client.get("/api/v1/search", NEAR, **token)
    client.post("/api/v1/events", {"events": [{"kind": "view", "listing_id": rice.pk}]}, "application/json", **token)
    client.get("/api/v1/search", NEAR)  # someone else, anonymous
    events = drained()
    assert events and key not in {e.shopper for e in events}


def test_an_online_order_becomes_purchases_once_paid_not_while_it_waits_for_payment(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(order_purchases_record_task, "delay", lambda **kwargs: sent.append(kwargs))
    order = SimpleNamespace(pk=5)
    moves = [
        ("", OrderStatus.PENDING_PAYMENT),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED),
        (OrderStatus.PLACED, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PLACED),  # paid
    ]
    for from_status, to_status in moves:
        with django_capture_on_commit_callbacks(execute=True):
            receivers._purchases(None, order=order, from_status=from_status, to_status=to_status)
    assert sent == [{"schema_name": "public", "merchant_order_id": 5}]
