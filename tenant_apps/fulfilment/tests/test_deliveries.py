"""Deliveries from order to door: codes, the counter's handover, a rider's flow with cash on delivery, positions,
courier statuses, the customer's vocabulary, one text per step and the tracking link."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.orders.models import CustomerOrder, PartTracking, TrackingNotice
from marketplace.orders.tracking import track_token_issue
from shared_apps.sms.testing import sms_kicks_recorded
from tenant_apps.fulfilment.errors import FulfilmentError, FulfilmentErrorCode
from tenant_apps.fulfilment.models import CashCollection, Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.services import (
    MAX_CODE_FAILURES,
    Position,
    courier_status_apply,
    delivery_arrived,
    delivery_assign,
    delivery_complete,
    delivery_location_record,
    delivery_picked_up,
    delivery_pickup_handover,
    delivery_take_next,
)
from tenant_apps.fulfilment.tests.conftest import delivery_of, moved
from tenant_apps.fulfilment.vocabulary import COURIER_TO_DELIVERY, TrackStatus, track_status
from tenant_apps.inventory.models import StockLevel
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.staff.models import Membership
from tenant_apps.stores.promise import DELIVERY_HANDOVER_MINUTES

D, S, T = DeliveryStatus, OrderStatus, TrackStatus


@pytest.fixture
def texts(monkeypatch) -> list[tuple[str, str]]:
    return sms_kicks_recorded(monkeypatch)


def _in(grocer, work):
    with schema_context(grocer.merchant.schema_name):
        return work()


def _member(grocer, rider: Membership) -> Membership:
    return _in(grocer, lambda: Membership.objects.select_related("branch").get(pk=rider.pk))


# --- codes and the counter -----------------------------------------------------------------------------------


def test_every_order_gets_a_delivery_with_two_four_digit_codes_and_a_promised_time(grocer, place):
    pickup, delivered = place(), place(fulfilment="delivery")
    for order, method in ((pickup, DeliveryMethod.PICKUP), (delivered, DeliveryMethod.OWN_RIDER)):
        delivery = delivery_of(grocer, order)
        assert delivery.method == method and delivery.status == D.WAITING
        for code in (delivery.pickup_code, delivery.handover_code):
            assert len(code) == 4 and code.isdigit() and code[0] != "0"
        prep = timedelta(minutes=grocer.liberty.preparation_minutes)
        assert delivery.eta >= order.placed_at + prep
    assert PartTracking.objects.get(number=pickup.number).step == T.PLACED


def test_a_pickup_is_handed_over_with_its_code_and_a_wrong_code_is_refused(grocer, place):
    order = moved(grocer, place(), "accepted", "preparing", "ready_for_pickup")
    delivery = delivery_of(grocer, order)
    manager = _in(grocer, lambda: Membership.objects.get(user=grocer.users["manager"]))
    wrong = "1000" if delivery.pickup_code != "1000" else "1001"
    with pytest.raises(FulfilmentError) as refused:
        _in(grocer, lambda: delivery_pickup_handover(delivery=delivery, code=wrong, membership=manager))
    assert refused.value.code == FulfilmentErrorCode.CODE_WRONG and refused.value.field == "code"
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP
    _in(grocer, lambda: delivery_pickup_handover(delivery=delivery, code=delivery.pickup_code, membership=manager))
    assert grocer.order(order.pk).status == S.PICKED_UP
    assert delivery_of(grocer, order).status == D.DELIVERED
    assert PartTracking.objects.get(number=order.number).step == T.DELIVERED


def test_wrong_codes_are_rate_limited_even_against_the_right_one(grocer, place):
    order = moved(grocer, place(), "accepted", "preparing", "ready_for_pickup")
    delivery = delivery_of(grocer, order)
    manager = _in(grocer, lambda: Membership.objects.get(user=grocer.users["manager"]))
    wrong = "1000" if delivery.pickup_code != "1000" else "1001"
    for _ in range(MAX_CODE_FAILURES):
        with pytest.raises(FulfilmentError):
            _in(grocer, lambda: delivery_pickup_handover(delivery=delivery, code=wrong, membership=manager))
    with pytest.raises(FulfilmentError) as locked:
        _in(grocer, lambda: delivery_pickup_handover(delivery=delivery, code=delivery.pickup_code, membership=manager))
    assert locked.value.code == FulfilmentErrorCode.CODE_LOCKED and locked.value.status == 429
    assert locked.value.retry_after > 0
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP
    later = timezone.now() + timedelta(minutes=16)
    with mock.patch("tenant_apps.fulfilment.services.timezone.now", return_value=later):
        _in(grocer, lambda: delivery_pickup_handover(delivery=delivery, code=delivery.pickup_code, membership=manager))
    assert grocer.order(order.pk).status == S.PICKED_UP


def test_the_counter_page_hands_over_with_the_code_and_says_why_not(grocer, place):
    order = moved(grocer, place(), "accepted", "preparing", "ready_for_pickup")
    delivery = delivery_of(grocer, order)
    client = grocer.page_client("employee")
    page = client.get(f"/orders/{order.pk}/")
    assert b"Customer&#x27;s pickup code" in page.content or b"pickup code" in page.content
    wrong = "1000" if delivery.pickup_code != "1000" else "1001"
    refused = client.post(f"/deliveries/{delivery.pk}/handover/", {"code": wrong}, follow=True)
    assert "does not match" in refused.content.decode()
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP
    client.post(f"/deliveries/{delivery.pk}/handover/", {"code": delivery.pickup_code})
    assert grocer.order(order.pk).status == S.PICKED_UP


# --- riders --------------------------------------------------------------------------------------------------


def test_a_rider_takes_carries_and_delivers_with_the_handover_code_and_the_cash_is_recorded(
    grocer, ready_delivery, riders, texts, django_capture_on_commit_callbacks
):
    order = ready_delivery()
    rider = _member(grocer, riders["rider"])
    with django_capture_on_commit_callbacks(execute=True):
        taken = _in(grocer, lambda: delivery_take_next(rider=rider))
        assert taken.order_id == order.pk and taken.status == D.ASSIGNED
        _in(grocer, lambda: delivery_picked_up(delivery=taken, rider=rider))
        on_way = _in(
            grocer, lambda: delivery_location_record(delivery=taken, rider=rider, position=Position(31.51, 74.34, 12))
        )
        assert on_way.status == D.ON_THE_WAY and on_way.last_latitude == Decimal("31.510000")
        _in(grocer, lambda: delivery_arrived(delivery=taken, rider=rider))
        wrong = "1000" if taken.handover_code != "1000" else "1001"
        with pytest.raises(FulfilmentError) as refused:
            _in(grocer, lambda: delivery_complete(delivery=taken, rider=rider, code=wrong))
        assert refused.value.code == FulfilmentErrorCode.CODE_WRONG
        with pytest.raises(FulfilmentError) as no_proof:
            _in(grocer, lambda: delivery_complete(delivery=taken, rider=rider))
        assert no_proof.value.code == FulfilmentErrorCode.PROOF_REQUIRED
        _in(grocer, lambda: delivery_complete(delivery=taken, rider=rider, code=taken.handover_code))
    assert grocer.order(order.pk).status == S.DELIVERED
    cash = _in(grocer, lambda: CashCollection.objects.get(delivery=taken))
    assert cash.rider_id == rider.pk and cash.amount == order.total and isinstance(cash.amount, Decimal)
    tracking = PartTracking.objects.get(number=order.number)
    assert tracking.step == T.DELIVERED
    steps = list(TrackingNotice.objects.filter(number=order.number).values_list("step", flat=True).order_by("id"))
    assert steps == [
        T.PLACED,
        T.ACCEPTED,
        T.PREPARING,
        T.READY_FOR_PICKUP,
        T.RIDER_ASSIGNED,
        T.PICKED_UP,
        T.ON_THE_WAY,
        T.ARRIVING,
        T.DELIVERED,
    ]
    bodies = [body for _, body in texts]
    assert any("Bilal Rider will bring your order" in body for body in bodies)
    assert all("/track/" in body for body in bodies)


def test_the_rider_page_listens_to_its_branchs_riders_and_an_assigned_order_shows_without_a_reload(
    grocer, ready_delivery, riders
):
    """The page listens to its branch's riders' stream; an assignment is an event on it (naming the delivery and its
    status only), and the fragment live.js swaps in on that event is the same page's #rider-live, which holds the
    newly assigned card. Someone without the deliver duty gets no stream."""
    client = grocer.page_client("rider")
    empty = client.get("/rider/").content.decode()
    assert 'data-live-src="/api/v1/console/riders/events" data-live-last-id="' in empty
    assert 'id="rider-live" hx-get="/rider/" hx-select="#rider-live" hx-trigger="live"' in empty
    assert "live/live.js" in empty and "rider-empty" in empty
    last_id = empty.split('data-live-last-id="', 1)[1].split('"', 1)[0]
    order = ready_delivery()
    manager = _in(grocer, lambda: Membership.objects.get(user=grocer.users["manager"]))
    rider = _member(grocer, riders["rider"])
    delivery = delivery_of(grocer, order)
    _in(grocer, lambda: delivery_assign(delivery=delivery, rider=rider, by=manager))
    replay = grocer.api("rider", "get", f"/api/v1/console/riders/events?last_event_id={last_id}")
    assert replay.status_code == 200 and replay["Content-Type"].startswith("text/event-stream")
    frames = replay.content.decode()
    told = [json.loads(line[len("data: ") :]) for line in frames.splitlines() if line.startswith("data: ")]
    assert "event: delivery" in frames and told[-1] == {"delivery_id": delivery.pk, "status": "assigned"}
    assert order.number not in frames  # what the order is, the page fetches for its rider
    again = client.get("/rider/").content.decode()
    live = again[again.index('id="rider-live"') :]
    assert order.number in live and "data-share-location" not in live  # assigned, not yet on the road
    assert grocer.api("manager", "get", "/api/v1/console/riders/events").status_code == 403


def test_a_photo_hands_over_when_the_customer_is_away(grocer, ready_delivery, riders):
    order = ready_delivery(payment="cod")
    rider = _member(grocer, riders["rider"])
    taken = _in(grocer, lambda: delivery_take_next(rider=rider))
    _in(grocer, lambda: delivery_picked_up(delivery=taken, rider=rider))
    _in(grocer, lambda: delivery_complete(delivery=taken, rider=rider, photo="t/deliveries/door-1"))
    assert delivery_of(grocer, order).proof_photo == "t/deliveries/door-1"
    assert grocer.order(order.pk).status == S.DELIVERED


def test_a_rider_moves_only_its_own_delivery_and_only_in_order(grocer, ready_delivery, riders):
    order = ready_delivery()
    rider, other = _member(grocer, riders["rider"]), _member(grocer, riders["rider2"])
    manager = _in(grocer, lambda: Membership.objects.get(user=grocer.users["manager"]))
    delivery = delivery_of(grocer, order)
    _in(grocer, lambda: delivery_assign(delivery=delivery, rider=rider, by=manager))
    with pytest.raises(FulfilmentError) as not_yours:
        _in(grocer, lambda: delivery_picked_up(delivery=delivery, rider=other))
    assert not_yours.value.code == FulfilmentErrorCode.NOT_RIDER
    with pytest.raises(FulfilmentError) as too_soon:
        _in(grocer, lambda: delivery_arrived(delivery=delivery, rider=rider))
    assert too_soon.value.code == FulfilmentErrorCode.STEP_INVALID
    with pytest.raises(FulfilmentError) as not_active:
        _in(grocer, lambda: delivery_location_record(delivery=delivery, rider=rider, position=Position(31.5, 74.3)))
    assert not_active.value.code == FulfilmentErrorCode.NOT_ACTIVE
    dha = _member(grocer, riders["rider_dha"])
    with pytest.raises(FulfilmentError) as other_branch:
        _in(grocer, lambda: delivery_assign(delivery=delivery, rider=dha, by=manager))
    assert other_branch.value.code == FulfilmentErrorCode.RIDER_INVALID


def test_positions_are_taken_once_per_two_seconds_and_told_live(grocer, ready_delivery, riders, monkeypatch):
    order = ready_delivery()
    rider = _member(grocer, riders["rider"])
    published = []
    monkeypatch.setattr("tenant_apps.fulfilment.services.live_publish", lambda **kwargs: published.append(kwargs))
    taken = _in(grocer, lambda: delivery_take_next(rider=rider))
    _in(grocer, lambda: delivery_picked_up(delivery=taken, rider=rider))
    published.clear()
    _in(grocer, lambda: delivery_location_record(delivery=taken, rider=rider, position=Position(31.5, 74.3)))
    with pytest.raises(FulfilmentError) as too_often:
        _in(grocer, lambda: delivery_location_record(delivery=taken, rider=rider, position=Position(31.6, 74.3)))
    assert too_often.value.code == FulfilmentErrorCode.TOO_OFTEN and too_often.value.status == 429
    assert delivery_of(grocer, order).last_latitude == Decimal("31.500000")
    later = timezone.now() + timedelta(seconds=3)
    with mock.patch("tenant_apps.fulfilment.services.timezone.now", return_value=later):
        _in(grocer, lambda: delivery_location_record(delivery=taken, rider=rider, position=Position(31.6, 74.3)))
    told = [p for p in published if "position" in p["data"]]  # (the riders' stream hears the first one moved it)
    assert [p["data"]["position"] for p in told] == [{"lat": 31.5, "lng": 74.3}, {"lat": 31.6, "lng": 74.3}]
    channels = told[-1]["channels"]
    assert f"order:{order.customer_order_id}" in channels
    assert f"branch:{grocer.merchant.schema_name}:{grocer.liberty.pk}" in channels


def test_the_location_api_takes_only_valid_positions_from_the_assigned_rider(grocer, ready_delivery, riders):
    order = ready_delivery()
    rider = _member(grocer, riders["rider"])
    taken = _in(grocer, lambda: delivery_take_next(rider=rider))
    _in(grocer, lambda: delivery_picked_up(delivery=taken, rider=rider))
    url = f"/api/v1/console/deliveries/{taken.pk}/location"
    bad = grocer.api("rider", "post", url, {"lat": 95, "lng": 74.3})
    assert bad.status_code in (400, 422) and {"code", "message", "field"} <= set(bad.json())
    assert grocer.api("rider", "post", url, {"lat": "x"}).status_code in (400, 422)
    assert grocer.api("rider2", "post", url, {"lat": 31.5, "lng": 74.3}).status_code == 404  # not its delivery
    ok = grocer.api("rider", "post", url, {"lat": 31.5, "lng": 74.3, "accuracy": 8, "heading": 90})
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == D.ON_THE_WAY
    again = grocer.api("rider", "post", url, {"lat": 31.5, "lng": 74.3})
    assert again.status_code == 429 and again.json()["code"] == "delivery_position_too_often"
    assert delivery_of(grocer, order).last_heading == 90


# --- the customer's vocabulary -------------------------------------------------------------------------------

VOCABULARY = [
    (S.PENDING_PAYMENT, None, None),
    (S.PLACED, D.WAITING, T.PLACED),
    (S.ACCEPTED, D.WAITING, T.ACCEPTED),
    (S.PREPARING, D.ASSIGNED, T.PREPARING),  # a rider given early: the customer still reads "preparing"
    (S.READY_FOR_PICKUP, D.READY, T.READY_FOR_PICKUP),
    (S.OUT_FOR_DELIVERY, D.READY, T.READY_FOR_PICKUP),
    (S.OUT_FOR_DELIVERY, D.ASSIGNED, T.RIDER_ASSIGNED),
    (S.OUT_FOR_DELIVERY, D.PICKED_UP, T.PICKED_UP),
    (S.OUT_FOR_DELIVERY, D.ON_THE_WAY, T.ON_THE_WAY),
    (S.OUT_FOR_DELIVERY, D.ARRIVED, T.ARRIVING),
    (S.OUT_FOR_DELIVERY, D.FAILED, T.FAILED),
    (S.OUT_FOR_DELIVERY, D.RETURNED, T.RETURNED),
    (S.OUT_FOR_DELIVERY, D.CANCELLED, T.CANCELLED),
    (S.DELIVERED, D.DELIVERED, T.DELIVERED),
    (S.PICKED_UP, D.DELIVERED, T.DELIVERED),
    (S.REJECTED, D.CANCELLED, T.CANCELLED),
    (S.CANCELLED, D.CANCELLED, T.CANCELLED),
    (S.REFUNDED, D.DELIVERED, T.DELIVERED),
    (S.REFUNDED, D.CANCELLED, T.CANCELLED),
]


@pytest.mark.parametrize(("order_status", "delivery_status", "step"), VOCABULARY)
def test_one_function_names_the_customers_step(order_status, delivery_status, step):
    assert track_status(order_status=order_status, delivery_status=delivery_status) == step


@pytest.mark.parametrize(
    ("courier", "delivery", "step"),
    [
        ("pending", D.READY, T.READY_FOR_PICKUP),
        ("pickup", D.ASSIGNED, T.RIDER_ASSIGNED),
        ("pickup_complete", D.PICKED_UP, T.PICKED_UP),
        ("dropoff", D.ON_THE_WAY, T.ON_THE_WAY),
        ("delivered", D.DELIVERED, T.DELIVERED),
        ("canceled", D.CANCELLED, T.CANCELLED),
        ("returned", D.RETURNED, T.RETURNED),
    ],
)
def test_each_courier_status_has_its_step(courier, delivery, step):
    assert COURIER_TO_DELIVERY[courier] == delivery
    assert track_status(order_status=S.OUT_FOR_DELIVERY, delivery_status=delivery) == step


def test_courier_statuses_move_forward_only_and_deliver_the_order(grocer, place):
    order = moved(grocer, place(fulfilment="delivery"), "accepted", "preparing")
    _in(grocer, lambda: Delivery.objects.filter(order_id=order.pk).update(method=DeliveryMethod.PARTNER))
    eta = timezone.now() + timedelta(minutes=25)
    d = _in(grocer, lambda: courier_status_apply(merchant_order_id=order.pk, courier_status="dropoff", eta=eta))
    assert d.status == D.ON_THE_WAY and d.eta == eta
    assert grocer.order(order.pk).status == S.OUT_FOR_DELIVERY  # the courier took it: it left the shop
    late = _in(grocer, lambda: courier_status_apply(merchant_order_id=order.pk, courier_status="pickup"))
    assert late.status == D.ON_THE_WAY and late.courier_status == "pickup"  # a late notice moves nothing back
    assert _in(grocer, lambda: courier_status_apply(merchant_order_id=order.pk, courier_status="nonsense")) is None
    _in(grocer, lambda: courier_status_apply(merchant_order_id=order.pk, courier_status="delivered"))
    _in(grocer, lambda: courier_status_apply(merchant_order_id=order.pk, courier_status="delivered"))  # duplicate
    assert grocer.order(order.pk).status == S.DELIVERED
    assert PartTracking.objects.get(number=order.number).step == T.DELIVERED
    assert TrackingNotice.objects.filter(number=order.number, step=T.DELIVERED).count() == 1


# --- one text per step, the tracking link --------------------------------------------------------------------


def test_a_parcel_the_courier_brings_back_cancels_the_order_and_its_units_are_on_the_shelf_again(grocer, place):
    order = moved(grocer, place(fulfilment="delivery"), "accepted", "preparing")
    _in(grocer, lambda: Delivery.objects.filter(order_id=order.pk).update(method=DeliveryMethod.PARTNER))
    line = _in(grocer, lambda: order.lines.get())
    level = lambda: _in(  # noqa: E731
        grocer, lambda: StockLevel.objects.get(branch_id=order.branch_id, variant_id=line.variant_id)
    )
    reserved = level().reserved
    for status in ("pickup_complete", "dropoff", "returned", "returned"):  # the last one: told twice
        _in(grocer, lambda status=status: courier_status_apply(merchant_order_id=order.pk, courier_status=status))
    back = grocer.order(order.pk)
    assert back.status == S.CANCELLED and "brought it back" in back.reason
    assert delivery_of(grocer, order).status == D.RETURNED
    assert level().reserved == reserved - line.quantity  # released once, not twice
    assert PartTracking.objects.get(number=order.number).step == T.RETURNED
    assert CustomerOrder.objects.get(pk=order.customer_order_id).status == "cancelled"


def test_a_step_told_again_is_texted_once(grocer, ready_delivery, riders, texts, django_capture_on_commit_callbacks):
    order = ready_delivery()
    rider, other = _member(grocer, riders["rider"]), _member(grocer, riders["rider2"])
    manager = _in(grocer, lambda: Membership.objects.get(user=grocer.users["manager"]))
    delivery = delivery_of(grocer, order)
    texts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _in(grocer, lambda: delivery_assign(delivery=delivery, rider=rider, by=manager))
        _in(grocer, lambda: delivery_assign(delivery=delivery, rider=other, by=manager))  # reassigned: same step
    assert len(texts) == 1 and "will bring your order" in texts[0][1]
    assert TrackingNotice.objects.filter(number=order.number, step=T.RIDER_ASSIGNED).count() == 1


def test_a_tracking_link_opens_only_its_order_without_signing_in_and_expires(grocer, place, host_client):
    order, other = place(fulfilment="delivery"), place()
    customer_order = CustomerOrder.objects.get(pk=order.customer_order_id)
    other_number = CustomerOrder.objects.get(pk=other.customer_order_id).number
    token = track_token_issue(customer_order_number=customer_order.number)
    client = host_client("localhost")
    page = client.get(f"/track/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert customer_order.number in html and order.number in html and other_number not in html
    assert delivery_of(grocer, order).handover_code in html
    assert "Cancel order" not in html
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/track/{forged}").status_code == 404
    other_token = track_token_issue(customer_order_number=other_number)
    assert customer_order.number not in client.get(f"/track/{other_token}").content.decode()
    in_four_days = time.time() + 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=in_four_days):
        assert client.get(f"/track/{token}").status_code == 410


def test_the_customers_order_page_shows_the_pickup_code_as_a_qr(grocer, place):
    order = place()
    part_tracking = PartTracking.objects.get(number=order.number)
    customer_order = CustomerOrder.objects.get(pk=order.customer_order_id)
    token = track_token_issue(customer_order_number=customer_order.number)
    html = Client(HTTP_HOST="localhost").get(f"/track/{token}").content.decode()
    assert part_tracking.pickup_code in html and "<svg" in html


def test_the_promised_time_follows_the_steps(grocer, ready_delivery, riders):
    order = ready_delivery()
    placed_eta = delivery_of(grocer, order).eta
    rider = _member(grocer, riders["rider"])
    taken = _in(grocer, lambda: delivery_take_next(rider=rider))
    _in(grocer, lambda: delivery_picked_up(delivery=taken, rider=rider))
    arrived = _in(grocer, lambda: delivery_arrived(delivery=taken, rider=rider))
    assert arrived.eta <= timezone.now() + timedelta(minutes=DELIVERY_HANDOVER_MINUTES) and arrived.eta != placed_eta
    assert PartTracking.objects.get(number=order.number).eta == arrived.eta


def test_a_late_order_is_flagged_on_the_board(grocer, ready_delivery):
    order = ready_delivery()
    _in(grocer, lambda: Delivery.objects.filter(order_id=order.pk).update(eta=timezone.now() - timedelta(minutes=5)))
    queue = grocer.page_client("manager").get("/orders/queue/").content.decode()
    assert 'id="late-orders"' in queue and order.number in queue


def test_preparation_minutes_are_edited_on_the_branchs_delivery_page(grocer):
    client = grocer.page_client("manager")
    response = client.post(
        f"/branches/{grocer.liberty.pk}/delivery/", {"preparation_minutes": "35", "offers_pickup": "on"}
    )
    assert response.status_code == 302
    with schema_context(grocer.merchant.schema_name):
        grocer.liberty.refresh_from_db()
    assert grocer.liberty.preparation_minutes == 35
    refused = client.post(
        f"/branches/{grocer.liberty.pk}/delivery/", {"preparation_minutes": "-4", "offers_pickup": "on"}
    )
    assert refused.status_code == 400


def test_merchant_orders_without_a_delivery_are_left_alone(grocer):
    with schema_context(grocer.merchant.schema_name):
        order = MerchantOrder.objects.create(
            number="NODELIVERY-1",
            customer_order_id=0,
            customer_order_number="NODELIVERY",
            branch=grocer.liberty,
            status=S.PLACED,
            fulfilment="pickup",
            payment_method="cod",
            customer_phone="+923001234567",
            subtotal=Decimal("1.00"),
            total=Decimal("1.00"),
        )
    moved(grocer, order, "accepted")
    assert not _in(grocer, lambda: Delivery.objects.filter(order_id=order.pk).exists())
