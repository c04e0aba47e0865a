"""Payments in the admin panel: the Transactions list (search by order, phone, our and the provider's references),
a transaction's page with its parts, attempts, refunds and ledger, the Refund button (partial then full; too much is
refused and changes nothing; only staff with payments.add_refund), and the Webhooks list. Everything read-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.orders.models import CustomerOrder
from marketplace.orders.tests.conftest import staff_move
from shared_apps.accounts.models import User
from shared_apps.payments.ledger import ledger_problems
from shared_apps.payments.models import IntentStatus, PaymentAttempt, PaymentIntent, Refund, WebhookEvent

pytestmark = pytest.mark.django_db
LIST = "/admin/payments/paymentintent/"


@pytest.fixture
def paid(place, rice, cake) -> CustomerOrder:
    """Cash on delivery at two merchants (grocer Rs 590, bakery Rs 1,800), both handed over: Rs 2,390 captured. Plus
    a failed Foree attempt on it (as if the customer tried to pay online first), for the reference searches."""
    order = place("cod", rice, cake)
    for part in order.parts.all():
        staff_move(part.number, "accepted", "preparing", "ready_for_pickup", "picked_up")
    PaymentAttempt.objects.create(
        intent=order.payment,
        gateway="foree",
        reference="PATESTREF0000001",
        provider_reference="FOREE-BILL-777",
        provider_txn_id="TXN-31337",
        status="failed",
        amount=order.total,
        error_code="declined",
        error_message="Card declined",
        request={"amount": "2390.00", "phone": "[redacted]"},
        expires_at=timezone.now(),
    )
    order.payment.refresh_from_db()
    assert (order.payment.status, order.payment.captured_amount) == (IntentStatus.SUCCEEDED, Decimal("2390.00"))
    return order


def _staff_client(user: User) -> Client:
    TOTPDevice.objects.get_or_create(user=user, name="authenticator", defaults={"confirmed": True})
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    session.save()
    return client


def test_transactions_are_searchable_by_order_phone_and_references(admin_client, paid, place, rice):
    other = place("cod", rice)  # another order: every search below must find only `paid`
    page = admin_client.get(LIST)
    html = page.content.decode()
    assert page.status_code == 200 and paid.number in html and other.number in html
    for term in (paid.number, paid.parts.first().number, "PATESTREF0000001", "FOREE-BILL-777", "TXN-31337"):
        html = admin_client.get(LIST, {"q": term}).content.decode()
        assert paid.number in html and other.number not in html, term
    by_phone = admin_client.get(LIST, {"q": "0300 1234567"}).content.decode()  # as people type it
    assert paid.number in by_phone and other.number in by_phone  # both ordered with the same phone
    assert paid.number not in admin_client.get(LIST, {"q": "NOPE-404"}).content.decode()
    filtered = admin_client.get(LIST, {"status__exact": "succeeded", "method__exact": "cod"}).content.decode()
    assert paid.number in filtered and other.number not in filtered


def test_transaction_page_shows_parts_attempts_refunds_ledger_and_is_read_only(admin_client, paid):
    url = f"{LIST}{paid.payment.pk}/change/"
    html = admin_client.get(url).content.decode()
    for text in (
        paid.number,
        *[p.number for p in paid.parts.all()],
        "PATESTREF0000001",
        "FOREE-BILL-777",
        "Card declined",
        "capture:cod:P",
        "[redacted]",
        f"{LIST}{paid.payment.pk}/refund/",
    ):
        assert text in html, text
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.post(f"{LIST}{paid.payment.pk}/delete/").status_code == 403
    admin_client.post(url, {"amount": "1.00", "status": "refunded"})
    paid.payment.refresh_from_db()
    assert (paid.payment.amount, paid.payment.status) == (Decimal("2390.00"), IntentStatus.SUCCEEDED)


def test_admin_refunds_part_then_all(admin_client, platform_admin, paid):
    url = f"{LIST}{paid.payment.pk}/refund/"
    form = admin_client.get(url)
    assert form.status_code == 200 and 'value="2390.00"' in form.content.decode()  # defaults to everything left
    bakery = paid.parts.get(merchant__slug="crust-and-crumb")
    done = admin_client.post(url, {"amount": "300.00", "part": bakery.pk, "reason": "Cake was squashed"}, follow=True)
    assert "Refunded Rs 300" in done.content.decode()
    refund = Refund.objects.get()
    assert (refund.amount, refund.part_id, refund.requested_as, refund.requested_by_id) == (
        Decimal("300.00"),
        bakery.pk,
        "admin",
        platform_admin.pk,
    )
    assert ledger_problems(paid.payment) == []
    assert paid.payment.status == IntentStatus.PARTIALLY_REFUNDED

    rest = admin_client.post(url, {"amount": "2090.00", "part": "", "reason": "Order returned"}, follow=True)
    assert "Refunded Rs 2,090" in rest.content.decode()
    assert ledger_problems(paid.payment) == []
    assert (paid.payment.status, paid.payment.refunded_amount) == (IntentStatus.REFUNDED, Decimal("2390.00"))


def test_refund_too_large_shows_the_error_and_changes_nothing(admin_client, paid):
    url = f"{LIST}{paid.payment.pk}/refund/"
    grocer = paid.parts.get(merchant__slug="gulberg-grocer")
    response = admin_client.post(url, {"amount": "600.00", "part": grocer.pk, "reason": "Too much"}, follow=True)
    assert "At most Rs 590 can be refunded." in response.content.decode()
    assert not Refund.objects.exists()
    assert admin_client.post(url, {"amount": "0", "reason": "x"}).status_code == 200  # form error, re-shown
    assert admin_client.post(url, {"amount": "5.00", "reason": ""}).status_code == 200
    assert not Refund.objects.exists()
    paid.payment.refresh_from_db()
    assert (paid.payment.refunded_amount, paid.payment.status) == (Decimal("0.00"), IntentStatus.SUCCEEDED)
    assert ledger_problems(paid.payment) == []


def test_only_staff_with_the_refund_permission_may_refund(paid):
    viewer = User.objects.create_user(phone="+923000000077", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_paymentintent"))
    client = _staff_client(viewer)
    page = client.get(f"{LIST}{paid.payment.pk}/change/")
    assert page.status_code == 200 and f"{LIST}{paid.payment.pk}/refund/" not in page.content.decode()
    url = f"{LIST}{paid.payment.pk}/refund/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"amount": "1.00", "reason": "x"}).status_code == 403
    assert not Refund.objects.exists()

    viewer.user_permissions.add(Permission.objects.get(codename="add_refund"))
    viewer = User.objects.get(pk=viewer.pk)  # permissions are cached on the instance
    assert client.get(url).status_code == 200
    csrf = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    csrf.cookies = client.cookies
    assert csrf.post(url, {"amount": "1.00", "reason": "x"}).status_code == 403  # no CSRF token
    assert not Refund.objects.exists()


def test_webhooks_list_is_read_only_and_searchable(admin_client, db):
    WebhookEvent.objects.create(
        gateway="foree",
        dedupe_key="foree:BILL-1:paid",
        body="{}",
        status="applied",
        detail="Provider says succeeded.",
        deliveries=3,
    )
    WebhookEvent.objects.create(gateway="jazzcash", dedupe_key="jazzcash:T2:000", body="x", status="rejected")
    html = admin_client.get("/admin/payments/webhookevent/", {"q": "BILL-1"}).content.decode()
    assert "foree:BILL-1:paid" in html and "jazzcash:T2:000" not in html
    assert admin_client.get("/admin/payments/webhookevent/add/").status_code == 403
    assert PaymentIntent.objects.count() == 0
