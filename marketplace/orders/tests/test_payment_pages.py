"""Paying for an order as a customer: the API (GET /api/v1/orders/{id}/payment, POST .../payment/attempts) and the
pages (checkout → provider → return → payment page), against the real sandboxes."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shared_apps.payments.models import AttemptStatus, IntentStatus, PaymentAttempt
from shared_apps.payments.tests.conftest import PHONE

pytestmark = pytest.mark.django_db


def test_payment_api_shows_the_payment_and_starts_attempts_idempotently(place, rice, sandbox, new_buyer):
    order = place("jazzcash", rice)
    buyer = order.buyer
    response = buyer.call("get", f"/api/v1/orders/{order.pk}/payment")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["amount"], body["can_pay"]) == ("requires_payment", "590.00", True)
    assert body["gateways"] == ["foree", "jazzcash"] and body["attempts"] == []

    started = buyer.call(
        "post", f"/api/v1/orders/{order.pk}/payment/attempts", {"gateway": "jazzcash"}, **{"Idempotency-Key": "pay-1"}
    )
    assert started.status_code == 201
    first = started.json()
    assert first["attempt"]["status"] == "processing" and first["redirect"]["method"] == "POST"
    assert first["redirect"]["fields"]["pp_TxnRefNo"] == first["attempt"]["reference"]
    again = buyer.call(
        "post", f"/api/v1/orders/{order.pk}/payment/attempts", {"gateway": "jazzcash"}, **{"Idempotency-Key": "pay-1"}
    )
    assert again.json()["attempt"]["reference"] == first["attempt"]["reference"]
    assert PaymentAttempt.objects.count() == 1

    bad = buyer.call("post", f"/api/v1/orders/{order.pk}/payment/attempts", {"gateway": "paypal"})
    assert bad.status_code == 400 and bad.json()["code"] == "gateway_invalid" and bad.json()["field"] == "gateway"
    stranger = new_buyer()
    assert stranger.call("get", f"/api/v1/orders/{order.pk}/payment").status_code == 404
    assert stranger.call("post", f"/api/v1/orders/{order.pk}/payment/attempts", {"gateway": "foree"}).status_code == 404
    assert PaymentAttempt.objects.count() == 1


def test_the_same_payment_key_with_another_gateway_is_a_409(place, rice, sandbox):
    order = place("jazzcash", rice)
    url = f"/api/v1/orders/{order.pk}/payment/attempts"
    first = order.buyer.call("post", url, {"gateway": "jazzcash"}, **{"Idempotency-Key": "pay-2"})
    assert first.status_code == 201
    other = order.buyer.call("post", url, {"gateway": "foree"}, **{"Idempotency-Key": "pay-2"})
    body = other.json()
    assert (other.status_code, body["code"], body["field"]) == (409, "idempotency_key_reused", "Idempotency-Key")
    assert PaymentAttempt.objects.count() == 1


def test_cash_orders_cannot_be_paid_online(place, rice, sandbox):
    order = place("cod", rice)
    response = order.buyer.call("post", f"/api/v1/orders/{order.pk}/payment/attempts", {"gateway": "foree"})
    assert response.status_code == 409 and response.json()["code"] == "payment_not_online"


def _page_client(place_listing) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.post("/cart/add", {"listing_id": place_listing.pk, "quantity": 1})
    return client


def _checkout(client: Client, method: str):
    page = client.get("/checkout").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    fields = dict(re.findall(r'name="(fulfilment-[^"]+)" value="(pickup)"', page))
    return client.post(
        "/checkout", {"idempotency_key": key, "contact_phone": PHONE, "payment_method": method, **fields}
    )


def test_checkout_with_foree_goes_to_the_provider_and_back_to_a_paid_order(rice, sandbox, settings):
    client = _page_client(rice)
    placed = _checkout(client, "foree")
    assert placed.status_code == 302 and placed["Location"].startswith("/payments/")
    go = client.get(placed["Location"])
    assert go.status_code == 302 and go["Location"].startswith(f"{settings.FOREE_API_BASE}/pay/")
    attempt = PaymentAttempt.objects.get()
    sandbox.pay(attempt)

    back = client.get(f"/payments/return/{attempt.reference}/?crn={attempt.reference}")  # the provider's redirect
    number = attempt.intent.customer_order.number
    assert back.status_code == 302 and back["Location"] == f"/orders/{number}/payment"
    page = client.get(back["Location"]).content.decode()
    assert 'data-state="paid"' in page and "Payment received." in page
    assert client.get(f"/payments/return/{attempt.reference}/").status_code == 302  # a refresh changes nothing
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.intent.captured_amount == attempt.amount


def test_jazzcash_failure_then_retry_with_foree_on_the_payment_page(rice, sandbox, settings):
    client = _page_client(rice)
    placed = _checkout(client, "jazzcash")
    form = client.get(placed["Location"])
    html = form.content.decode()
    assert form.status_code == 200 and f'action="{settings.JAZZCASH_FORM_URL}"' in html
    assert form["Cache-Control"] == "no-store"
    attempt = PaymentAttempt.objects.get()
    returned = sandbox.pay(attempt, "failed")  # JazzCash posts the signed result back through the browser
    back = client.post(f"/payments/return/{attempt.reference}/", returned)
    number = attempt.intent.customer_order.number
    assert back.status_code == 302 and back["Location"] == f"/orders/{number}/payment"
    page = client.get(back["Location"]).content.decode()
    assert 'data-state="failed"' in page and "Try again, or choose another method." in page

    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    retry = client.post(f"/orders/{number}/payment", {"gateway": "foree", "idempotency_key": key})
    assert (
        client.post(f"/orders/{number}/payment", {"gateway": "foree", "idempotency_key": key})["Location"]
        == retry["Location"]
    )  # a double submit starts one attempt
    second = PaymentAttempt.objects.exclude(pk=attempt.pk).get()
    sandbox.pay(second)
    client.get(f"/payments/return/{second.reference}/")
    second.intent.refresh_from_db()
    assert second.intent.status == IntentStatus.SUCCEEDED
    assert 'data-state="paid"' in client.get(f"/orders/{number}/payment").content.decode()


def test_forged_return_post_changes_nothing(rice, sandbox):
    client = _page_client(rice)
    client.get(_checkout(client, "jazzcash")["Location"])
    attempt = PaymentAttempt.objects.get()
    sandbox.open(attempt)
    forged = {"pp_TxnRefNo": attempt.reference, "pp_ResponseCode": "000", "pp_SecureHash": "00"}
    assert client.post(f"/payments/return/{attempt.reference}/", forged).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PROCESSING  # the provider says pending: nothing was paid


def test_payment_pages_are_the_owners_only(rice, sandbox):
    client = _page_client(rice)
    client.get(_checkout(client, "foree")["Location"])
    attempt = PaymentAttempt.objects.get()
    number = attempt.intent.customer_order.number
    other = Client(HTTP_HOST="localhost")
    assert other.get(f"/orders/{number}/payment").status_code == 404
    assert other.get(f"/payments/{attempt.reference}/go").status_code == 404
    assert client.get(f"/orders/{number}/payment").status_code == 200
