"""Search and nearby stores follow what merchants do, through the real outbox publisher."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from marketplace.discovery.selectors import product_detail
from marketplace.listings import sync
from marketplace.listings.models import BranchListing
from shared_apps.categories.models import Category
from tenant_apps.catalog.models import ProductStatus
from tenant_apps.catalog.services import branch_price_set, product_update
from tenant_apps.inventory.services import stock_receive, stock_reserve, stock_sell
from tenant_apps.stores.services import branch_update, store_update
from tests.shop_factory import LAHORE, build_shop

GULBERG = tuple(float(x) for x in LAHORE["gulberg"])


@pytest.fixture
def shop(make_merchant):
    shop = build_shop(make_merchant, slug="corner-shop", products=2, variants=1)
    sync.listings_publish(schema=shop.schema)
    return shop


@pytest.fixture
def api(host_client):
    client = host_client("localhost")

    def get(path, **params):
        response = client.get(path, params)
        assert response.status_code == 200, response.json()
        return response.json()

    return get


def publish(shop):
    sync.listings_publish(schema=shop.schema)


def test_archived_product_disappears_after_sync(shop, api):
    assert api("/api/v1/search", q="basmati")["total"] == 4  # 2 products x 2 branches
    with schema_context(shop.schema):
        product_update(product=shop.products[0], status=ProductStatus.ARCHIVED)
    publish(shop)
    results = api("/api/v1/search", q="basmati")["results"]
    assert {r["product_id"] for r in results} == {shop.products[1].pk}


def test_in_stock_follows_the_ledger_and_branch_discount_is_an_offer(shop, api):
    branch = shop.branches[0]
    with schema_context(shop.schema):
        variant = shop.products[0].variants.get()
        stock_receive(branch_id=branch.pk, variant_id=variant.pk, quantity=4, actor_id=None)
        branch_price_set(branch_id=branch.pk, variant_id=variant.pk, price="90.00")
    publish(shop)
    [hit] = api("/api/v1/search", q="basmati", in_stock="true")["results"]
    assert (hit["branch"]["id"], hit["available"], hit["price"], hit["regular_price"], hit["has_offer"]) == (
        branch.pk,
        4,
        "90.00",
        "100.00",
        True,
    )
    assert api("/api/v1/search", has_offer="true")["total"] == 1


def test_branch_index_follows_branch_and_store_changes(shop, api):
    rows = BranchListing.objects.filter(merchant=shop.merchant)
    assert rows.count() == 2 and {r.store_slug for r in rows} == {shop.store.slug}
    hours = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with schema_context(shop.schema):
        branch_update(branch=shop.branches[0], opening_hours=hours, delivery_radius_km="9")
        branch_update(branch=shop.branches[1], is_active=False)
    publish(shop)
    [row] = BranchListing.objects.filter(merchant=shop.merchant)
    assert (row.branch_id, row.delivery_radius_km, row.opening_hours["mon"]) == (
        shop.branches[0].pk,
        Decimal("9.00"),
        [["00:00", "23:59"]],
    )
    with schema_context(shop.schema):
        store_update(store=shop.store, is_active=False)
    publish(shop)
    assert not BranchListing.objects.filter(merchant=shop.merchant).exists()
    assert api("/api/v1/search", q="basmati")["total"] == 0


def test_nearby_stores_nearest_first_with_open_now_and_delivery_coverage(shop, api):
    always = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with schema_context(shop.schema):
        branch_update(branch=shop.branches[0], opening_hours=always)  # Gulberg: open, delivers 4 km
        branch_update(branch=shop.branches[1], opening_hours={})  # DHA (~7 km away): closed
    publish(shop)
    near = {"lat": GULBERG[0], "lng": GULBERG[1], "radius_km": 10}
    results = api("/api/v1/stores/nearby", **near)["results"]
    assert [r["branch_id"] for r in results] == [shop.branches[0].pk, shop.branches[1].pk]
    assert results[0]["distance_km"] < 0.01 < results[1]["distance_km"] < 10
    assert (results[0]["open_now"], results[0]["delivers_here"]) == (True, True)
    assert (results[1]["open_now"], results[1]["delivers_here"]) == (False, False)
    assert [r["branch_id"] for r in api("/api/v1/stores/nearby", open_now="true", **near)["results"]] == [
        shop.branches[0].pk
    ]
    assert [r["branch_id"] for r in api("/api/v1/stores/nearby", delivers="true", **near)["results"]] == [
        shop.branches[0].pk
    ]
    assert api("/api/v1/stores/nearby", lat=GULBERG[0], lng=GULBERG[1], radius_km=1)["results"][0]["branch_id"] == (
        shop.branches[0].pk
    )


def test_nearby_and_categories_reject_bad_locations(db, host_client):
    client = host_client("localhost")
    assert client.get("/api/v1/stores/nearby", {"lat": 31.5}).json()["field"] == "lng"
    assert client.get("/api/v1/stores/nearby", {"lat": 31.5, "lng": 74.3, "radius_km": 60}).json()["code"] == (
        "radius_invalid"
    )
    assert client.get("/api/v1/categories", {"lat": 31.5}).json()["code"] == "location_incomplete"
    assert client.get("/api/v1/categories", {"lat": 100, "lng": 1}).json()["code"] == "location_invalid"


def test_categories_count_listings_near_the_customer(shop, api):
    rice = Category.objects.create(slug="rice", name="Rice")
    with schema_context(shop.schema):
        product_update(product=shop.products[0], category_id=rice.pk)
    publish(shop)
    tree = {c["slug"]: c for c in api("/api/v1/categories", lat=GULBERG[0], lng=GULBERG[1], radius_km=2)}
    assert tree["rice"]["count"] == 1  # one branch within 2 km
    tree = {c["slug"]: c for c in api("/api/v1/categories", lat=GULBERG[0], lng=GULBERG[1], radius_km=20)}
    assert tree["rice"]["count"] == 2


def test_sales_make_a_listing_popular(shop, api):
    branch = shop.branches[0]
    with schema_context(shop.schema):
        variant = shop.products[1].variants.get()
        stock_receive(branch_id=branch.pk, variant_id=variant.pk, quantity=10, actor_id=None)
        stock_reserve(branch_id=branch.pk, variant_id=variant.pk, quantity=3, reference="order-1")
        stock_sell(branch_id=branch.pk, variant_id=variant.pk, quantity=3, reference="order-1")
    publish(shop)
    top = api("/api/v1/search", q="basmati", sort="popular")["results"][0]
    assert (top["variant_id"], top["branch"]["id"]) == (variant.pk, branch.pk)


def test_product_offers_say_which_branch_is_open(shop):
    always = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with schema_context(shop.schema):
        branch_update(branch=shop.branches[0], opening_hours=always)
        branch_update(branch=shop.branches[1], opening_hours={})
    publish(shop)
    page = product_detail(merchant_slug="corner-shop", product_id=shop.products[0].pk, lat=GULBERG[0], lng=GULBERG[1])
    assert [(o.listing.branch_id, o.open_now) for o in page.offers] == [
        (shop.branches[0].pk, True),
        (shop.branches[1].pk, False),
    ]
