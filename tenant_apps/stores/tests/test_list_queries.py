"""Every list of stores and branches in the console, by the API and on the pages (dashboards, a branch's staff), costs
the same queries with one row or many: adding stores, branches, staff or low stock adds no query."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from shared_apps.accounts.services import user_get_or_create_by_phone
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.models import StockLevel
from tenant_apps.staff.models import Membership, Role
from tenant_apps.stores.models import Branch, Store
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _branch(store_id: int, name: str) -> Branch:
    return Branch.objects.create(
        store_id=store_id, name=name, address=f"{name} road", latitude=Decimal("31.5"), longitude=Decimal("74.3")
    )


def _stores_added(world: World, count: int, branches_each: int = 2) -> None:
    with schema_context(world.t.schema_name):
        for i in range(count):
            store = Store.objects.create(name=f"Extra store {i}", slug=f"extra-store-{i}")
            for j in range(branches_each):
                _branch(store.pk, f"Extra {i}-{j}")


def _branches_added(world: World, per_store: dict[str, int]) -> None:
    with schema_context(world.t.schema_name):
        for store, count in per_store.items():
            for i in range(count):
                _branch(world.ids[store], f"More {store}-{i}")


def _team_added(world: World, branch: str, count: int, phone_base: int) -> None:
    with schema_context(world.t.schema_name):
        for i in range(count):
            user = user_get_or_create_by_phone(phone=f"+923008{phone_base + i:06d}")
            Membership.objects.create(
                user=user, role=Role.EMPLOYEE, branch_id=world.ids[branch], duties=["update_stock"]
            )


def _low_stock_added(world: World, count: int) -> None:
    """Low stock spread over every branch, of products of both stores."""
    with schema_context(world.t.schema_name):
        for i in range(count):
            branch = Branch.objects.get(pk=world.ids[("B1a", "B1b", "B2a")[i % 3]])
            product = Product.objects.create(
                store_id=branch.store_id, name=f"Low {i}", slug=f"low-{i}", status="active"
            )
            variant = Variant.objects.create(product=product, sku=f"LOW-{i}", price=Decimal("10.00"))
            StockLevel.objects.create(branch=branch, variant=variant, on_hand=1)


def test_the_stores_api_costs_the_same_for_two_stores_or_five(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/stores"),
        rows=json_items,
        add_rows=lambda: _stores_added(world, 3),
        few=2,
        many=5,
    )


def test_the_branches_api_costs_the_same_for_three_branches_or_eight(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/branches"),
        rows=json_items,
        add_rows=lambda: _branches_added(world, {"S1": 3, "S2": 2}),
        few=3,
        many=8,
    )


def test_a_shop_owners_branches_cost_the_same_however_many_its_store_has(world):
    api = console_api_client(world.t, world.users["shop_owner"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/branches"),
        rows=json_items,
        add_rows=lambda: _branches_added(world, {"S1": 4, "S2": 3}),  # S2's are outside the scope
        few=2,
        many=6,
    )


def test_the_merchants_dashboard_costs_the_same_with_more_stores_branches_and_low_stock(world):
    client = console_page_client(world.t, world.users["merchant"])

    def rows(response) -> int:
        html = response.content.decode()
        return html.count('<tr><td><a href="/branches/') + html.count("left</span></li>")

    def grow() -> None:
        _stores_added(world, 2)
        _low_stock_added(world, 6)

    assert_list_queries_flat(read=lambda: client.get("/"), rows=rows, add_rows=grow, few=3, many=13)


def test_the_shop_owners_dashboard_costs_the_same_with_more_branches_and_low_stock(world):
    client = console_page_client(world.t, world.users["shop_owner"])

    def rows(response) -> int:
        html = response.content.decode()
        return html.count('<tr><td><a href="/branches/') + html.count("left</span></li>")

    def grow() -> None:
        _branches_added(world, {"S1": 3, "S2": 2})
        _low_stock_added(world, 6)  # 4 in S1's branches

    assert_list_queries_flat(read=lambda: client.get("/"), rows=rows, add_rows=grow, few=2, many=9)


def test_the_branch_managers_dashboard_costs_the_same_for_a_team_of_one_or_six(world):
    client = console_page_client(world.t, world.users["branch_manager"])
    assert_list_queries_flat(
        read=lambda: client.get("/"),
        rows=html_count(
            '<span class="tag" title="Receive deliveries and count shelves">Update stock</span>'
        ),  # the employee's duties, then the new ones'
        add_rows=lambda: _team_added(world, "B1a", 5, phone_base=100),
        few=1,
        many=6,
    )


def test_a_branch_page_costs_the_same_for_one_staff_member_or_six(world):
    client = console_page_client(world.t, world.users["merchant"])
    path = f"/branches/{world.ids['B1a']}/"
    assert_list_queries_flat(
        read=lambda: client.get(path),
        rows=html_count("<td>Employee</td>"),
        add_rows=lambda: _team_added(world, "B1a", 5, phone_base=200),
        few=1,
        many=6,
    )


def test_the_stores_page_costs_the_same_for_two_stores_or_five(world):
    client = console_page_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: client.get("/stores/"),
        rows=html_count('class="card store-row"'),
        add_rows=lambda: _stores_added(world, 3),
        few=2,
        many=5,
    )
