"""The marketplace's lists cost the same queries with a few rows or many: nearby stores and the category tree (API),
and the pages that list stores, products or categories (home, search, category, store, the sitemap). Rows are added
the way merchants add them: products and branches made in their schemas, then published to the index."""

from __future__ import annotations

import itertools
import re

import pytest
from django_tenants.utils import schema_context

from marketplace.discovery.search_text import search_terms_refresh
from marketplace.discovery.tests.market import ALL_DAY, Market, build_market
from marketplace.listings.sync import listings_publish
from shared_apps.categories.models import Category
from tenant_apps.catalog.models import ProductStatus
from tenant_apps.catalog.services import VariantSpec, product_create
from tenant_apps.inventory.services import stock_receive
from tenant_apps.stores.models import Branch
from tenant_apps.stores.services import branch_create, store_create
from tests.query_counts import assert_list_queries_flat, html_count

GULBERG = "lat=31.5204&lng=74.3587"
_made = itertools.count(1)


@pytest.fixture
def market(make_merchant) -> Market:
    return build_market(make_merchant)


@pytest.fixture
def client(host_client):
    return host_client("localhost")


def _published(market: Market, *shops: str) -> None:
    for slug in shops:
        listings_publish(schema=market.shops[slug].merchant.schema_name)
    search_terms_refresh()


def _products_added(market: Market, shop: str, count: int, *, category: str = "rice-flour", name: str = "Basmati"):
    """Products of one variant, stocked at every branch of the shop, then published."""
    made = market.shops[shop]
    with schema_context(made.merchant.schema_name):
        store_id = made.branches[0].store_id
        for _ in range(count):
            n = next(_made)
            product = product_create(
                store_id=store_id,
                name=f"{name} sack {n}",
                variants=[VariantSpec(sku=f"ADDED-{n}", name="1 kg", price=f"{300 + n}")],
                category_id=market.categories[category].pk,
                status=ProductStatus.ACTIVE,
            )
            for branch in made.branches:
                stock_receive(branch_id=branch.pk, variant_id=product.variants.get().pk, quantity=5, actor_id=None)
    _published(market, shop)


def _branches_added(market: Market, shop: str, count: int, *, new_store: bool = False) -> None:
    """Branches a few hundred metres apart in Gulberg, open all day, then published: of the shop's store, or each of
    a new store of the shop's merchant."""
    made = market.shops[shop]
    with schema_context(made.merchant.schema_name):
        store = Branch.objects.get(pk=made.branches[0].pk).store
        for i in range(count):
            if new_store:
                store = store_create(name=f"{made.merchant.name} corner {next(_made)}")
            branch_create(
                store=store,
                name=f"Gulberg kiosk {next(_made)}",
                address="Main Boulevard, Gulberg",
                area="Gulberg III",
                latitude=f"{31.5150 + i * 0.002:.6f}",
                longitude="74.3500",
                opening_hours=ALL_DAY,
                offers_delivery=True,
                delivery_radius_km="3",
            )
    _published(market, shop)


def _categories_added(market: Market, count: int) -> None:
    """New top categories, each with a product of the grocer's in it (a category with nothing near is not listed)."""
    for i in range(count):
        slug = f"aisle-{next(_made)}"
        market.categories[slug] = Category.objects.create(slug=slug, name=f"Aisle {slug}", position=100 + i)
        _products_added(market, "gulberg-grocer", 1, category=slug, name="Aisle")


def _nodes(response) -> int:
    assert response.status_code == 200, response.content[:300]

    def count(nodes: list[dict]) -> int:
        return sum(1 + count(node["children"]) for node in nodes)

    return count(response.json())


def test_nearby_stores_cost_the_same_for_three_branches_or_eight(market, client):
    assert_list_queries_flat(
        read=lambda: client.get(f"/api/v1/stores/nearby?{GULBERG}"),
        rows=lambda r: len(r.json()["results"]),
        add_rows=lambda: _branches_added(market, "gulberg-grocer", 5),
        few=3,
        many=8,
    )


def test_the_category_tree_costs_the_same_for_seven_categories_or_eleven(market, client):
    assert_list_queries_flat(
        read=lambda: client.get(f"/api/v1/categories?{GULBERG}"),
        rows=_nodes,
        add_rows=lambda: _categories_added(market, 4),
        few=7,
        many=11,
    )


def test_search_results_cost_the_same_for_two_products_or_seven(market, client):
    assert_list_queries_flat(
        read=lambda: client.get(f"/api/v1/search?q=basmati&{GULBERG}"),
        rows=lambda r: len(r.json()["results"]),
        add_rows=lambda: _products_added(market, "gulberg-grocer", 5),
        few=2,
        many=7,
    )


def test_the_home_page_costs_the_same_with_more_stores_products_and_categories(market, client):
    def rows(response) -> int:
        assert response.status_code == 200
        return len(re.findall(r'class="card (?:store-card|shop|cat|listing)"', response.content.decode()))

    def grow() -> None:
        _branches_added(market, "crust-and-crumb", 2, new_store=True)
        _products_added(market, "shifa-pharmacy", 3, category="medicines", name="Panadol")
        _categories_added(market, 2)

    assert_list_queries_flat(read=lambda: client.get("/"), rows=rows, add_rows=grow, few=14, many=18)


def test_the_search_page_costs_the_same_for_two_results_or_seven(market, client):
    assert_list_queries_flat(
        read=lambda: client.get(f"/search?q=basmati&{GULBERG}"),
        rows=html_count('class="card listing"'),
        add_rows=lambda: _products_added(market, "gulberg-grocer", 5),
        few=2,
        many=7,
    )


def test_a_category_page_costs_the_same_for_few_products_or_many(market, client):
    assert_list_queries_flat(
        read=lambda: client.get("/c/grocery/"),
        rows=html_count('class="card listing"'),
        add_rows=lambda: _products_added(market, "gulberg-grocer", 5),
        few=7,
        many=12,
    )


def test_a_store_page_costs_the_same_with_more_branches_and_products(market, client):
    def rows(response) -> int:
        assert response.status_code == 200
        return len(re.findall(r'class="card (?:branch-card|listing)"', response.content.decode()))

    def grow() -> None:
        _branches_added(market, "gulberg-grocer", 3)
        _products_added(market, "gulberg-grocer", 4)

    assert_list_queries_flat(
        read=lambda: client.get("/s/gulberg-grocer/gulberg-grocer/"), rows=rows, add_rows=grow, few=9, many=16
    )


@pytest.mark.parametrize(("section", "few", "many"), [("categories", 7, 9), ("stores", 3, 5), ("products", 8, 13)])
def test_each_sitemap_costs_the_same_for_few_urls_or_many(market, client, section, few, many):
    def grow() -> None:
        _categories_added(market, 2)
        _products_added(market, "crust-and-crumb", 3, category="cakes", name="Cake")
        _branches_added(market, "shifa-pharmacy", 2, new_store=True)

    assert_list_queries_flat(
        read=lambda: client.get(f"/sitemap-{section}.xml"), rows=html_count("<url>"), add_rows=grow, few=few, many=many
    )


def test_a_product_page_costs_the_same_for_two_branches_offering_it_or_five(market, client):
    shop, rice = market.product("gulberg-grocer", "Guard Basmati Rice")

    def grow() -> None:
        _branches_added(market, "gulberg-grocer", 3)  # every branch of the store lists the store's products

    assert_list_queries_flat(
        read=lambda: client.get(f"/p/{shop}/{rice}/"),
        rows=html_count('<li class="card offer-card">'),
        add_rows=grow,
        few=2,
        many=5,
    )
