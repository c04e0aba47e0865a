"""Checkout through the API: one cart with two shops → one customer order, a merchant order in each schema."""

from __future__ import annotations

from django_tenants.utils import schema_context

from marketplace.checkout.tests.conftest import listing
from marketplace.orders.models import CustomerOrder
from shared_apps.payments.models import PaymentIntent
from tenant_apps.inventory.models import StockLevel
from tenant_apps.orders.models import MerchantOrder


def test_two_shops_one_order(market, new_buyer):
    buyer = new_buyer()
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    assert buyer.add(rice.pk, 2).status_code == 201
    assert buyer.add(cake.pk).status_code == 201
    cart = buyer.call("get", "/api/v1/cart?lat=31.5102&lng=74.3443").json()
    assert [g["merchant"] for g in cart["groups"]] == ["gulberg-grocer", "crust-and-crumb"] or len(cart["groups"]) == 2
    response = buyer.checkout()
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["parts"]) == 2 and body["status"] == "placed"
    order = CustomerOrder.objects.get(pk=body["id"])
    assert PaymentIntent.objects.get(customer_order=order).amount == order.total
    grocer = market.shops["gulberg-grocer"]
    with schema_context(grocer.merchant.schema_name):
        assert MerchantOrder.objects.get().status == "placed"
        level = StockLevel.objects.get(branch_id=rice.branch_id, variant_id=rice.variant_id)
        assert (level.on_hand, level.reserved) == (10, 2)
    assert buyer.call("get", "/api/v1/cart").json()["groups"] == []
