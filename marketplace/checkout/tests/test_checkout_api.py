"""POST /api/v1/checkout, the contract: Idempotency-Key, replays, validation, stock and price checks. Every error
has the one envelope {code, message, field}, and a refused checkout leaves nothing reserved or written."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from marketplace.cart.models import CartItem
from marketplace.checkout.tests.merchant_side import price_set, stock_take
from marketplace.orders.models import CustomerOrder
from marketplace.orders.tests.conftest import stock
from shared_apps.payments.models import PaymentIntent

COD = {"payment_method": "cod", "contact_phone": "03001234567"}
LIBERTY = {"lat": 31.5102, "lng": 74.3443}
ISLAMABAD = {"lat": 33.6844, "lng": 73.0479}


@pytest.fixture
def buyer(new_buyer, rice):
    buyer = new_buyer()
    assert buyer.add(rice.pk, 2).status_code == 201
    return buyer


def _error(response, status: int, code: str, field: str | None = None) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert {"code", "message", "field"} <= set(body) and body["message"]
    assert (body["code"], body["field"]) == (code, field)
    return body


def _nothing_written(rice, *, reserved: int = 0) -> None:
    assert not CustomerOrder.objects.exists() and not PaymentIntent.objects.exists()
    assert stock(rice)[1] == reserved


def test_missing_or_blank_key_is_400(buyer, rice):
    no_key = buyer.call("post", "/api/v1/checkout", COD)
    _error(no_key, 400, "idempotency_key_missing", "Idempotency-Key")
    _error(buyer.checkout(COD, key="   "), 400, "idempotency_key_missing", "Idempotency-Key")
    _error(buyer.checkout(COD, key="k" * 81), 400, "idempotency_key_missing", "Idempotency-Key")  # unusable
    _nothing_written(rice)


def test_same_key_and_body_replays_the_same_order(buyer, rice):
    key = uuid.uuid4().hex
    first = buyer.checkout(COD, key=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = buyer.checkout(COD, key=key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert CustomerOrder.objects.count() == 1 and stock(rice) == (10, 2)


def test_same_key_with_another_body_is_409(buyer):
    key = uuid.uuid4().hex
    assert buyer.checkout(COD, key=key).status_code == 201
    other = buyer.checkout({**COD, "contact_phone": "03007654321"}, key=key)
    _error(other, 409, "idempotency_key_reused", "Idempotency-Key")
    assert CustomerOrder.objects.count() == 1


def test_keys_are_per_shopper(buyer, new_buyer, rice):
    key = uuid.uuid4().hex
    other = new_buyer()
    other.add(rice.pk, 1)
    assert buyer.checkout(COD, key=key).status_code == 201
    theirs = other.checkout(COD, key=key)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert CustomerOrder.objects.count() == 2


def test_empty_cart_is_400(new_buyer, market):
    _error(new_buyer().checkout(COD), 400, "cart_empty")


def test_an_out_of_stock_line_is_409_with_the_lines_and_nothing_is_reserved(buyer, rice, cake):
    assert buyer.add(cake.pk).status_code == 201
    stock_take(rice, 9)  # one left, two in the cart
    response = buyer.checkout(COD)
    body = _error(response, 409, "out_of_stock")
    rice_line = CartItem.objects.get(merchant_id=rice.merchant_id, variant_id=rice.variant_id)
    assert body["details"]["lines"] == [
        {"id": rice_line.pk, "problem": "insufficient_stock", "available": 1, "quantity": 2}
    ]
    _nothing_written(rice)
    assert stock(cake) == (10, 0)
    assert CartItem.objects.count() == 2  # the cart is kept for the customer to fix


def test_delivery_outside_the_radius_is_400(buyer, rice):
    choice = {"group": f"gulberg-grocer:{rice.branch_id}", "fulfilment": "delivery"}
    response = buyer.checkout({**COD, **ISLAMABAD, "address": "F-7, Islamabad", "groups": [choice]})
    body = _error(response, 400, "fulfilment_unavailable", "groups")
    assert (body["details"]["group"], body["details"]["reason"]) == (f"gulberg-grocer:{rice.branch_id}", "outside_area")
    _nothing_written(rice)


def test_delivery_without_an_address_is_400(buyer, rice):
    choice = {"group": f"gulberg-grocer:{rice.branch_id}", "fulfilment": "delivery"}
    _error(buyer.checkout({**COD, **LIBERTY, "groups": [choice]}), 400, "address_required", "address")
    _nothing_written(rice)


def test_delivery_inside_the_radius_charges_the_fee(buyer, rice):
    choice = {"group": f"gulberg-grocer:{rice.branch_id}", "fulfilment": "delivery", "address": "House 1, Gulberg"}
    response = buyer.checkout({**COD, **LIBERTY, "groups": [choice]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert Decimal(body["delivery_total"]) == Decimal("100") and Decimal(body["total"]) == Decimal("1280")
    assert body["parts"][0]["fulfilment"] == "delivery"


def test_an_unknown_group_is_400(buyer, rice):
    response = buyer.checkout({**COD, "groups": [{"group": "nobody:1"}]})
    _error(response, 400, "group_unknown", "groups")
    _nothing_written(rice)


def test_a_bad_phone_is_400(buyer, rice):
    for phone in ("12345", "", "+4420 7946 0000 99", "0300-CALL-ME"):
        _error(buyer.checkout({**COD, "contact_phone": phone}), 400, "phone_invalid", "contact_phone")
    _nothing_written(rice)


def test_a_bad_payment_method_is_400(buyer, rice):
    for method in ("bitcoin", "", "COD"):
        _error(buyer.checkout({**COD, "payment_method": method}), 400, "payment_method_invalid", "payment_method")
    _nothing_written(rice)


def test_a_malformed_body_is_400_with_the_field(buyer, rice):
    _error(buyer.checkout({"contact_phone": "03001234567"}), 400, "invalid", "payment_method")
    bad = buyer.checkout({**COD, "groups": [{"group": "x", "fulfilment": "drone"}]})
    assert _error(bad, 400, "invalid", "groups.0.fulfilment")
    _nothing_written(rice)


def test_an_unseen_price_change_is_409_then_the_retry_goes_through(buyer, rice):
    price_set(rice, "610")
    key = uuid.uuid4().hex
    body = _error(buyer.checkout(COD, key=key), 409, "prices_changed")
    line = CartItem.objects.get(merchant_id=rice.merchant_id, variant_id=rice.variant_id)
    assert body["details"]["lines"] == [{"id": line.pk, "was": "590.00", "now": "610.00"}]
    _nothing_written(rice)

    retry = buyer.checkout(COD, key=key)  # the customer has now seen the new price
    assert retry.status_code == 201, retry.json()
    assert Decimal(retry.json()["total"]) == Decimal("1220") and retry.json()["parts"][0]["lines"][0]["unit_price"]


def test_a_price_change_seen_in_the_cart_does_not_stop_checkout(buyer, rice):
    price_set(rice, "570")
    cart = buyer.call("get", "/api/v1/cart").json()
    assert cart["prices_changed"] is True
    response = buyer.checkout(COD)
    assert response.status_code == 201 and Decimal(response.json()["total"]) == Decimal("1140")


def test_online_payment_waits_for_the_money(buyer, rice):
    response = buyer.checkout({**COD, "payment_method": "foree"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending_payment" and body["parts"][0]["status"] == "pending_payment"
    assert body["payment"]["method"] == "foree" and body["payment"]["expires_at"] is not None
    assert stock(rice) == (10, 2)  # held until paid or expired


def test_the_order_of_groups_does_not_change_the_request(new_buyer, rice, cake):
    buyer = new_buyer()
    assert buyer.add(rice.pk).status_code == 201 and buyer.add(cake.pk).status_code == 201
    groups = [{"group": f"gulberg-grocer:{rice.branch_id}"}, {"group": f"crust-and-crumb:{cake.branch_id}"}]
    key = uuid.uuid4().hex
    first = buyer.checkout({**COD, "groups": groups}, key=key)
    again = buyer.checkout({**COD, "groups": groups[::-1]}, key=key)
    assert first.status_code == again.status_code == 201, again.json()
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
