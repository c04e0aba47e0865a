"""A customer cancelling while a shop accepts one part of the same order, on two real connections: one of them wins
and the other waits — never a deadlock. Both take the merchant orders' locks before the customer order's
(marketplace/orders/services.py, merchant_orders_lock)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connections

from marketplace.cart.services import cart_item_add
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.services import CheckoutRequest, checkout_place
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery.tests.market import SHOPS, build_market
from marketplace.orders import receivers
from marketplace.orders.models import CustomerOrder
from marketplace.orders.services import CustomerOrderError, customer_order_cancel
from marketplace.orders.tests.conftest import staff_move, stock
from shared_apps.accounts.services import guest_create
from shared_apps.payments.testing import payments_delete_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_shops(make_merchant):
    yield build_market(make_merchant, shops=(SHOPS[0], SHOPS[2]))
    # orders and parts hold their merchants (PROTECT): clear them before the schemas and merchants are dropped
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def test_cancel_while_a_shop_accepts_waits_instead_of_deadlocking(two_shops, monkeypatch):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    shopper = Shopper(guest_id=guest_create().pk)
    cart_item_add(shopper=shopper, listing_id=rice.pk, quantity=2)
    cart_item_add(shopper=shopper, listing_id=cake.pk, quantity=1)
    order = checkout_place(
        shopper=shopper,
        idempotency_key=uuid.uuid4().hex,
        request=CheckoutRequest(payment_method="cod", contact_phone="03001234567"),
    ).order
    grocer, bakery = order.parts.order_by("merchant_id")

    # The shop accepting the second part holds its merchant order and pauses before it mirrors the move into the
    # customer order, until the customer's cancel is under way (it then waits on that merchant order).
    accepting, cancel_started = threading.Event(), threading.Event()
    real_mirror = receivers.part_mirror

    def paused_mirror(**kwargs):
        if threading.current_thread().name == "shop":
            accepting.set()
            cancel_started.wait(5)
            threading.Event().wait(0.5)  # the cancel runs into the locks meanwhile
        return real_mirror(**kwargs)

    monkeypatch.setattr(receivers, "part_mirror", paused_mirror)
    outcome: dict[str, object] = {}

    def run(name: str, work) -> None:
        try:
            outcome[name] = work()
        except BaseException as exc:  # asserted by the main thread
            outcome[name] = exc
        finally:
            connections.close_all()

    def cancel():
        cancel_started.set()
        return customer_order_cancel(order=order, user_id=None)

    shop = threading.Thread(target=run, args=("shop", lambda: staff_move(bakery.number, "accepted")), name="shop")
    shop.start()
    assert accepting.wait(10)
    customer = threading.Thread(target=run, args=("customer", cancel), name="customer")
    customer.start()
    shop.join(20)
    customer.join(20)

    assert getattr(outcome["shop"], "status", outcome["shop"]) == "accepted"
    assert isinstance(outcome["customer"], CustomerOrderError), outcome["customer"]
    assert outcome["customer"].code == "order_cannot_cancel"
    assert [p.status for p in order.parts.order_by("merchant_id")] == ["placed", "accepted"]
    assert stock(rice) == (10, 2) and stock(cake) == (10, 1)
    assert grocer.status == "placed"
