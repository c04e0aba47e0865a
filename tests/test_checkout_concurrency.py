"""Checkout under real concurrency (PostgreSQL, one connection per thread, committed transactions): a flash sale
never oversells, parallel twins with one Idempotency-Key make one order, and a two-merchant checkout is all or
nothing — a failure in the second merchant's part leaves nothing behind in the first merchant's schema."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client
from django_tenants.utils import schema_context

from marketplace.cart.models import CartItem
from marketplace.cart.shoppers import Shopper
from marketplace.checkout import services as checkout_services
from marketplace.checkout.services import CheckoutRequest, checkout_place
from marketplace.checkout.tests.conftest import Buyer, listing
from marketplace.discovery.tests.market import Market, build_market
from marketplace.listings.models import Listing
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from shared_apps.accounts.models import Guest
from shared_apps.payments.models import PaymentIntent
from shared_apps.payments.testing import payments_delete_all
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.inventory.services import stock_adjust
from tenant_apps.orders.models import MerchantOrder, MerchantOrderLine

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 25  # PostgreSQL connections at once (one per thread); the box's max_connections is shared with others
COD = {"payment_method": "cod", "contact_phone": "03001234567"}


@pytest.fixture
def market(make_merchant) -> Market:
    yield build_market(make_merchant)
    # orders and parts hold their merchants (PROTECT): clear them before the schemas and merchants are dropped
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def _buyer() -> Buyer:
    client = Client(HTTP_HOST="localhost")
    return Buyer(client, client.post("/api/v1/auth/guest").json()["access"])


@dataclass
class Answer:
    status: int
    body: dict
    replayed: bool


def _race(calls: list[Callable[[], object]], threads: int = THREADS) -> list[Answer]:
    """Run `calls` on `threads` threads released together by a barrier (thread i takes calls i, i+threads, ...);
    every thread uses, and closes, its own database connection."""
    answers: list[Answer | None] = [None] * len(calls)
    errors: list[BaseException] = []
    threads = min(threads, len(calls))
    barrier = threading.Barrier(threads)

    def run(first: int) -> None:
        try:
            barrier.wait()
            for i in range(first, len(calls), threads):
                response = calls[i]()
                answers[i] = Answer(
                    response.status_code, response.json(), response.headers.get("Idempotent-Replayed") == "true"
                )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return answers  # type: ignore[return-value]


def _ledger(branch_id: int, variant_id: int) -> tuple[int, int, int]:
    """(on_hand, reserved, available) of the level, asserting the ledger sums to it."""
    level = StockLevel.objects.get(branch_id=branch_id, variant_id=variant_id)
    sums = StockMovement.objects.filter(branch_id=branch_id, variant_id=variant_id).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    assert (level.on_hand, level.reserved) == (sums["on_hand"] or 0, sums["reserved"] or 0)
    return level.on_hand, level.reserved, level.available


class _LowestAvailable(threading.Thread):
    """Samples a stock level's `available` from its own connection while a race runs."""

    def __init__(self, schema: str, line: Listing) -> None:
        super().__init__()
        self.schema, self.line, self.lowest, self.samples = schema, line, None, 0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            with schema_context(self.schema):
                while not self.done.is_set():
                    value = StockLevel.objects.filter(
                        branch_id=self.line.branch_id, variant_id=self.line.variant_id
                    ).values_list("available", flat=True)[0]
                    self.lowest = value if self.lowest is None else min(self.lowest, value)
                    self.samples += 1
                    self.done.wait(0.002)
        finally:
            connections.close_all()


def test_fifty_buyers_race_for_ten_units(market):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    schema = market.shops["gulberg-grocer"].merchant.schema_name
    buyers = [_buyer() for _ in range(50)]
    for buyer in buyers:
        assert buyer.add(rice.pk).status_code == 201
    with schema_context(schema):
        assert _ledger(rice.branch_id, rice.variant_id) == (10, 0, 10)

    watcher = _LowestAvailable(schema, rice)
    watcher.start()
    try:
        answers = _race([buyer.checkout for buyer in buyers])
    finally:
        watcher.done.set()
        watcher.join()

    won = [a for a in answers if a.status == 201]
    lost = [a for a in answers if a.status != 201]
    assert len(won) == 10, [(a.status, a.body.get("code")) for a in answers]
    assert {(a.status, a.body["code"]) for a in lost} == {(409, "out_of_stock")} and len(lost) == 40
    assert all(a.body["details"]["lines"] and a.body["details"]["lines"][0]["problem"] == "out_of_stock" for a in lost)
    assert len({a.body["id"] for a in won}) == 10
    assert watcher.samples > 0 and watcher.lowest >= 0
    with schema_context(schema):
        assert _ledger(rice.branch_id, rice.variant_id) == (10, 10, 0)
        assert StockMovement.objects.filter(reason=MovementReason.RESERVATION).count() == 10
        assert MerchantOrder.objects.count() == 10
        assert sorted(MerchantOrder.objects.values_list("customer_order_id", flat=True)) == sorted(
            a.body["id"] for a in won
        )
    assert CustomerOrder.objects.count() == 10 == PaymentIntent.objects.count() == CustomerOrderPart.objects.count()
    # the winners' carts are empty; each loser's cart still holds its line, and nothing of theirs was written
    assert CartItem.objects.count() == 40


def test_one_key_sent_ten_times_in_parallel_makes_one_order(market):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    schema = market.shops["gulberg-grocer"].merchant.schema_name
    buyer = _buyer()
    assert buyer.add(rice.pk, 2).status_code == 201
    key = uuid.uuid4().hex
    twins = [Buyer(Client(HTTP_HOST="localhost"), buyer.token) for _ in range(10)]  # one client per thread

    answers = _race([lambda twin=twin: twin.checkout(COD, key=key) for twin in twins], threads=10)

    assert [a.status for a in answers] == [201] * 10, [a.body for a in answers]
    assert len({a.body["id"] for a in answers}) == 1
    assert sorted(a.replayed for a in answers) == [False] + [True] * 9
    assert CustomerOrder.objects.count() == 1 == PaymentIntent.objects.count()
    with schema_context(schema):
        assert MerchantOrder.objects.count() == 1
        assert StockMovement.objects.filter(reason=MovementReason.RESERVATION).count() == 1
        assert _ledger(rice.branch_id, rice.variant_id) == (10, 2, 8)

    # once more, sequentially: replayed; the same key with another body: 409; no key: 400
    again = buyer.checkout(COD, key=key)
    assert again.status_code == 201 and again.json()["id"] == answers[0].body["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = buyer.checkout({**COD, "note": "ring twice"}, key=key)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    missing = buyer.call("post", "/api/v1/checkout", COD)
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency_key_missing")
    assert CustomerOrder.objects.count() == 1
    with schema_context(schema):
        assert _ledger(rice.branch_id, rice.variant_id) == (10, 2, 8)


def _two_shop_cart(buyer: Buyer) -> tuple[Listing, Listing]:
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    assert buyer.add(rice.pk, 2).status_code == 201
    assert buyer.add(cake.pk, 1).status_code == 201
    return rice, cake


def _schema_state(schema: str, line: Listing) -> tuple:
    with schema_context(schema):
        return (
            MerchantOrder.objects.count(),
            MerchantOrderLine.objects.count(),
            StockMovement.objects.count(),
            _ledger(line.branch_id, line.variant_id),
        )


def test_two_merchants_one_order_two_schemas(market):
    buyer = _buyer()
    rice, cake = _two_shop_cart(buyer)
    response = buyer.checkout(COD)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [p["merchant"] for p in body["parts"]] == ["gulberg-grocer", "crust-and-crumb"]
    assert buyer.call("get", f"/api/v1/orders/{body['id']}").json() == body  # answered without re-reading
    order = CustomerOrder.objects.get()
    assert order.pk == body["id"] and PaymentIntent.objects.get().customer_order_id == order.pk
    for shop, line, quantity in (("gulberg-grocer", rice, 2), ("crust-and-crumb", cake, 1)):
        with schema_context(market.shops[shop].merchant.schema_name):
            merchant_order = MerchantOrder.objects.get()
            assert merchant_order.customer_order_id == order.pk and merchant_order.status == "placed"
            assert list(merchant_order.lines.values_list("variant_id", "quantity")) == [(line.variant_id, quantity)]
            assert _ledger(line.branch_id, line.variant_id) == (10, quantity, 10 - quantity)
            movement = StockMovement.objects.get(reason=MovementReason.RESERVATION)
            assert movement.reference == merchant_order.number
    assert not CartItem.objects.exists()


def test_a_failure_in_the_second_merchant_leaves_nothing_in_the_first(market):
    buyer = _buyer()
    rice, cake = _two_shop_cart(buyer)
    grocer = market.shops["gulberg-grocer"].merchant.schema_name
    bakery = market.shops["crust-and-crumb"].merchant.schema_name
    guest = Guest.objects.get()
    cart_before = sorted(CartItem.objects.values_list("id", "variant_id", "quantity", "unit_price"))
    grocer_before = _schema_state(grocer, rice)
    real_create = checkout_services.merchant_order_create

    def cake_sold_meanwhile(**kwargs):
        """Between pricing and reservation, another shopper's committed checkout takes the last cakes."""
        if connection.schema_name == bakery:

            def take_all() -> None:
                try:
                    with schema_context(bakery):
                        stock_adjust(branch_id=cake.branch_id, variant_id=cake.variant_id, delta=-10, actor_id=None)
                finally:
                    connections.close_all()

            thief = threading.Thread(target=take_all)
            thief.start()
            thief.join()
        return real_create(**kwargs)

    with mock.patch.object(checkout_services, "merchant_order_create", cake_sold_meanwhile):
        response = buyer.checkout(COD)
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "out_of_stock"
    cake_item = CartItem.objects.get(merchant__slug="crust-and-crumb")
    assert [line["id"] for line in response.json()["details"]["lines"]] == [cake_item.pk]

    def crash_in_second(**kwargs):
        if connection.schema_name == bakery:
            raise RuntimeError("the bakery's part failed")
        return real_create(**kwargs)

    with schema_context(bakery):
        stock_adjust(branch_id=cake.branch_id, variant_id=cake.variant_id, delta=10, actor_id=None)  # restocked
    shopper = Shopper(guest_id=guest.pk)
    with mock.patch.object(checkout_services, "merchant_order_create", crash_in_second), pytest.raises(RuntimeError):
        checkout_place(shopper=shopper, idempotency_key="crash-1", request=CheckoutRequest(**COD))

    # nothing behind in the first merchant's schema, the second's or the public one; the cart is as it was
    assert grocer_before[:2] == (0, 0) and grocer_before[3] == (10, 0, 10)
    assert _schema_state(grocer, rice) == grocer_before
    with schema_context(bakery):
        assert MerchantOrder.objects.count() == 0
        assert not StockMovement.objects.filter(reason=MovementReason.RESERVATION).exists()
        assert _ledger(cake.branch_id, cake.variant_id) == (10, 0, 10)
    assert not CustomerOrder.objects.exists() and not CustomerOrderPart.objects.exists()
    assert not PaymentIntent.objects.exists()
    assert sorted(CartItem.objects.values_list("id", "variant_id", "quantity", "unit_price")) == cart_before

    # and with both shops working again the same cart goes through
    assert buyer.checkout(COD).status_code == 201
    assert _schema_state(grocer, rice)[:2] == (1, 1)
