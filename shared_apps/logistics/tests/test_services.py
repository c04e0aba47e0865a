"""Bookings that happen once, cancels, and courier news applied exactly once and forward only — against the courier
sandboxes over HTTP, with the notifications the Uber sandbox really sends."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from sandboxes.testing import Received, post_recorder
from shared_apps.live.services import channel_delivery, channel_order
from shared_apps.logistics.couriers import courier_for
from shared_apps.logistics.couriers.base import CourierError, CourierErrorKind, Quote
from shared_apps.logistics.couriers.uberdirect import signature
from shared_apps.logistics.errors import LogisticsError, LogisticsErrorCode
from shared_apps.logistics.models import CourierDelivery, CourierWebhook, DeliveryStatus, WebhookStatus
from shared_apps.logistics.selectors import courier_quote_reply
from shared_apps.logistics.services import (
    _booking_request,
    courier_book,
    courier_cancel,
    courier_cancel_request,
    courier_delivery_request,
    courier_quote,
    courier_quote_request,
    courier_webhook_receive,
    couriers_poll,
)
from shared_apps.logistics.tasks import courier_quote_task
from shared_apps.logistics.testing import FAR, HOME, ITEMS, SHOP

pytestmark = pytest.mark.django_db

_orders = iter(range(1000, 10**6))


def requested(provider: str = "uber", quote: Quote | None = None, **overrides) -> CourierDelivery:
    values = {
        "provider": provider,
        "merchant_schema": "shop_test",
        "merchant_order_id": next(_orders),
        "customer_order_id": 77,
        "merchant_delivery_id": 5,
        "pickup": SHOP,
        "dropoff": HOME,
        "items": ITEMS,
        "cod_amount": Decimal("1450.00"),
        "quote": quote,
    }
    values.update(overrides)
    return courier_delivery_request(**values)


def receive(body: bytes, headers: dict[str, str] | None = None) -> list[CourierWebhook]:
    return courier_webhook_receive(provider="uber", headers=headers or {}, body=body)


def signed(received: Received) -> dict[str, str]:
    return {"x-uber-signature": received.headers["x-uber-signature"]}


# ---- quotes and bookings --------------------------------------------------------------------------------------------


def test_a_quote_for_a_far_address_is_an_undeliverable_error(uber):
    assert courier_quote(provider="uber", pickup=SHOP, dropoff=HOME).fee > 0
    with pytest.raises(LogisticsError) as caught:
        courier_quote(provider="uber", pickup=SHOP, dropoff=FAR)
    assert caught.value.code == LogisticsErrorCode.UNDELIVERABLE and caught.value.status == 422
    with pytest.raises(LogisticsError) as caught:
        courier_quote(provider="dhl", pickup=SHOP, dropoff=HOME)
    assert caught.value.code == LogisticsErrorCode.COURIER_UNKNOWN


def test_a_request_stores_the_key_first_and_one_open_delivery_per_order(uber):
    first = requested()
    again = requested(merchant_order_id=first.merchant_order_id)
    assert again.pk == first.pk and first.status == DeliveryStatus.REQUESTED
    assert first.idempotency_key and not first.provider_id
    assert uber.listing() == [] or all(d["external_id"] != first.reference for d in uber.listing())


def test_booking_twice_books_once(uber, status_moves):
    quote = courier_quote(provider="uber", pickup=SHOP, dropoff=HOME)
    delivery = requested(quote=quote)
    booked = courier_book(delivery_id=delivery.pk)
    assert booked.status == DeliveryStatus.PENDING and booked.provider_id.startswith("del_")
    assert booked.quote_id == quote.id and booked.fee == quote.fee
    assert courier_book(delivery_id=delivery.pk).provider_id == booked.provider_id
    assert [d["external_id"] for d in uber.listing()].count(delivery.reference) == 1
    assert status_moves.of(delivery.pk) == [("requested", "pending")]


def test_a_retried_task_whose_first_try_booked_attaches_to_that_booking(uber):
    """The first try booked at the courier but its answer was lost: the retry's key is a duplicate there."""
    delivery = requested()
    delivery.quote_id = courier_quote(provider="uber", pickup=SHOP, dropoff=HOME).id
    lost = courier_for("uber").create(_booking_request(delivery))  # the answer nobody stored
    booked = courier_book(delivery_id=delivery.pk)
    assert booked.provider_id == lost.provider_id and booked.status == DeliveryStatus.PENDING
    assert [d["external_id"] for d in uber.listing()].count(delivery.reference) == 1


def test_an_expired_quote_is_quoted_again_before_booking(uber):
    uber.configure(quote_ttl_seconds=0)
    stale = courier_quote(provider="uber", pickup=SHOP, dropoff=HOME)
    uber.configure(quote_ttl_seconds=900)
    # We believe it valid for an hour; the courier says expired_quote: a new quote, then the booking.
    believed = Quote(
        id=stale.id, fee=stale.fee, currency="PKR", expires_at=timezone.now() + timedelta(hours=1), eta=None
    )
    delivery = courier_book(delivery_id=requested(quote=believed).pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.quote_id != stale.id
    # Past its time on our side: re-quoted without asking the courier to book on it.
    old = Quote(id="dqt_gone", fee=Decimal("1.00"), currency="PKR", expires_at=timezone.now(), eta=None)
    delivery = courier_book(delivery_id=requested(quote=old).pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.quote_id != "dqt_gone"
    assert delivery.quote_fee != Decimal("1.00")


def test_an_undeliverable_booking_fails_and_says_so(uber, status_moves):
    delivery = courier_book(delivery_id=requested(dropoff=FAR).pk)
    assert delivery.status == DeliveryStatus.FAILED and delivery.error_code == "address_undeliverable"
    assert status_moves.of(delivery.pk) == [("requested", "failed")]


def test_an_unanswered_booking_raises_for_the_task_to_retry_with_the_same_key(uber, courier_settings):
    delivery = requested()
    courier_settings.UBER_DIRECT_API_BASE = "http://127.0.0.1:9/uber"
    with pytest.raises(CourierError) as caught:
        courier_book(delivery_id=delivery.pk)
    assert caught.value.kind == CourierErrorKind.UNAVAILABLE
    after = CourierDelivery.objects.get(pk=delivery.pk)
    assert after.status == DeliveryStatus.REQUESTED and after.idempotency_key == delivery.idempotency_key


# ---- cancels --------------------------------------------------------------------------------------------------------


def test_a_delivery_cancelled_before_booking_is_never_booked(uber, status_moves):
    delivery = requested()
    assert courier_cancel_request(delivery=delivery).status == DeliveryStatus.CANCELED
    assert courier_book(delivery_id=delivery.pk).provider_id == ""
    assert status_moves.of(delivery.pk) == [("requested", "canceled")]
    with pytest.raises(LogisticsError) as caught:
        courier_cancel_request(delivery=delivery)
    assert caught.value.code == LogisticsErrorCode.ALREADY_ENDED


def test_a_booked_delivery_is_cancelled_at_the_courier_until_the_parcel_is_picked_up(uber, status_moves):
    delivery = courier_book(delivery_id=requested().pk)
    with mock.patch("shared_apps.logistics.services.task_send") as sent:
        courier_cancel_request(delivery=delivery)  # queued on commit: the worker calls the courier
    cancelled = courier_cancel(delivery_id=delivery.pk)
    assert cancelled.status == DeliveryStatus.CANCELED
    assert [d["status"] for d in uber.listing() if d["id"] == delivery.provider_id] == ["canceled"]
    assert sent.call_count == 0  # on_commit never fires inside the test's transaction

    moving = courier_book(delivery_id=requested().pk)
    uber.advance(moving.provider_id, status="pickup")
    courier_cancel_request(delivery=moving)
    uber.advance(moving.provider_id, status="pickup_complete")  # the courier got there first
    with pytest.raises(LogisticsError) as caught:
        courier_cancel(delivery_id=moving.pk)
    assert caught.value.code == LogisticsErrorCode.NOT_CANCELABLE
    assert CourierDelivery.objects.get(pk=moving.pk).cancel_requested_at is None


# ---- notifications --------------------------------------------------------------------------------------------------


def _notifications(uber, delivery: CourierDelivery, moves: list[dict]) -> list[Received]:
    with post_recorder() as received:
        uber.configure(enabled=True, webhook_url=f"{received.base_url}/hooks/uber")
        for move in moves:
            uber.advance(delivery.provider_id, **move)
        expected = sum("status" in m for m in moves) + sum("location" in m for m in moves)
        bodies = [received.next() for _ in range(expected)]
        uber.configure(enabled=False)
    return bodies


def test_duplicated_and_out_of_order_notifications_move_each_step_once(uber, status_moves):
    delivery = courier_book(delivery_id=requested().pk)
    steps = [{"status": s} for s in ("pickup", "pickup_complete", "dropoff", "delivered")]
    bodies = _notifications(uber, delivery, steps)
    shuffled = bodies + bodies[:2]
    random.Random(3).shuffle(shuffled)
    for body in shuffled:
        receive(body.body, signed(body))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    moves = status_moves.of(delivery.pk)
    assert moves[0] == ("requested", "pending") and moves[-1][1] == "delivered"
    assert len(moves) == len({to for _, to in moves})  # no step twice
    assert all(a != b for a, b in moves)
    assert CourierWebhook.objects.filter(delivery=delivery).count() == 4
    assert sum(CourierWebhook.objects.filter(delivery=delivery).values_list("deliveries", flat=True)) == 6


def test_a_late_pickup_after_dropoff_changes_nothing(uber, status_moves):
    delivery = courier_book(delivery_id=requested().pk)
    pickup, dropoff = _notifications(uber, delivery, [{"status": "pickup"}, {"status": "dropoff"}])
    receive(dropoff.body, signed(dropoff))
    [late] = receive(pickup.body, signed(pickup))
    assert late.status == WebhookStatus.APPLIED and "no change" in late.detail
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DROPOFF
    assert status_moves.of(delivery.pk) == [("requested", "pending"), ("pending", "dropoff")]


def test_positions_are_kept_newest_first_and_published_to_the_order_and_the_delivery(uber):
    delivery = courier_book(delivery_id=requested().pk)
    moves = [
        {"status": "pickup", "location": {"lat": 31.5, "lng": 74.34}},
        {"location": {"lat": 31.505, "lng": 74.342}},
    ]
    bodies = _notifications(uber, delivery, moves)
    positions = [b for b in bodies if b"courier_update" in b.body]
    with mock.patch("shared_apps.logistics.services.live_publish") as published:
        for body in bodies:
            receive(body.body, signed(body))
        receive(positions[0].body, signed(positions[0]))  # the older position again: a repeat, nothing new
    delivery.refresh_from_db()
    assert (delivery.last_latitude, delivery.last_longitude) == (Decimal("31.505000"), Decimal("74.342000"))
    assert delivery.courier_name == "Sandbox Courier"
    kinds = [call.kwargs["kind"] for call in published.call_args_list]
    assert kinds.count("courier.position") == 2 and "courier.status" in kinds
    channels = published.call_args_list[0].kwargs["channels"]
    assert channels == [channel_order(77), channel_delivery("shop_test", 5)]
    assert all("phone" not in str(call.kwargs["data"]) for call in published.call_args_list)


def test_a_notification_before_the_booking_is_applied_when_the_booking_comes_back(uber, status_moves):
    delivery = requested()
    delivery.quote_id = courier_quote(provider="uber", pickup=SHOP, dropoff=HOME).id
    with post_recorder() as received:
        uber.configure(enabled=True, webhook_url=f"{received.base_url}/hooks/uber")
        booking = courier_for("uber").create(_booking_request(delivery))  # our worker has not stored it yet
        received.next()
        uber.advance(booking.provider_id, status="pickup")
        early = received.next()
        uber.configure(enabled=False)
    [waiting] = receive(early.body, signed(early))
    assert waiting.status == WebhookStatus.RECEIVED
    # The retried task: a duplicate at the courier, attached with the courier's status now, then the early news
    # applied (it says nothing newer: one move in all).
    courier_book(delivery_id=delivery.pk)
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PICKUP
    assert CourierWebhook.objects.get(pk=waiting.pk).status == WebhookStatus.APPLIED
    assert status_moves.of(delivery.pk) == [("requested", "pickup")]


def test_a_forged_notification_is_refused_and_applies_nothing(uber):
    delivery = courier_book(delivery_id=requested().pk)
    [pickup] = _notifications(uber, delivery, [{"status": "pickup"}])
    forged = pickup.body.replace(b'"pickup"', b'"delivered"')
    for headers, code in (
        (signed(pickup), LogisticsErrorCode.WEBHOOK_UNSIGNED),
        ({}, LogisticsErrorCode.WEBHOOK_UNSIGNED),
        ({"x-uber-signature": signature(b"[1]", "sandbox-uber-signing-key")}, LogisticsErrorCode.WEBHOOK_INVALID),
    ):
        with pytest.raises(LogisticsError) as caught:
            receive(forged if code == LogisticsErrorCode.WEBHOOK_UNSIGNED else b"[1]", headers)
        assert caught.value.code == code
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING
    assert not CourierWebhook.objects.filter(status=WebhookStatus.APPLIED, body__contains="delivered").exists()


# ---- PostEx through the poller --------------------------------------------------------------------------------------


def test_the_poller_moves_postex_parcels_forward_once(postex, status_moves):
    delivery = courier_book(delivery_id=requested("postex").pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.provider_id.startswith("CX-")
    assert delivery.fee == Decimal("250.00")
    postex.advance(delivery.provider_id, code="0004")
    now = timezone.now()
    assert couriers_poll(now=now)["moved"] >= 1
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DROPOFF
    postex.advance(delivery.provider_id, code="0005")
    couriers_poll(now=now)  # asked a moment ago: not due yet
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DROPOFF
    later = now + timedelta(hours=1)
    couriers_poll(now=later)
    couriers_poll(now=later + timedelta(hours=1))  # delivered is final: no longer asked about, nothing moves
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED
    assert status_moves.of(delivery.pk) == [
        ("requested", "pending"),
        ("pending", "pickup_complete"),
        ("pickup_complete", "dropoff"),
        ("dropoff", "delivered"),
    ]


def test_a_postex_parcel_cancels_while_booked_only(postex):
    delivery = courier_book(delivery_id=requested("postex").pk)
    assert courier_cancel(delivery_id=delivery.pk).status == DeliveryStatus.CANCELED
    moving = courier_book(delivery_id=requested("postex").pk)
    postex.advance(moving.provider_id, code="0003")
    couriers_poll(now=timezone.now())
    with pytest.raises(LogisticsError) as caught:
        courier_cancel_request(delivery=CourierDelivery.objects.get(pk=moving.pk))
    assert caught.value.code == LogisticsErrorCode.NOT_CANCELABLE


def test_the_poller_queues_bookings_whose_task_was_lost(uber):
    delivery = requested()
    CourierDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with mock.patch("shared_apps.logistics.services.task_send") as sent:
        counts = couriers_poll(now=timezone.now())
    assert counts["requeued"] == 1
    sent.assert_called_once_with("shared_apps.logistics.tasks.courier_book_task", delivery_id=delivery.pk)


def test_the_checkout_asks_a_worker_for_a_quote_and_reads_the_answer(uber):
    with mock.patch("shared_apps.logistics.services.task_send") as sent:
        key = courier_quote_request(provider="uber", pickup=SHOP, dropoff=HOME)
        far_key = courier_quote_request(provider="uber", pickup=SHOP, dropoff=FAR)
    assert courier_quote_reply(reply_key=key) is None  # the worker has not answered yet
    for call in sent.call_args_list:
        assert call.args == ("shared_apps.logistics.tasks.courier_quote_task",)
        courier_quote_task(**call.kwargs)  # what the worker runs
    quote = courier_quote_reply(reply_key=key)
    assert quote.id.startswith("dqt_") and quote.fee > 0 and quote.expires_at > timezone.now()
    with pytest.raises(LogisticsError) as caught:
        courier_quote_reply(reply_key=far_key)
    assert caught.value.code == LogisticsErrorCode.UNDELIVERABLE


def test_a_cancel_that_overtakes_the_booking_is_undone_at_the_courier(uber, status_moves):
    delivery = requested()
    real_create = courier_for("uber").__class__.create

    def create_then_cancel(adapter, request):
        booked = real_create(adapter, request)
        courier_cancel_request(delivery=CourierDelivery.objects.get(pk=delivery.pk))  # while the answer travels
        return booked

    with mock.patch.object(courier_for("uber").__class__, "create", create_then_cancel):
        after = courier_book(delivery_id=delivery.pk)
    assert after.status == DeliveryStatus.CANCELED and after.provider_id
    assert [d["status"] for d in uber.listing() if d["id"] == after.provider_id] == ["canceled"]
    assert status_moves.of(delivery.pk) == [("requested", "canceled")]


def test_an_uber_delivery_quiet_too_long_is_asked_about(uber, status_moves):
    delivery = courier_book(delivery_id=requested().pk)
    uber.advance(delivery.provider_id, status="pickup_complete")  # its notification lost (the sandbox sends none)
    couriers_poll(now=timezone.now())  # not quiet long enough yet
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING
    couriers_poll(now=timezone.now() + timedelta(hours=1))
    assert CourierDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PICKUP_COMPLETE
    assert status_moves.of(delivery.pk) == [("requested", "pending"), ("pending", "pickup_complete")]
