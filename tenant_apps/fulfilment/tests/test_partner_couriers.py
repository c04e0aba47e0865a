"""Partner couriers on the merchant's deliveries: booked when preparation starts (branch → customer, the manifest, the
cash due), the courier chosen by distance, cancelled with the order, rebooked by staff after a courier gave up; and
end to end over HTTP with the couriers' sandboxes — signed webhooks, duplicated and out of order, move the delivery,
the order and the customer's step exactly once; PostEx parcels polled by beat."""

from __future__ import annotations

import time
from decimal import Decimal
from unittest import mock

import pytest
from django_tenants.utils import schema_context

from marketplace.orders.models import PartTracking, TrackingNotice
from shared_apps.logistics.models import CourierDelivery
from shared_apps.logistics.models import DeliveryStatus as C
from shared_apps.logistics.services import BOOK_TASK, CANCEL_TASK
from shared_apps.logistics.tasks import courier_book_task, courier_cancel_task, couriers_poll_task
from shared_apps.logistics.tests.conftest import postex, uber  # noqa: F401  (fixtures)
from tenant_apps.fulfilment.courier_booking import city_of, courier_provider_for
from tenant_apps.fulfilment.models import Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.receivers import courier_status_changed_received
from tenant_apps.fulfilment.services import courier_status_apply
from tenant_apps.fulfilment.tests.conftest import delivery_of, moved
from tenant_apps.fulfilment.vocabulary import TrackStatus
from tenant_apps.orders.models import Fulfilment, MerchantOrder, OrderStatus, OrderTransition
from tenant_apps.orders.states import STAFF, Actor, merchant_order_transition

D, S, T = DeliveryStatus, OrderStatus, TrackStatus
KARACHI = (Decimal("24.860700"), Decimal("67.001100"))
WEBHOOK = "/api/v1/webhooks/couriers/uber"


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict]]:
    """The worker tasks logistics queued (no worker runs in these tests: they call the task functions)."""
    queued: list[tuple[str, dict]] = []
    monkeypatch.setattr("shared_apps.logistics.services.task_send", lambda name, **kw: queued.append((name, kw)))
    return queued


@pytest.fixture
def partner(grocer, place):
    """A cash order of the grocer's Liberty branch to be carried by a partner courier."""

    def make(*, where: tuple[Decimal, Decimal] | None = None, **kwargs) -> MerchantOrder:
        order = place(fulfilment="delivery", **kwargs)
        with schema_context(grocer.merchant.schema_name):
            changes = {"fulfilment": Fulfilment.PARTNER}
            if where:
                changes.update(latitude=where[0], longitude=where[1], address="Plot 4, Clifton Block 5")
            MerchantOrder.objects.filter(pk=order.pk).update(**changes)
            Delivery.objects.filter(order_id=order.pk).update(method=DeliveryMethod.PARTNER)
            return MerchantOrder.objects.get(pk=order.pk)

    return make


def _courier(grocer, order) -> CourierDelivery | None:
    return (
        CourierDelivery.objects.filter(merchant_schema=grocer.merchant.schema_name, merchant_order_id=order.pk)
        .order_by("-id")
        .first()
    )


# --- booking, cancelling, rebooking (no courier called) -----------------------------------------------------


def test_a_courier_is_booked_when_preparation_starts_with_the_branch_the_door_and_the_cash_due(
    grocer, partner, sent, django_capture_on_commit_callbacks
):
    order = partner()
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.ACCEPTED)
    assert _courier(grocer, order) is None  # accepted: the kitchen has not started, a courier would wait
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.PREPARING)
    courier = _courier(grocer, order)
    delivery = delivery_of(grocer, order)
    assert courier is not None and courier.status == C.REQUESTED and courier.provider == "uber"
    assert (courier.merchant_delivery_id, courier.customer_order_id) == (delivery.pk, order.customer_order_id)
    assert courier.pickup["name"].endswith(grocer.liberty.name) and courier.pickup["address"].startswith(
        grocer.liberty.address
    )
    assert Decimal(courier.pickup["latitude"]) == grocer.liberty.latitude
    assert courier.dropoff["address"] == order.address and courier.dropoff["phone"] == order.customer_phone
    assert Decimal(courier.dropoff["latitude"]) == order.latitude
    assert courier.items == [{"name": "Guard Basmati Rice 1 kg", "quantity": 2, "price": "590.00"}]
    assert courier.cod_amount == order.total  # cash on delivery: the courier collects it
    assert sent == [(BOOK_TASK, {"delivery_id": courier.pk})]
    assert delivery.courier_status == C.REQUESTED


def test_the_courier_is_chosen_by_distance(grocer):
    liberty = grocer.liberty
    assert courier_provider_for(branch=liberty, latitude=liberty.latitude, longitude=liberty.longitude) == "uber"
    assert courier_provider_for(branch=liberty, latitude=KARACHI[0], longitude=KARACHI[1]) == "postex"
    assert city_of(latitude=KARACHI[0], longitude=KARACHI[1]) == "Karachi"
    assert city_of(latitude=Decimal("28.0"), longitude=Decimal("64.0")) == ""  # nowhere near a city


def test_a_far_order_goes_to_the_parcel_courier_with_its_city(
    grocer, partner, sent, django_capture_on_commit_callbacks
):
    order = partner(where=KARACHI, payment="cod")
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.ACCEPTED, S.PREPARING)
    courier = _courier(grocer, order)
    assert courier.provider == "postex" and courier.dropoff["city"] == "Karachi"


def test_a_rejected_order_cancels_its_booking(grocer, partner, sent, django_capture_on_commit_callbacks):
    order = partner()
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.ACCEPTED, S.PREPARING)
    with django_capture_on_commit_callbacks(execute=True), schema_context(grocer.merchant.schema_name):
        merchant_order_transition(
            order=MerchantOrder.objects.get(pk=order.pk), to=S.REJECTED, actor=Actor(STAFF), reason="No rice"
        )
    assert _courier(grocer, order).status == C.CANCELED  # not booked yet: cancelled here, never booked
    assert delivery_of(grocer, order).status == D.CANCELLED


def test_a_courier_that_gives_up_before_pickup_is_rebooked_by_staff_not_by_itself(
    grocer, partner, sent, django_capture_on_commit_callbacks
):
    order = partner()
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.ACCEPTED, S.PREPARING)
    first = _courier(grocer, order)
    CourierDelivery.objects.filter(pk=first.pk).update(status=C.CANCELED)
    with schema_context(grocer.merchant.schema_name):
        courier_status_apply(merchant_order_id=order.pk, courier_status="pickup")
        gave_up = courier_status_apply(merchant_order_id=order.pk, courier_status="canceled")
    assert gave_up.status == D.WAITING and gave_up.courier_status == "canceled"  # waits for another courier
    assert grocer.order(order.pk).status == S.PREPARING
    assert PartTracking.objects.get(number=order.number).step == T.PREPARING  # the customer is not told "cancelled"
    assert CourierDelivery.objects.filter(merchant_order_id=order.pk).count() == 1  # nothing booked by itself

    page = grocer.page_client("manager").get(f"/orders/{order.pk}/").content.decode()
    assert "The courier cancelled." in page and "Book another courier" in page
    assert "Book another courier" not in grocer.page_client("employee").get(f"/orders/{order.pk}/").content.decode()
    url = f"/deliveries/{gave_up.pk}/courier/"
    assert grocer.page_client("employee").post(url).status_code in (403, 404)
    assert grocer.page_client("manager_dha").post(url).status_code in (403, 404)
    with django_capture_on_commit_callbacks(execute=True):
        response = grocer.page_client("manager").post(url)
    assert (response.status_code, response["Location"]) == (302, f"/orders/{order.pk}/")
    second = _courier(grocer, order)
    assert second.pk != first.pk and second.status == C.REQUESTED
    again = grocer.page_client("manager").post(url, follow=True).content.decode()
    assert "already booked" in again and CourierDelivery.objects.filter(merchant_order_id=order.pk).count() == 2
    # the first booking's late news speaks for nothing any more
    with schema_context(grocer.merchant.schema_name):
        courier_status_changed_received(None, delivery=first, from_status="canceled", to_status="returned")
    assert delivery_of(grocer, order).status == D.WAITING


def test_the_order_page_shows_the_courier(grocer, partner, sent, django_capture_on_commit_callbacks):
    order = partner()
    page = grocer.page_client("manager").get(f"/orders/{order.pk}/").content.decode()
    panel = page.split('id="delivery-panel"')[1].split("</section>")[0]
    assert "booked when preparation starts" in panel, panel
    assert "Book a courier" not in panel  # a new order is not the shop's to send yet
    with django_capture_on_commit_callbacks(execute=True):
        moved(grocer, order, S.ACCEPTED, S.PREPARING)
    CourierDelivery.objects.filter(merchant_order_id=order.pk).update(
        status=C.PICKUP, fee=Decimal("350.00"), tracking_url="https://track.example/d/1", courier_name="Asad"
    )
    page = grocer.page_client("manager").get(f"/orders/{order.pk}/").content.decode()
    for text in ("Uber Direct", "Courier on the way to the shop", "Asad", "https://track.example/d/1", "Rs 350"):
        assert text in page, text
    assert "Book a courier" not in page and "Book another courier" not in page


# --- the pickup code is the only way a pickup is handed over ------------------------------------------------


def test_the_plain_handover_never_hands_over_a_pickup(grocer, place):
    order = moved(grocer, place(), S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP)
    client = grocer.page_client("manager")
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'value="handover"' not in page and 'action="/deliveries/' in page  # only the code form hands it over
    refused = client.post(f"/orders/{order.pk}/", {"action": "handover"})
    assert refused.status_code == 409
    api = grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/handover")
    assert api.status_code == 409 and api.json()["field"] == "code"
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP


def test_the_api_hands_a_pickup_over_with_its_code_and_locks_out_guessing(grocer, place):
    order = moved(grocer, place(), S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP)
    delivery = delivery_of(grocer, order)
    url = f"/api/v1/console/deliveries/{delivery.pk}/handover"
    wrong = "1000" if delivery.pickup_code != "1000" else "1001"
    for _ in range(5):
        response = grocer.api("employee", "post", url, {"code": wrong})
        assert response.status_code == 400 and response.json()["code"] == "delivery_code_wrong"
    locked = grocer.api("employee", "post", url, {"code": delivery.pickup_code})
    assert locked.status_code == 429 and locked.json()["code"] == "delivery_code_locked"
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP
    with schema_context(grocer.merchant.schema_name):
        Delivery.objects.filter(pk=delivery.pk).update(code_failures=0, code_failed_at=None)
    assert grocer.api("employee_plain", "post", url, {"code": delivery.pickup_code}).status_code in (403, 404)
    done = grocer.api("employee", "post", url, {"code": delivery.pickup_code})
    assert done.status_code == 200 and done.json()["order_status"] == S.PICKED_UP
    assert grocer.api("employee", "post", url, {"code": ""}).status_code in (400, 422)


# --- end to end over HTTP with the sandboxes ----------------------------------------------------------------


def _wait(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def _booked(grocer, order, sent) -> CourierDelivery:
    courier = _courier(grocer, order)
    assert (BOOK_TASK, {"delivery_id": courier.pk}) in sent
    courier_book_task(delivery_id=courier.pk)  # what the worker runs
    return CourierDelivery.objects.get(pk=courier.pk)


@pytest.mark.django_db(transaction=True)
def test_end_to_end_the_simulated_courier_delivers_a_partner_order_exactly_once(
    grocer,
    partner,
    uber,  # noqa: F811
    live_server,
    sent,
):
    uber.configure(
        enabled=True,
        autodrive=True,
        webhook_url=f"{live_server.url}{WEBHOOK}",
        duplicate_rate=0.5,
        late_rate=0.3,
        late_ms=400,
        seed=7,
    )
    order = partner()
    for action in ("accept", "prepare"):
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200
    courier = _booked(grocer, order, sent)
    assert courier.provider_id and courier.status != C.REQUESTED
    _wait(lambda: grocer.order(order.pk).status == S.DELIVERED)
    time.sleep(1.5)  # the late and duplicated copies land too
    delivery = delivery_of(grocer, order)
    assert delivery.status == D.DELIVERED and delivery.courier_status == "delivered" and delivery.delivered_at
    with schema_context(grocer.merchant.schema_name):
        moves = list(OrderTransition.objects.filter(order_id=order.pk).values_list("from_status", "to_status"))
    assert moves[-2:] == [(S.PREPARING, S.OUT_FOR_DELIVERY), (S.OUT_FOR_DELIVERY, S.DELIVERED)]
    assert len(moves) == len(set(moves))  # every move exactly once, however often the courier told it
    assert PartTracking.objects.get(number=order.number).step == T.DELIVERED
    assert TrackingNotice.objects.filter(number=order.number, step=T.DELIVERED).count() == 1
    assert TrackingNotice.objects.filter(number=order.number, step=T.PICKED_UP).count() <= 1
    assert CourierDelivery.objects.get(pk=courier.pk).status == C.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_end_to_end_a_rejected_order_cancels_its_courier_at_the_sandbox(grocer, partner, uber, sent):  # noqa: F811
    order = partner()
    for action in ("accept", "prepare"):
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200
    courier = _booked(grocer, order, sent)
    assert courier.status == C.PENDING
    rejected = grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/reject", {"reason": "Shop closing"})
    assert rejected.status_code == 200
    assert (CANCEL_TASK, {"delivery_id": courier.pk}) in sent
    courier_cancel_task(delivery_id=courier.pk)
    assert CourierDelivery.objects.get(pk=courier.pk).status == C.CANCELED
    at_sandbox = {d["id"]: d["status"] for d in uber.listing()}
    assert at_sandbox[courier.provider_id] == "canceled"
    assert delivery_of(grocer, order).status == D.CANCELLED
    assert PartTracking.objects.get(number=order.number).step == T.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_end_to_end_a_far_parcel_is_polled_to_the_door(grocer, partner, postex, sent):  # noqa: F811
    order = partner(where=KARACHI)
    for action in ("accept", "prepare", "ready"):
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200
    courier = _booked(grocer, order, sent)
    assert courier.provider == "postex" and courier.provider_id
    postex.advance(courier.provider_id, code="0005")
    with mock.patch("django.conf.settings.COURIER_POLL_INTERVAL_SECONDS", 0):
        couriers_poll_task()
    assert CourierDelivery.objects.get(pk=courier.pk).status == C.DELIVERED
    assert grocer.order(order.pk).status == S.DELIVERED
    assert delivery_of(grocer, order).status == D.DELIVERED
    assert PartTracking.objects.get(number=order.number).step == T.DELIVERED
