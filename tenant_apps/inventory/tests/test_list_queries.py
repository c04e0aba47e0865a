"""A branch's stock and its movement log cost the same queries with one row or many, by the API and on the pages
(the stock API's own check is in test_stock_api.py)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.services import stock_receive
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items

_crates = itertools.count()


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _received(world: World, count: int, *, by: tuple[str, ...] = ("merchant",), branch: str = "B1a") -> None:
    """`count` new variants of S1's products, each received at the branch by one of `by` in turn."""
    with schema_context(world.t.schema_name):
        for i in range(count):
            n = next(_crates)
            product = Product.objects.create(store_id=world.ids["S1"], name=f"Crate {n}", slug=f"crate-{n}")
            variant = Variant.objects.create(product=product, sku=f"CRATE-{n}", price=Decimal("9.00"))
            actor = world.users[by[i % len(by)]]
            stock_receive(branch_id=world.ids[branch], variant_id=variant.pk, quantity=2 + i, actor_id=actor.pk)


def test_the_movements_api_costs_the_same_for_one_movement_or_six(world):
    _received(world, 1)
    api = console_api_client(world.t, world.users["branch_manager"])
    assert_list_queries_flat(
        read=lambda: api.get(f"/api/v1/console/branches/{world.ids['B1a']}/movements"),
        rows=json_items,
        add_rows=lambda: _received(world, 5, by=("merchant", "branch_manager", "employee")),
        few=1,
        many=6,
    )


def test_the_movements_page_costs_the_same_for_one_movement_or_six(world):
    _received(world, 1)
    client = console_page_client(world.t, world.users["branch_manager"])

    def grow() -> None:
        _received(world, 5, by=("merchant", "branch_manager", "employee"))
        _received(world, 2, branch="B1b")  # another branch's log

    assert_list_queries_flat(
        read=lambda: client.get(f"/branches/{world.ids['B1a']}/movements/"),
        rows=html_count("<td>Received</td>"),
        add_rows=grow,
        few=1,
        many=6,
    )


def test_the_stock_page_costs_the_same_for_one_variant_or_seven(world):
    client = console_page_client(world.t, world.users["employee"])

    def grow() -> None:
        _received(world, 4)
        _received(world, 2, branch="B1b")  # S1's variants, listed at B1a too (without a level there)

    assert_list_queries_flat(
        read=lambda: client.get(f"/branches/{world.ids['B1a']}/stock/"),
        rows=html_count('<select name="action"'),
        add_rows=grow,
        few=1,
        many=7,
    )


def test_a_searched_stock_page_costs_the_same_for_one_match_or_seven(world, host_cache_held):
    client = console_page_client(world.t, world.users["branch_manager"])
    _received(world, 1)

    assert_list_queries_flat(
        read=lambda: client.get(f"/branches/{world.ids['B1a']}/stock/", {"q": "crate"}),
        rows=html_count('<select name="action"'),
        add_rows=lambda: _received(world, 6),
        few=1,
        many=7,
    )


def test_the_product_pages_stock_costs_the_same_for_one_variant_or_five(world, host_cache_held):
    client = console_page_client(world.t, world.users["shop_owner"])

    def grow() -> None:
        with schema_context(world.t.schema_name):
            for i in range(4):
                variant = Variant.objects.create(product_id=world.ids["P1"], sku=f"P1-EXTRA-{i}", price=Decimal("5"))
                stock_receive(branch_id=world.ids["B1a"], variant_id=variant.pk, quantity=3, actor_id=None)

    assert_list_queries_flat(
        read=lambda: client.get(f"/products/{world.ids['P1']}/"),
        rows=lambda response: html_count('name="action_kind"')(response) // 2,  # two branches of S1
        add_rows=grow,
        few=1,
        many=5,
    )
