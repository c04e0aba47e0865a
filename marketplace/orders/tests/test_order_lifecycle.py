"""An order's life after checkout: online payment turns reservations into sales or, unpaid, beat releases them; cash
on delivery is captured as each part is handed over; the customer is texted at every step that matters to them."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError

from kernel.money import money
from marketplace.orders import services as order_services
from marketplace.orders.models import CustomerOrder, PartTracking
from marketplace.orders.services import customer_order_cancel, customer_order_paid, customer_orders_unpaid_release
from marketplace.orders.tasks import unpaid_orders_release
from marketplace.orders.tests.conftest import PHONE, staff_move, stock
from shared_apps.payments.models import IntentStatus, PaymentIntent
from shared_apps.payments.services import payment_intent_expire
from shared_apps.sms import services as sms_services
from shared_apps.sms import tasks as sms_tasks
from shared_apps.sms.client import SmsUnavailable
from shared_apps.sms.models import SmsMessage
from tenant_apps.inventory.models import StockMovement
from tenant_apps.orders.models import MerchantOrder, StockState

FOREE = {"payment_method": "foree", "contact_phone": "03001234567"}


def _place(buyer, *lines, body=None) -> CustomerOrder:
    for item, quantity in lines:
        assert buyer.add(item.pk, quantity).status_code == 201
    response = buyer.checkout(body)
    assert response.status_code == 201, response.json()
    return CustomerOrder.objects.get(pk=response.json()["id"])


def _merchant_order(item, order: CustomerOrder) -> MerchantOrder:
    with schema_context(item.merchant.schema_name):
        return MerchantOrder.objects.get(customer_order_id=order.pk)


def _movements(item, order: CustomerOrder) -> list[tuple[str, int, int]]:
    """(reason, on_hand delta, reserved delta) of the order's movements, oldest first."""
    number = _merchant_order(item, order).number
    with schema_context(item.merchant.schema_name):
        rows = StockMovement.objects.filter(reference=number).order_by("id")
        return list(rows.values_list("reason", "on_hand_delta", "reserved_delta"))


def _expire_deadline(order: CustomerOrder) -> None:
    PaymentIntent.objects.filter(customer_order=order).update(expires_at=timezone.now() - timedelta(seconds=1))


# --- online payment: success and timeout ---------------------------------------------------------------------------


def test_payment_success_turns_the_reservation_into_a_sale(new_buyer, rice, cake, texts, committed):
    with committed():
        order = _place(new_buyer(), (rice, 2), (cake, 1), body=FOREE)
    assert order.status == "pending_payment" and order.payment.expires_at is not None
    assert _merchant_order(rice, order).status == "pending_payment" and stock(rice) == (10, 2)
    assert texts == []  # nothing to tell before the money is in

    with committed():
        assert customer_order_paid(order=order) == 2

    order.refresh_from_db()
    assert order.status == "placed"
    assert [p.status for p in order.parts.all()] == ["placed", "placed"]
    for item, quantity in ((rice, 2), (cake, 1)):
        merchant_order = _merchant_order(item, order)
        assert (merchant_order.status, merchant_order.stock_state) == ("placed", StockState.SOLD)
        assert merchant_order.paid_at is not None and merchant_order.placed_at is not None
        assert stock(item) == (10 - quantity, 0)
        assert _movements(item, order) == [("reservation", 0, quantity), ("sale", -quantity, -quantity)]
    assert [to for to, _ in texts] == [PHONE, PHONE]
    assert all("is placed" in body for _, body in texts)

    with committed():
        assert customer_order_paid(order=order) == 0  # a repeated success changes nothing
    assert stock(rice) == (8, 0) and len(texts) == 2


def test_unpaid_order_is_released_by_the_beat_task(new_buyer, rice, cake, texts, committed):
    order = _place(new_buyer(), (rice, 2), (cake, 1), body=FOREE)
    assert unpaid_orders_release() == 0  # not due yet
    assert stock(rice) == (10, 2)

    _expire_deadline(order)
    with committed():
        assert unpaid_orders_release.apply().get() == 1  # as a worker runs it: through Celery's task machinery

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert PaymentIntent.objects.get(customer_order=order).status == IntentStatus.EXPIRED
    for item, quantity in ((rice, 2), (cake, 1)):
        merchant_order = _merchant_order(item, order)
        assert (merchant_order.status, merchant_order.stock_state) == ("cancelled", StockState.RELEASED)
        assert merchant_order.reason == "Payment was not completed in time"
        assert stock(item) == (10, 0)
        assert _movements(item, order) == [("reservation", 0, quantity), ("release", 0, -quantity)]
    assert len(texts) == 2 and all("was cancelled" in body for _, body in texts)
    assert unpaid_orders_release() == 0  # idempotent


def test_paid_and_cash_orders_are_never_released(new_buyer, rice, cake):
    paid = _place(new_buyer(), (rice, 1), body=FOREE)
    customer_order_paid(order=paid)
    PaymentIntent.objects.filter(customer_order=paid).update(status=IntentStatus.SUCCEEDED)
    _expire_deadline(paid)
    cash = _place(new_buyer(), (cake, 1))
    assert cash.payment.expires_at is None

    assert customer_orders_unpaid_release(now=timezone.now() + timedelta(days=365)) == 0
    assert _merchant_order(rice, paid).status == "placed" and _merchant_order(cake, cash).status == "placed"
    assert stock(rice) == (9, 0) and stock(cake) == (10, 1)


def test_overlapping_sweeps_release_an_order_once(new_buyer, rice, monkeypatch):
    order = _place(new_buyer(), (rice, 2), body=FOREE)
    _expire_deadline(order)
    intent = PaymentIntent.objects.get(customer_order=order)
    # A second sweep that listed the same intent before the first one expired it:
    monkeypatch.setattr(order_services, "payment_intents_expired", lambda **kw: [intent, intent])

    assert customer_orders_unpaid_release() == 1

    assert payment_intent_expire(intent_id=intent.pk) is False
    assert stock(rice) == (10, 0)
    assert [m[0] for m in _movements(rice, order)] == ["reservation", "release"]


def test_a_payment_that_lands_first_wins_over_the_sweep(new_buyer, rice, monkeypatch):
    order = _place(new_buyer(), (rice, 2), body=FOREE)
    _expire_deadline(order)
    stale = order_services.payment_intents_expired()  # the sweep listed it ...
    PaymentIntent.objects.filter(customer_order=order).update(status=IntentStatus.SUCCEEDED)  # ... then it was paid
    customer_order_paid(order=order)
    monkeypatch.setattr(order_services, "payment_intents_expired", lambda **kw: stale)

    assert customer_orders_unpaid_release() == 0
    assert _merchant_order(rice, order).status == "placed" and stock(rice) == (8, 0)


def test_an_order_that_fails_to_release_is_left_whole_for_the_next_sweep(new_buyer, rice, cake, monkeypatch, caplog):
    order = _place(new_buyer(), (rice, 2), (cake, 1), body=FOREE)
    _expire_deadline(order)
    real = order_services.merchant_order_transition
    calls = []

    def second_part_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(order_services, "merchant_order_transition", second_part_fails)
    with caplog.at_level(logging.ERROR):
        assert customer_orders_unpaid_release() == 0
    assert "retried next sweep" in caplog.text
    assert PaymentIntent.objects.get(customer_order=order).status == IntentStatus.REQUIRES_PAYMENT  # rolled back
    assert stock(rice) == (10, 2) and stock(cake) == (10, 1)

    monkeypatch.setattr(order_services, "merchant_order_transition", real)
    assert customer_orders_unpaid_release() == 1
    assert stock(rice) == (10, 0) and stock(cake) == (10, 0)


# --- cash on delivery ----------------------------------------------------------------------------------------------


def test_cash_is_captured_as_each_part_is_handed_over(new_buyer, rice, cake):
    body = {
        "payment_method": "cod",
        "contact_phone": "03001234567",
        "lat": 31.5102,
        "lng": 74.3443,
        "address": "House 1, Street 2, Gulberg III",
        "groups": [{"group": f"gulberg-grocer:{rice.branch_id}", "fulfilment": "delivery"}],
    }
    order = _place(new_buyer(), (rice, 2), (cake, 1), body=body)
    grocer, bakery = order.parts.order_by("merchant_id")
    intent = PaymentIntent.objects.get(customer_order=order)
    assert (intent.status, intent.captured_amount) == (IntentStatus.REQUIRES_PAYMENT, 0)

    staff_move(grocer.number, "accepted", "preparing", "out_for_delivery")
    assert PaymentIntent.objects.get(pk=intent.pk).captured_amount == 0  # not before the hand-over
    staff_move(grocer.number, "delivered")
    intent.refresh_from_db()
    assert (intent.status, intent.captured_amount) == (IntentStatus.PROCESSING, grocer.total)
    assert stock(rice) == (8, 0)  # handed over: the reservation is a sale

    staff_move(bakery.number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    intent.refresh_from_db()
    assert (intent.status, intent.captured_amount) == (IntentStatus.SUCCEEDED, order.total)
    assert intent.captured_amount == grocer.total + bakery.total
    order.refresh_from_db()
    assert order.status == "completed"


def test_a_rejected_cash_part_is_no_longer_owed(new_buyer, rice, cake):
    order = _place(new_buyer(), (rice, 2), (cake, 1))
    grocer, bakery = order.parts.order_by("merchant_id")
    staff_move(bakery.number, "rejected", reason="Closed for Eid")
    intent = PaymentIntent.objects.get(customer_order=order)
    assert (intent.amount, intent.status) == (grocer.total, IntentStatus.REQUIRES_PAYMENT)
    staff_move(grocer.number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    intent.refresh_from_db()
    assert (intent.status, intent.captured_amount) == (IntentStatus.SUCCEEDED, grocer.total)


def test_a_cancelled_cash_order_cancels_its_payment(new_buyer, rice):
    order = _place(new_buyer(), (rice, 1))
    customer_order_cancel(order=order, user_id=None)
    intent = PaymentIntent.objects.get(customer_order=order)
    assert (intent.amount, intent.status) == (0, IntentStatus.CANCELLED)


def test_online_orders_capture_no_cash_at_hand_over(new_buyer, rice):
    order = _place(new_buyer(), (rice, 1), body=FOREE)
    customer_order_paid(order=order)
    staff_move(order.parts.get().number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    assert PaymentIntent.objects.get(customer_order=order).captured_amount == 0


# --- texts to the customer -----------------------------------------------------------------------------------------


def _bodies(texts: list[tuple[str, str]]) -> list[str]:
    """The texts without their tracking link (a signed token that changes every second)."""
    assert {to for to, _ in texts} <= {PHONE}
    assert all(" Track: http://localhost:8000/track/" in body for _, body in texts)
    return [body.split(" Track: ")[0] for _, body in texts]


def test_one_text_per_step_of_the_customer_vocabulary(new_buyer, rice, cake, texts, committed):
    with committed():
        order = _place(new_buyer(), (rice, 2), (cake, 1))
    grocer, bakery = order.parts.order_by("merchant_id")
    assert _bodies(texts) == [
        f"Planckly: your order {grocer.number} at Gulberg Grocer is placed. Total {money(grocer.total)}.",
        f"Planckly: your order {bakery.number} at Crust & Crumb is placed. Total {money(bakery.total)}.",
    ]
    code = PartTracking.objects.get(number=grocer.number).pickup_code

    def step(number: str, *statuses: str, reason: str = "") -> list[str]:
        texts.clear()
        with committed():
            staff_move(number, *statuses, reason=reason)
        return _bodies(texts)

    assert step(grocer.number, "accepted") == [f"Planckly: Gulberg Grocer accepted your order {grocer.number}."]
    assert step(grocer.number, "preparing") == [f"Planckly: Gulberg Grocer is preparing your order {grocer.number}."]
    assert step(grocer.number, "ready_for_pickup") == [
        f"Planckly: your order {grocer.number} is ready for pickup at Gulberg Grocer, Liberty Market. Code {code}."
    ]
    assert step(grocer.number, "picked_up") == [
        f"Planckly: you picked up order {grocer.number} from Gulberg Grocer. Thank you!"
    ]
    assert step(bakery.number, "rejected", reason="Oven broke down") == [
        f"Planckly: Crust & Crumb could not take your order {bakery.number}: Oven broke down"
    ]


def test_delivery_texts(new_buyer, rice, texts, committed):
    body = {
        "payment_method": "cod",
        "contact_phone": "03001234567",
        "lat": 31.5102,
        "lng": 74.3443,
        "address": "House 1, Street 2, Gulberg III",
        "groups": [{"group": f"gulberg-grocer:{rice.branch_id}", "fulfilment": "delivery"}],
    }
    order = _place(new_buyer(), (rice, 1), body=body)
    number = order.parts.get().number
    staff_move(number, "accepted", "preparing")
    with committed():
        staff_move(number, "out_for_delivery")
    with committed():
        staff_move(number, "delivered")
    assert _bodies(texts) == [
        f"Planckly: your order {number} from Gulberg Grocer is ready and waits for its rider.",
        f"Planckly: your order {number} from Gulberg Grocer was delivered. Thank you!",
    ]


def test_a_broker_that_is_down_never_breaks_the_order_nor_loses_its_text(new_buyer, rice, committed, monkeypatch):
    order = _place(new_buyer(), (rice, 1))

    def broker_down(*args, **kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(sms_tasks.sms_message_deliver, "delay", broker_down)
    with committed():
        merchant_order = staff_move(order.parts.get().number, "accepted")
    assert merchant_order.status == "accepted" and order.parts.get().status == "accepted"
    waiting = SmsMessage.objects.filter(status="pending")  # outbox rows: beat's sweep sends them once Celery runs
    assert waiting.exists() and {message.to for message in waiting} == {order.contact_phone}


def test_a_failing_sms_provider_never_breaks_the_order(new_buyer, rice, committed, monkeypatch):
    ran = []

    def deliver_now(message_id):  # what a worker would do with the task, here and now
        ran.append(sms_tasks.sms_message_deliver.apply(args=(message_id,)).get())

    monkeypatch.setattr(sms_tasks.sms_message_deliver, "delay", deliver_now)
    monkeypatch.setattr(sms_services, "sms_send", _unavailable)  # every try fails: left for the sweep to retry
    with committed():
        order = _place(new_buyer(), (rice, 1))
    with committed():
        merchant_order = staff_move(order.parts.get().number, "accepted")
    assert ran == ["pending", "pending"]
    assert merchant_order.status == "accepted"
    order.refresh_from_db()
    assert order.status == "in_progress"


def _unavailable(**kwargs):
    raise SmsUnavailable("provider down")
