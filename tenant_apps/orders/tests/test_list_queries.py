"""The console's order and money lists cost the same queries with one row or many, in every branch of the scope:
the queue fragment (all branches) and an Employee's dashboard queue, the shares and settlements APIs, and the
payments page (the queue page and the orders API have their own checks in test_pages.py and test_console_api.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.payments.models import LedgerEntry
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tests.access_world import World, build_world, paid_cash_order_add, world_payments_add
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items

_numbers = itertools.count(1)
BRANCHES = ("B1a", "B1b", "B2a")


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _open_orders_added(world: World, count: int, *, branches: tuple[str, ...] = BRANCHES) -> None:
    """Pickup orders without lines in the queue's three groups, over the given branches in turn."""
    statuses = (OrderStatus.PLACED, OrderStatus.PREPARING, OrderStatus.READY_FOR_PICKUP)
    with schema_context(world.t.schema_name):
        for i in range(count):
            number = f"Q{next(_numbers)}"
            MerchantOrder.objects.create(
                number=number,
                customer_order_id=0,
                customer_order_number=number,
                branch_id=world.ids[branches[i % len(branches)]],
                status=statuses[i % len(statuses)],
                fulfilment="pickup",
                payment_method="cod",
                customer_name="Queue buyer",
                customer_phone="+923001234567",
                subtotal=Decimal("100.00"),
                total=Decimal("100.00"),
            )


def _paid_added(world: World, count: int, *, branches: tuple[str, ...] = BRANCHES, days_back: int = 0) -> None:
    """Paid cash orders over the given branches; with `days_back`, the i-th one's money moved i + 1 days earlier
    (a settlement day of its own)."""
    for i in range(count):
        order_id = paid_cash_order_add(world.t, world.ids, branches[i % len(branches)], f"P{next(_numbers)}")
        if days_back:
            moved = timezone.now() - timedelta(days=days_back + i)
            LedgerEntry.objects.filter(part__merchant=world.t, part__merchant_order_id=order_id).update(
                created_at=moved
            )


def test_the_queue_of_every_branch_costs_the_same_for_one_order_or_seven(world):
    _open_orders_added(world, 1)
    client = console_page_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: client.get("/orders/queue/"),
        rows=html_count("order-card "),
        add_rows=lambda: _open_orders_added(world, 6),
        few=1,
        many=7,
    )


def test_an_employees_dashboard_queue_costs_the_same_for_one_order_or_five(world):
    _open_orders_added(world, 1, branches=("B1a",))
    client = console_page_client(world.t, world.users["employee"])

    def grow() -> None:
        _open_orders_added(world, 4, branches=("B1a",))
        _open_orders_added(world, 2, branches=("B1b", "B2a"))  # other branches' orders

    assert_list_queries_flat(read=lambda: client.get("/"), rows=html_count("order-card "), add_rows=grow, few=1, many=5)


def test_the_shares_api_costs_the_same_for_three_paid_orders_or_seven(world):
    world_payments_add(world)
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/payments/shares"),
        rows=json_items,
        add_rows=lambda: _paid_added(world, 4),
        few=3,
        many=7,
    )


def test_the_settlements_api_costs_the_same_for_one_day_or_five(world):
    world_payments_add(world)
    api = console_api_client(world.t, world.users["shop_owner"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/payments/settlements"),
        rows=json_items,
        add_rows=lambda: _paid_added(world, 4, branches=("B1a", "B1b"), days_back=1),
        few=1,
        many=5,
    )


def test_the_payments_page_costs_the_same_with_more_paid_orders_and_days(world):
    world_payments_add(world)
    client = console_page_client(world.t, world.users["shop_owner"])

    def grow() -> None:
        _paid_added(world, 3, branches=("B1a", "B1b"))
        _paid_added(world, 2, branches=("B1b",), days_back=3)
        _paid_added(world, 2, branches=("B2a",))  # another store's

    # a settlement day and its net, plus each paid order's net: 1 + 2, then 3 days + 7 orders
    assert_list_queries_flat(
        read=lambda: client.get("/payments/"),
        rows=html_count('<td class="num"><strong>'),
        add_rows=grow,
        few=3,
        many=10,
    )
