"""The payment lifecycle against the real sandboxes: initiate, pay, notifications (duplicated, parallel, out of order,
forged), provider timeouts and reconciliation, retry with the other gateway, refunds partial and full, second and
late payments given back — and after each, the ledger balances (shared_apps/payments/ledger.py)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kernel.errors import DomainError
from marketplace.orders.models import CustomerOrder
from marketplace.orders.tests.conftest import staff_move, stock
from shared_apps.payments.errors import PaymentError, PaymentErrorCode
from shared_apps.payments.models import (
    AttemptStatus,
    IntentStatus,
    LedgerEntry,
    LedgerKind,
    PaymentAttempt,
    PaymentIntent,
    Refund,
    RefundStatus,
    WebhookEvent,
    WebhookStatus,
)
from shared_apps.payments.services import (
    payment_attempt_confirm,
    payment_notification_receive,
    payment_part_refund,
    payment_webhook_process,
    payments_reconcile,
    refund_process,
    refund_request,
)
from shared_apps.payments.testing import payments_delete_all
from shared_apps.payments.tests.conftest import books_balance, jazzcash_signed, notification_body, start

pytestmark = pytest.mark.django_db


def webhook(gateway: str, body: bytes, content_type: str):
    return Client(HTTP_HOST="localhost").post(f"/api/v1/payments/webhooks/{gateway}", body, content_type=content_type)


def captures(order: CustomerOrder) -> int:
    return LedgerEntry.objects.filter(intent__customer_order=order, kind=LedgerKind.CAPTURE).count()


def process_all(queued) -> None:
    """Run what the webhook endpoint handed to the worker, as the worker would."""
    while queued:
        name, args = queued.pop(0)
        assert name == "webhook_process_task"
        payment_webhook_process(event_id=args[0])


@pytest.mark.parametrize("gateway", ["foree", "jazzcash"])
def test_the_same_notification_ten_times_captures_once(gateway, place, rice, sandbox, queued):
    order = place(gateway, rice)
    assert order.status == "pending_payment" and stock(rice) == (10, 1)
    attempt = start(order, gateway)
    assert attempt.status == AttemptStatus.PROCESSING and attempt.provider_reference
    body, content_type = notification_body(attempt, sandbox.pay(attempt))

    answers = [webhook(gateway, body, content_type) for _ in range(10)]
    assert {a.status_code for a in answers} == {200}
    assert len(queued) == 1  # one fact, one piece of work
    event = WebhookEvent.objects.get(gateway=gateway)
    assert event.deliveries == 10 and event.body == body.decode()  # stored raw
    process_all(queued)
    payment_webhook_process(event_id=event.pk)  # a second run of the same work changes nothing

    order.refresh_from_db()
    intent = order.payment
    assert (intent.status, intent.captured_amount) == (IntentStatus.SUCCEEDED, Decimal("590.00"))
    assert order.status == "placed" and captures(order) == 1
    assert stock(rice) == (9, 0)  # the reservation became a sale
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.provider_txn_id
    assert WebhookEvent.objects.get(pk=event.pk).status == WebhookStatus.APPLIED
    shares = LedgerEntry.objects.filter(intent=intent, kind__in=("merchant_share", "commission"))
    assert sorted(e.amount for e in shares) == [Decimal("29.50"), Decimal("560.50")]
    books_balance(order)


@pytest.mark.django_db(transaction=True)
def test_parallel_notifications_capture_once(place, rice, sandbox):
    order = place("foree", rice)
    attempt = start(order, "foree")
    body, content_type = notification_body(attempt, sandbox.pay(attempt))
    barrier = threading.Barrier(10)
    errors = []

    def deliver() -> None:
        try:
            barrier.wait()
            event, _ = payment_notification_receive(gateway="foree", body=body, content_type=content_type)
            payment_webhook_process(event_id=event.pk)  # every delivery also processes: the worst case
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert captures(order) == 1 and WebhookEvent.objects.get().deliveries == 10
        order.refresh_from_db()
        assert order.payment.status == IntentStatus.SUCCEEDED and order.payment.captured_amount == Decimal("590.00")
        books_balance(order)
    finally:
        payments_delete_all()
        CustomerOrder.objects.all().delete()


def test_out_of_order_a_late_failure_after_success_changes_nothing(place, rice, sandbox, queued, settings):
    order = place("jazzcash", rice)
    attempt = start(order, "jazzcash")
    paid = sandbox.pay(attempt)
    late_failure = jazzcash_signed(
        paid, settings.JAZZCASH_INTEGRITY_SALT, pp_ResponseCode="999", pp_ResponseMessage="Transaction failed"
    )
    webhook("jazzcash", *notification_body(attempt, paid))
    webhook("jazzcash", *notification_body(attempt, late_failure))
    queued.reverse()  # the worker happens to take the failure first
    process_all(queued)
    attempt.refresh_from_db()
    order.payment.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and order.payment.status == IntentStatus.SUCCEEDED
    assert captures(order) == 1
    books_balance(order)


def test_forged_jazzcash_notification_is_rejected_and_changes_nothing(place, rice, sandbox, queued):
    order = place("jazzcash", rice)
    attempt = start(order, "jazzcash")
    fields = sandbox.pay(attempt)
    forged = {**fields, "pp_Amount": "100"}  # the hash no longer matches
    response = webhook("jazzcash", *notification_body(attempt, forged))
    assert response.status_code == 400 and response.json()["pp_ResponseCode"] == "115"
    assert queued == []
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.REJECTED and event.body  # kept, for the record
    order.payment.refresh_from_db()
    assert order.payment.status == IntentStatus.PROCESSING and captures(order) == 0


def test_foree_notification_the_bill_status_contradicts_is_rejected(place, rice, sandbox, queued):
    order = place("foree", rice)
    attempt = start(order, "foree")
    lie = sandbox.foree_notification(attempt, bill_status="Paid", transaction_ref_id="FT999", paid_amount="590.00")
    assert webhook("foree", *notification_body(attempt, lie)).status_code == 200  # accepted for checking ...
    process_all(queued)
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.REJECTED and "status query says pending" in event.detail
    order.payment.refresh_from_db()
    attempt.refresh_from_db()
    assert (order.payment.status, attempt.status) == (IntentStatus.PROCESSING, AttemptStatus.PROCESSING)
    assert captures(order) == 0 and order.status == "pending_payment"


def test_notification_for_a_payment_we_never_made_is_rejected(sandbox, queued, db):
    body = b'{"response_data": {"bill": {"reference_number": "FP000000000000", "bill_status": "Paid"}}}'
    assert webhook("foree", body, "application/json").status_code == 200
    process_all(queued)
    assert WebhookEvent.objects.get().status == WebhookStatus.REJECTED


def test_provider_timeout_then_reconciliation_captures(place, rice, sandbox, queued, settings):
    order = place("foree", rice)
    attempt = start(order, "foree")
    body, content_type = notification_body(attempt, sandbox.pay(attempt))
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 0.3
    sandbox.configure("foree", status_delay_ms=1500)
    webhook("foree", body, content_type)
    process_all(queued)
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.RETRY  # could not confirm: nothing applied, nothing lost
    assert captures(order) == 0

    sandbox.configure("foree", status_delay_ms=0)
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 5
    counts = payments_reconcile(now=timezone.now() + timedelta(minutes=2))
    assert counts["errors"] == 0
    order.refresh_from_db()
    assert order.payment.status == IntentStatus.SUCCEEDED and order.status == "placed" and captures(order) == 1
    assert WebhookEvent.objects.get().status == WebhookStatus.APPLIED
    books_balance(order)


def test_reconciliation_finds_a_payment_whose_notification_never_came(place, rice, sandbox):
    order = place("jazzcash", rice)
    attempt = start(order, "jazzcash")
    sandbox.pay(attempt)  # notifications are off: nothing tells us
    assert payments_reconcile()["confirmed"] == 0  # too early: the customer may still be on the page
    payments_reconcile(now=timezone.now() + timedelta(minutes=2))
    order.payment.refresh_from_db()
    assert order.payment.status == IntentStatus.SUCCEEDED and captures(order) == 1
    books_balance(order)


def test_retry_after_a_jazzcash_failure_succeeds_with_foree(place, rice, cake, sandbox):
    order = place("jazzcash", rice, cake)
    first = start(order, "jazzcash")
    sandbox.pay(first, "failed")
    payment_attempt_confirm(attempt=first)
    order.payment.refresh_from_db()
    assert order.payment.status == IntentStatus.FAILED and order.payment.last_error
    assert order.status == "pending_payment" and stock(rice) == (10, 1)  # still held for the retry

    second = start(order, "foree")
    sandbox.pay(second)
    payment_attempt_confirm(attempt=second)
    order.refresh_from_db()
    assert order.payment.status == IntentStatus.SUCCEEDED and order.payment.method == "foree"
    assert order.status == "placed" and order.payment_method == "foree"
    assert [a.status for a in order.payment.attempts.order_by("id")] == ["failed", "succeeded"]
    assert captures(order) == 1
    with pytest.raises(PaymentError) as paid:
        start(order, "jazzcash")
    assert paid.value.code == PaymentErrorCode.ALREADY_PAID
    books_balance(order)


def test_refund_partial_then_full_through_jazzcash(place, rice, cake, sandbox):
    order = place("jazzcash", rice, cake)  # 590 + 1,800
    attempt = start(order, "jazzcash")
    sandbox.pay(attempt)
    payment_attempt_confirm(attempt=attempt)
    intent = PaymentIntent.objects.get(customer_order=order)
    assert intent.captured_amount == Decimal("2390.00")

    refund = refund_request(intent=intent, amount=Decimal("100.00"), reason="Squashed box", requested_as="admin")
    assert refund.status == RefundStatus.SUCCEEDED
    intent.refresh_from_db()
    assert (intent.status, intent.refunded_amount) == (IntentStatus.PARTIALLY_REFUNDED, Decimal("100.00"))
    assert sandbox.jazzcash_refunded_paisa(attempt) == 10000
    books_balance(order)

    with pytest.raises(PaymentError) as too_much:
        refund_request(intent=intent, amount=Decimal("2290.01"), reason="", requested_as="admin")
    assert too_much.value.code == PaymentErrorCode.REFUND_TOO_LARGE
    refund_request(intent=intent, amount=Decimal("2290.00"), reason="Order lost", requested_as="admin")
    intent.refresh_from_db()
    assert (intent.status, intent.refunded_amount) == (IntentStatus.REFUNDED, Decimal("2390.00"))
    assert sandbox.jazzcash_refunded_paisa(attempt) == 239000
    assert sorted(order.parts.values_list("status", flat=True)) == ["refunded", "refunded"]  # nobody prepares it
    assert order.parts.get(merchant__slug="gulberg-grocer").timeline[-2]["note"] == "Refunded: Order lost"
    assert stock(rice) == (10, 0) and stock(cake) == (10, 0)  # the sales went back to the shelves
    with pytest.raises(PaymentError) as nothing:
        refund_request(intent=intent, amount=Decimal("1.00"), reason="", requested_as="admin")
    assert nothing.value.code == PaymentErrorCode.NOTHING_TO_REFUND
    for bad in (Decimal("0"), Decimal("-5"), Decimal("1.001")):
        with pytest.raises(PaymentError):
            refund_request(intent=intent, amount=bad, reason="", requested_as="admin")
    books_balance(order)


def test_a_merchant_refunds_its_own_share_only(place, rice, cake, sandbox):
    order = place("foree", rice, cake)
    attempt = start(order, "foree")
    sandbox.pay(attempt)
    payment_attempt_confirm(attempt=attempt)
    intent = PaymentIntent.objects.get(customer_order=order)
    grocer = order.parts.get(merchant__slug="gulberg-grocer")
    with pytest.raises(PaymentError) as too_much:
        refund_request(intent=intent, amount=Decimal("600.00"), part=grocer, reason="", requested_as="merchant")
    assert too_much.value.code == PaymentErrorCode.REFUND_TOO_LARGE
    refund = refund_request(
        intent=intent, amount=Decimal("590.00"), part=grocer, reason="Out of rice", requested_as="merchant"
    )
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_reference.startswith("manual-")  # Foree: portal
    grocer_ledger = LedgerEntry.objects.filter(part_id=grocer.pk).values_list("amount", flat=True)
    assert sum(grocer_ledger) == 0
    bakery = order.parts.get(merchant__slug="crust-and-crumb")
    assert sum(LedgerEntry.objects.filter(part_id=bakery.pk).values_list("amount", flat=True)) == Decimal("1800.00")
    intent.refresh_from_db()
    assert intent.status == IntentStatus.PARTIALLY_REFUNDED
    books_balance(order)


def test_a_rejected_paid_part_is_refunded_automatically(place, rice, cake, sandbox, queued, committed):
    order = place("jazzcash", rice, cake)
    attempt = start(order, "jazzcash")
    sandbox.pay(attempt)
    payment_attempt_confirm(attempt=attempt)
    grocer = order.parts.get(merchant__slug="gulberg-grocer")
    with committed():
        staff_move(grocer.number, "rejected", reason="Out of stock")
    assert queued == [("part_refund_task", (grocer.pk, "Out of stock"))]
    refund = payment_part_refund(part=grocer, reason="Out of stock")
    assert refund.amount == Decimal("590.00") and refund.status == RefundStatus.SUCCEEDED
    assert payment_part_refund(part=grocer, reason="again") is None  # nothing left for that part
    grocer.refresh_from_db()
    assert grocer.status == "refunded"  # the merchant order followed
    assert stock(rice) == (10, 0)  # the rejected sale went back to the shelf
    books_balance(order)


def test_a_second_payment_is_given_back(place, rice, sandbox, queued, committed):
    order = place("foree", rice)
    first, second = start(order, "foree"), start(order, "jazzcash")  # two tabs
    sandbox.pay(first)
    sandbox.pay(second)
    payment_attempt_confirm(attempt=first)
    with committed():
        payment_attempt_confirm(attempt=second)
    refund = Refund.objects.get()
    assert queued == [("refund_process_task", (refund.pk,))]
    assert refund.attempt_id == second.pk and refund.allocation == {}
    refund_process(refund_id=refund.pk)
    order.payment.refresh_from_db()
    intent = order.payment
    assert intent.status == IntentStatus.SUCCEEDED  # the order stays paid, once
    assert (intent.captured_amount, intent.refunded_amount) == (Decimal("1180.00"), Decimal("590.00"))
    assert sandbox.jazzcash_refunded_paisa(second) == 59000
    books_balance(order)


def test_a_payment_after_the_order_expired_is_given_back(place, rice, sandbox, queued, committed):
    from marketplace.orders.services import customer_orders_unpaid_release

    order = place("jazzcash", rice)
    attempt = start(order, "jazzcash")
    sandbox.pay(attempt)
    with committed():
        assert customer_orders_unpaid_release(now=timezone.now() + timedelta(minutes=30)) == 1
    assert stock(rice) == (10, 0)
    with committed():
        payment_attempt_confirm(attempt=attempt)
    order.refresh_from_db()
    assert order.payment.status == IntentStatus.EXPIRED and order.status == "cancelled"
    refund = Refund.objects.get()
    refund_process(refund_id=refund.pk)
    order.payment.refresh_from_db()
    assert order.payment.captured_amount == order.payment.refunded_amount == Decimal("590.00")
    books_balance(order)


def test_customer_cancelling_an_unpaid_online_order_cancels_its_payment(place, rice, sandbox):
    order = place("foree", rice)
    response = order.buyer.call("post", f"/api/v1/orders/{order.pk}/cancel", {})
    assert response.status_code == 200
    order.payment.refresh_from_db()
    assert order.payment.status == IntentStatus.CANCELLED
    with pytest.raises(PaymentError) as cancelled:
        start(order, "foree")
    assert cancelled.value.code == PaymentErrorCode.CANCELLED


def test_cash_is_captured_per_part_at_hand_over_and_can_be_refunded(place, rice, cake, sandbox):
    order = place("cod", rice, cake)
    grocer = order.parts.get(merchant__slug="gulberg-grocer")
    staff_move(grocer.number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    order.payment.refresh_from_db()
    assert (order.payment.status, order.payment.captured_amount) == (IntentStatus.PROCESSING, Decimal("590.00"))
    books_balance(order)
    bakery = order.parts.get(merchant__slug="crust-and-crumb")
    staff_move(bakery.number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    order.payment.refresh_from_db()
    assert (order.payment.status, order.payment.captured_amount) == (IntentStatus.SUCCEEDED, Decimal("2390.00"))
    refund = refund_request(
        intent=order.payment, amount=Decimal("90.00"), part=grocer, reason="Torn bag", requested_as="merchant"
    )
    assert refund.provider_reference.startswith("cash-") and refund.attempt is None
    books_balance(order)
    with pytest.raises(PaymentError) as online:
        start(order, "foree")
    assert online.value.code == PaymentErrorCode.NOT_ONLINE


def test_attempts_are_idempotent_per_key(place, rice, sandbox):
    order = place("foree", rice)
    one = start(order, "foree", key="k1")
    assert start(order, "foree", key="k1").pk == one.pk
    assert PaymentAttempt.objects.count() == 1
    with pytest.raises(PaymentError) as other_gateway:
        start(order, "jazzcash", key="k1")
    assert (other_gateway.value.code, other_gateway.value.status) == (PaymentErrorCode.KEY_REUSED, 409)
    assert PaymentAttempt.objects.count() == 1
    assert start(order, "foree", key="k2").pk != one.pk


def _race(*works) -> list[BaseException]:
    """Run `works` in threads released together; what they raised other than an answer to the customer."""
    barrier = threading.Barrier(len(works))
    failures: list[BaseException] = []

    def run(work) -> None:
        try:
            barrier.wait()
            work()
        except DomainError:
            pass  # paid, expired or cancelled already: an answer to the customer, not a failure
        except Exception as error:  # anything else (a deadlock) fails the test
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def _race_one_order(order: CustomerOrder, attempt: PaymentAttempt) -> list[BaseException]:
    from marketplace.orders.services import customer_order_cancel, customer_orders_unpaid_release

    later = timezone.now() + timedelta(minutes=30)
    return _race(
        lambda: payment_attempt_confirm(attempt=PaymentAttempt.objects.get(pk=attempt.pk)),
        lambda: customer_order_cancel(order=CustomerOrder.objects.get(pk=order.pk), user_id=None),
        lambda: customer_orders_unpaid_release(now=later),
        lambda: start(CustomerOrder.objects.get(pk=order.pk), "foree"),
    )


@pytest.mark.django_db(transaction=True)
def test_capture_cancel_expiry_and_a_new_attempt_racing_on_one_order_never_deadlock(place, rice, sandbox):
    """The four paths that lock an order's rows, at once, several times over: each run ends in one consistent state
    (paid and placed, or cancelled with any money on its way back) and the books balance."""
    try:
        for _ in range(4):
            order = place("jazzcash", rice)
            attempt = start(order, "jazzcash")
            sandbox.pay(attempt)
            PaymentIntent.objects.filter(pk=order.payment.pk).update(expires_at=timezone.now())  # due now
            assert _race_one_order(order, attempt) == []
            order.refresh_from_db()
            intent = order.payment
            intent.refresh_from_db()
            assert captures(order) == 1  # the provider took the money once, and we recorded it once
            if intent.status == IntentStatus.SUCCEEDED:
                assert order.status in ("placed", "cancelled")
            else:
                assert intent.status in (IntentStatus.CANCELLED, IntentStatus.EXPIRED) and order.status == "cancelled"
                assert Refund.objects.filter(intent=intent, attempt=attempt).exists()  # given back
            for refund in Refund.objects.filter(intent=intent, status=RefundStatus.PENDING):
                refund_process(refund_id=refund.pk)
            books_balance(order)
    finally:
        payments_delete_all()
        CustomerOrder.objects.all().delete()
