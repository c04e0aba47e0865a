"""POST /api/v1/webhooks/couriers/uber: public and unauthenticated, but signed. Every bad input is a 4xx envelope
that changes nothing, never a 500; the simulated courier's real notifications, duplicated and late, reach it over
HTTP and each step applies once."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from shared_apps.logistics.couriers.uberdirect import signature
from shared_apps.logistics.models import CourierDelivery, CourierWebhook, DeliveryStatus, WebhookStatus
from shared_apps.logistics.services import courier_book, courier_delivery_request
from shared_apps.logistics.tasks import couriers_poll_task
from shared_apps.logistics.testing import HOME, ITEMS, SHOP

URL = "/api/v1/webhooks/couriers/uber"
KEY = "sandbox-uber-signing-key"


def post(body: bytes, **headers: str):
    return Client(HTTP_HOST="localhost").post(URL, body, content_type="application/json", **headers)


def event(delivery_id: str = "del_x", status: str = "pickup", event_id: str = "evt_1") -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "kind": "event.delivery_status",
            "created": timezone.now().isoformat(),
            "delivery_id": delivery_id,
            "status": status,
            "data": {"id": delivery_id, "status": status},
        }
    ).encode()


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"] and "field" in body


@pytest.mark.django_db
def test_a_signed_notification_is_stored_raw_and_answered_200():
    body = event()
    response = post(body, HTTP_X_UBER_SIGNATURE=signature(body, KEY))
    assert response.status_code == 200 and response.json() == {"received": 1}
    stored = CourierWebhook.objects.get(dedup_key="evt_1")
    assert stored.body == body.decode() and stored.status == WebhookStatus.RECEIVED  # no such delivery yet
    assert post(body, HTTP_X_UBER_SIGNATURE=signature(body, KEY)).status_code == 200
    assert CourierWebhook.objects.get(dedup_key="evt_1").deliveries == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (event(), {}, 401, "webhook_signature_invalid"),  # missing header
        (event(), {"HTTP_X_UBER_SIGNATURE": "0" * 64}, 401, "webhook_signature_invalid"),  # forged
        (event(), {"HTTP_X_UBER_SIGNATURE": "not hex at all"}, 401, "webhook_signature_invalid"),
        (b"{not json", {"HTTP_X_UBER_SIGNATURE": signature(b"{not json", KEY)}, 400, "webhook_invalid"),
        (b"[]", {"HTTP_X_UBER_SIGNATURE": signature(b"[]", KEY)}, 400, "webhook_invalid"),
        (
            b'{"kind": "event.other"}',
            {"HTTP_X_UBER_SIGNATURE": signature(b'{"kind": "event.other"}', KEY)},
            400,
            "webhook_invalid",
        ),
        (b"", {}, 401, "webhook_signature_invalid"),
        (b"x" * (65 * 1024), {}, 413, "webhook_too_large"),
        (b"\xff\xfe" * 10, {"HTTP_X_UBER_SIGNATURE": signature(b"\xff\xfe" * 10, KEY)}, 400, "webhook_invalid"),
    ],
    ids=["unsigned", "forged", "garbage-signature", "malformed", "array", "unknown-kind", "empty", "huge", "binary"],
)
def test_bad_notifications_are_a_4xx_envelope_and_apply_nothing(body, headers, status, code):
    assert_envelope(post(body, **headers), status, code)
    assert not CourierWebhook.objects.exclude(status=WebhookStatus.REJECTED).exists()


@pytest.mark.django_db
def test_a_huge_declared_body_is_refused_before_it_is_read():
    client = Client(HTTP_HOST="localhost")
    response = client.generic("POST", URL, b"{}", content_type="application/json", CONTENT_LENGTH="999999999")
    assert_envelope(response, 413, "body_too_large")  # past REQUEST_BODY_MAX_BYTES: the door refuses it for every route


@pytest.mark.django_db
def test_the_route_needs_no_csrf_token():
    body = event(event_id="evt_csrf")
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    response = client.post(URL, body, content_type="application/json", HTTP_X_UBER_SIGNATURE=signature(body, KEY))
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_route_is_only_on_the_marketplace_host_and_only_for_post():
    assert Client(HTTP_HOST="localhost").get(URL).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_the_simulated_courier_drives_to_the_door_and_every_step_applies_once(uber, live_server, status_moves):
    """The sandbox's courier, its notifications duplicated and late by its seeded chance, over HTTP to our route."""
    uber.configure(
        enabled=True,
        autodrive=True,
        webhook_url=f"{live_server.url}{URL}",
        duplicate_rate=0.5,
        late_rate=0.3,
        late_ms=400,
        seed=11,
    )
    with mock.patch("shared_apps.logistics.services.task_send"):  # this test books itself: no worker runs here
        delivery = courier_delivery_request(
            provider="uber",
            merchant_schema="shop_live",
            merchant_order_id=1,
            customer_order_id=9,
            pickup=SHOP,
            dropoff=HOME,
            items=ITEMS,
        )
    courier_book(delivery_id=delivery.pk)
    deadline = time.monotonic() + 60
    while CourierDelivery.objects.get(pk=delivery.pk).status != DeliveryStatus.DELIVERED:
        assert time.monotonic() < deadline, "the courier never arrived"
        time.sleep(0.3)
    time.sleep(1.0)  # the late copies land too
    delivery.refresh_from_db()
    moves = status_moves.of(delivery.pk)
    assert moves[-1] == ("dropoff", "delivered") or moves[-1][1] == "delivered"
    assert len(moves) == len({to for _, to in moves})  # every step at most once, however often it was sent
    assert delivery.last_latitude is not None and delivery.position_at is not None
    assert delivery.courier_imminent
    webhooks = CourierWebhook.objects.filter(delivery=delivery)
    assert webhooks.filter(kind="position").count() >= 3
    assert sum(webhooks.values_list("deliveries", flat=True)) > webhooks.count()  # some came twice
    assert not CourierWebhook.objects.filter(status=WebhookStatus.REJECTED).exists()


@pytest.mark.django_db
def test_the_beat_task_polls_postex(postex):
    delivery = courier_delivery_request(
        provider="postex",
        merchant_schema="shop_beat",
        merchant_order_id=2,
        pickup=SHOP,
        dropoff=HOME,
        items=ITEMS,
    )
    delivery = courier_book(delivery_id=delivery.pk)
    postex.advance(delivery.provider_id, code="0005")
    counts = couriers_poll_task()
    assert counts["polled"] >= 1
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED
