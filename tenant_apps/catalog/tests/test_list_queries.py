"""The console's catalog lists cost the same queries with one product or many: the products API (variants and media
included), the products page, the CSV exports (streamed), and the import page's export links per branch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, ProductMedia, Variant
from tenant_apps.inventory.models import StockLevel
from tenant_apps.stores.models import Branch
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _products_added(world: World, count: int, *, stores: tuple[str, ...] = ("S1", "S2")) -> None:
    """Products with two variants and an image each, spread over the given stores, stocked at B1a when in S1."""
    with schema_context(world.t.schema_name):
        for i in range(count):
            store_id = world.ids[stores[i % len(stores)]]
            product = Product.objects.create(store_id=store_id, name=f"Extra {i}", slug=f"extra-{i}", status="active")
            for j in range(2):
                variant = Variant.objects.create(product=product, sku=f"EX-{i}-{j}", price=Decimal("50.00") + j)
                if store_id == world.ids["S1"]:
                    StockLevel.objects.create(branch_id=world.ids["B1a"], variant=variant, on_hand=3)
            ProductMedia.objects.create(product=product, public_id=f"matrix/extra-{i}")


def _csv(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content).decode("utf-8-sig")  # the streamed rows are read here


def _csv_rows(text: str) -> int:
    return len(text.strip().splitlines()) - 1  # the header is not a row


def test_the_products_api_costs_the_same_for_two_products_or_eight(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/products"),
        rows=json_items,
        add_rows=lambda: _products_added(world, 6),
        few=2,
        many=8,
    )


def test_a_shop_owners_products_cost_the_same_for_one_product_or_five(world):
    api = console_api_client(world.t, world.users["shop_owner"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/products"),
        rows=json_items,
        add_rows=lambda: _products_added(world, 8),  # four in S1, four in S2 (outside its store)
        few=1,
        many=5,
    )


def test_the_products_page_costs_the_same_for_two_products_or_eight(world):
    client = console_page_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: client.get("/products/"),
        rows=html_count('<tr><td><a href="/products/'),
        add_rows=lambda: _products_added(world, 6),
        few=2,
        many=8,
    )


def test_the_products_export_costs_the_same_for_two_variants_or_fourteen(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: _csv(api, "/api/v1/console/exports/products.csv"),
        rows=_csv_rows,
        add_rows=lambda: _products_added(world, 6),
        few=2,
        many=14,
    )


def test_a_branchs_stock_export_costs_the_same_for_one_variant_or_nine(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: _csv(api, f"/api/v1/console/exports/stock.csv?branch_id={world.ids['B1a']}"),
        rows=_csv_rows,
        add_rows=lambda: _products_added(world, 4, stores=("S1",)),
        few=1,
        many=9,
    )


def test_the_stock_export_of_every_branch_costs_the_same_with_more_variants(world):
    """Each branch's rows are read in their own statements (the export streams branch by branch), so it is the
    variants of a fixed set of branches that must not add queries."""
    api = console_api_client(world.t, world.users["merchant"])
    # B1a and B1b sell S1's variants, B2a S2's: one row each, then 1 + 6 per S1 branch and 1 + 6 at B2a
    assert_list_queries_flat(
        read=lambda: _csv(api, "/api/v1/console/exports/stock.csv"),
        rows=_csv_rows,
        add_rows=lambda: _products_added(world, 6),
        few=3,
        many=21,
    )


def test_the_import_page_costs_the_same_for_three_branches_or_seven(world):
    client = console_page_client(world.t, world.users["merchant"])

    def grow() -> None:
        with schema_context(world.t.schema_name):
            for i in range(4):
                store = world.ids[("S1", "S2")[i % 2]]
                Branch.objects.create(
                    store_id=store, name=f"More {i}", address="x", latitude=Decimal("31.5"), longitude=Decimal("74.3")
                )

    assert_list_queries_flat(
        read=lambda: client.get("/imports/"),
        rows=html_count("/api/v1/console/exports/stock.csv?branch_id="),
        add_rows=grow,
        few=3,
        many=7,
    )
