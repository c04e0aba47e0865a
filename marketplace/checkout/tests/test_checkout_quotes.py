"""Partner delivery is charged at the courier's quote: asked for through the API (a worker calls the Uber Direct
sandbox over HTTP), read back, and required by the checkout — exactly its fee, refused once expired, never one the
customer was not shown."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django_tenants.utils import schema_context

from marketplace.cart.models import CartItem
from marketplace.checkout.tests.conftest import LIBERTY
from marketplace.checkout.tests.quoting import partner_offered, quote_age
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from tenant_apps.orders.models import MerchantOrder

PIN = {"lat": LIBERTY[0] + 0.01, "lng": LIBERTY[1] + 0.01, "address": "12 Main Boulevard, Gulberg"}


def body(group: str, quote: str, **more) -> dict:
    return {
        "payment_method": "cod",
        "contact_phone": "03001234567",
        **PIN,
        "groups": [{"group": group, "fulfilment": "partner", "quote": quote}],
        **more,
    }


def quoted(buyer, group: str, worker) -> dict:
    asked = buyer.call("post", "/api/v1/checkout/quotes", {"group": group, **PIN})
    assert asked.status_code == 202, asked.content
    key = asked.json()["key"]
    pending = buyer.call("get", f"/api/v1/checkout/quotes/{key}")
    assert pending.status_code == 202 and pending.json()["status"] == "pending" and pending.json()["fee"] is None
    assert worker() == 1
    ready = buyer.call("get", f"/api/v1/checkout/quotes/{key}")
    assert ready.status_code == 200, ready.content
    return ready.json()


def test_a_quoted_partner_delivery_charges_exactly_the_quotes_fee_and_replays(new_buyer, rice, uber, courier_worker):
    buyer = new_buyer()
    buyer.add(rice.pk)
    group = partner_offered(rice)
    quote = quoted(buyer, group, courier_worker)
    assert quote["status"] == "ready" and Decimal(quote["fee"]) > 0 and quote["expires_at"]
    key = uuid.uuid4().hex
    placed = buyer.checkout(body(group, quote["key"]), key=key)
    assert placed.status_code == 201, placed.content
    order = CustomerOrder.objects.get(number=placed.json()["number"])
    assert order.delivery_total == Decimal(quote["fee"]) and order.total == Decimal("590") + Decimal(quote["fee"])
    part = CustomerOrderPart.objects.get(order=order)
    assert part.delivery_fee == part.courier_fee == Decimal(quote["fee"]) and part.courier_quote_id.startswith("dqt_")
    assert part.courier_quote_expires_at is not None and part.fulfilment == "partner"
    with schema_context(rice.merchant.schema_name):
        merchant = MerchantOrder.objects.get(customer_order_id=order.pk)
    assert (merchant.courier_quote_id, merchant.courier_fee) == (part.courier_quote_id, part.courier_fee)
    assert merchant.delivery_fee == Decimal(quote["fee"])
    again = buyer.checkout(body(group, quote["key"]), key=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == order.number and CustomerOrder.objects.count() == 1


def test_an_expired_quote_is_refused_and_a_new_one_is_charged(new_buyer, rice, uber, courier_worker):
    buyer = new_buyer()
    buyer.add(rice.pk)
    group = partner_offered(rice)
    first = quoted(buyer, group, courier_worker)
    quote_age(first["key"])
    refused = buyer.checkout(body(group, first["key"]))
    assert refused.status_code == 409, refused.content
    error = refused.json()
    assert error["code"] == "quote_expired" and error["field"] == "groups"
    assert error["details"] == {"group": group, "fee": first["fee"]}
    assert CustomerOrder.objects.count() == 0 and CartItem.objects.count() == 1  # nothing changed
    expired = buyer.call("get", f"/api/v1/checkout/quotes/{first['key']}")
    assert expired.status_code == 200 and expired.json()["status"] == "expired"
    second = quoted(buyer, group, courier_worker)
    assert second["key"] != first["key"]
    placed = buyer.checkout(body(group, second["key"]))
    assert placed.status_code == 201, placed.content
    assert CustomerOrder.objects.get().delivery_total == Decimal(second["fee"])


def test_an_undeliverable_address_is_told_and_cannot_be_checked_out(new_buyer, rice, uber, courier_worker):
    uber.configure(max_km=0.1)
    buyer = new_buyer()
    buyer.add(rice.pk)
    group = partner_offered(rice)
    key = buyer.call("post", "/api/v1/checkout/quotes", {"group": group, **PIN}).json()["key"]
    courier_worker()
    told = buyer.call("get", f"/api/v1/checkout/quotes/{key}")
    assert told.status_code == 422 and told.json()["code"] == "courier_undeliverable"
    refused = buyer.checkout(body(group, key))
    assert refused.status_code == 400 and refused.json()["code"] == "fulfilment_unavailable"
    assert CustomerOrder.objects.count() == 0


def test_bad_quote_input_is_a_4xx_envelope_and_changes_nothing(new_buyer, rice, cake, uber, courier_worker):
    buyer, other = new_buyer(), new_buyer()
    buyer.add(rice.pk)
    other.add(rice.pk)
    group = partner_offered(rice)
    for payload, code in (
        ({"group": group}, "address_required"),  # no pin
        ({"group": "nowhere:1", **PIN}, "group_unknown"),
        ({"group": f"{cake.merchant.slug}:{cake.branch_id}", **PIN}, "group_unknown"),  # not in this cart
        ({"group": group, "lat": 200, "lng": 0}, None),  # schema: 4xx envelope
    ):
        answer = buyer.call("post", "/api/v1/checkout/quotes", payload)
        assert 400 <= answer.status_code < 500, (payload, answer.content)
        assert set(answer.json()) >= {"code", "message", "field"}
        if code:
            assert answer.json()["code"] == code
    for key in ("not-a-key", uuid.uuid4().hex):
        answer = buyer.call("get", f"/api/v1/checkout/quotes/{key}")
        assert answer.status_code == 404 and answer.json()["code"] == "quote_not_found"
    assert courier_worker() == 0  # nothing was asked of the courier
    missing = buyer.checkout(body(group, ""))
    assert missing.status_code == 400 and missing.json()["code"] == "quote_required"
    theirs = other.call("post", "/api/v1/checkout/quotes", {"group": group, **PIN}).json()["key"]
    assert buyer.call("get", f"/api/v1/checkout/quotes/{theirs}").status_code == 404
    assert buyer.checkout(body(group, theirs)).json()["code"] == "quote_unknown"
    mine = buyer.call("post", "/api/v1/checkout/quotes", {"group": group, **PIN}).json()["key"]
    pending = buyer.checkout(body(group, mine))
    assert pending.status_code == 409 and pending.json()["code"] == "quote_pending"
    courier_worker()
    moved = buyer.checkout(body(group, mine, lat=PIN["lat"] + 0.02))  # another address than the one quoted
    assert moved.status_code == 400 and moved.json()["code"] == "quote_unknown"
    assert CustomerOrder.objects.count() == 0 and CartItem.objects.count() == 2


def test_the_quote_endpoints_are_in_the_openapi(db, client):
    paths = client.get("/api/v1/openapi.json", HTTP_HOST="localhost").json()["paths"]
    asked, read = paths["/api/v1/checkout/quotes"]["post"], paths["/api/v1/checkout/quotes/{key}"]["get"]
    assert "202" in asked["responses"] and {"200", "202"} <= set(read["responses"])
    group = client.get("/api/v1/openapi.json", HTTP_HOST="localhost").json()["components"]["schemas"]["GroupChoiceIn"]
    assert "quote" in group["properties"]
