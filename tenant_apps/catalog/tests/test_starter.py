"""Starter lists: a pick becomes an active product with its price and opening stock, once — a re-submit, a double
click or a second tab adds nothing — and bad input is reported per row with nothing added and nothing typed lost."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from shared_apps.categories.models import Category
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.catalog.services import VariantSpec, product_create
from tenant_apps.catalog.starter import StarterPick, StarterPicksInvalid, starter_items_add, starter_list
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.staff.models import AuditEntry
from tenant_apps.stores.services import store_create
from tests.console_clients import console_page_client
from tests.query_counts import assert_list_queries_flat, html_count
from tests.shop_factory import Shop, build_shop

PICKS = [
    StarterPick(row="olpers-milk/1l", price="330", stock={}),
    StarterPick(row="olpers-milk/250ml", price="95.50", stock={}),
    StarterPick(row="tapal-danedar/950g", price="1,450", stock={}),
    StarterPick(row="basmati-rice/5kg", price="1650.00", stock={}),
]


@pytest.fixture
def shop(make_merchant) -> Shop:
    return build_shop(make_merchant, slug="starter-shop", products=0)


def _add(shop: Shop, picks: list[StarterPick], *, stock: int | None = None):
    branch = shop.branches[0]
    if stock is not None:
        picks = [StarterPick(p.row, p.price, {branch.pk: str(stock)}) for p in picks]
    return starter_items_add(
        store=shop.store,
        list_slug="grocery",
        picks=picks,
        branches=shop.branches,
        actor_user_id=shop.merchant.owner.pk,
    )


def test_picks_become_active_products_with_prices_categories_stock_and_an_audit_entry(shop):
    dairy = Category.objects.create(name="Dairy & Eggs", slug="dairy-eggs")
    with schema_context(shop.schema):
        report = _add(shop, PICKS, stock=12)
        assert sorted(report.products_created) == ["Basmati rice", "Olper's Milk", "Tapal Danedar"]
        assert report.variants_created == 4 and report.stock_rows == 4
        milk = Product.objects.get(starter_key="grocery/olpers-milk")
        assert milk.status == ProductStatus.ACTIVE and milk.category_id == dairy.pk
        assert {(v.sku, v.name, str(v.price)) for v in milk.variants.all()} == {
            ("OLPERS-MILK-1L", "1 L", "330.00"),
            ("OLPERS-MILK-250ML", "250 ml", "95.50"),
        }
        assert Variant.objects.get(sku="TAPAL-DANEDAR-950G").price == 1450
        levels = StockLevel.objects.filter(branch=shop.branches[0])
        assert sorted(levels.values_list("on_hand", flat=True)) == [12, 12, 12, 12]
        assert not StockLevel.objects.filter(branch=shop.branches[1]).exists()
        assert StockMovement.objects.filter(reason="receive", reference="starter:grocery").count() == 4
        published = set(OutboxEvent.objects.values_list("entity", flat=True))
        assert {Entity.PRODUCT, Entity.STOCK} <= published  # the marketplace learns of them
        entry = AuditEntry.objects.get(action="catalog.starter_added")
        assert entry.store_id == shop.store.pk and entry.data["variants"] == 4


def test_adding_the_same_picks_twice_makes_the_products_once(shop):
    with schema_context(shop.schema):
        _add(shop, PICKS, stock=5)
        again = _add(shop, PICKS, stock=5)
        assert again.variants_created == 0 and again.products_created == []
        assert sorted(again.already_there) == sorted(p.row for p in PICKS)
        assert Product.objects.count() == 3 and Variant.objects.count() == 4
        assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {5}  # no second opening stock
        assert AuditEntry.objects.filter(action="catalog.starter_added").count() == 1


def test_a_new_variant_of_an_item_already_added_joins_its_product(shop):
    with schema_context(shop.schema):
        _add(shop, PICKS[:1])
        report = _add(shop, PICKS[:2])
        assert report.already_there == ["olpers-milk/1l"] and report.variants_created == 1
        milk = Product.objects.get(starter_key="grocery/olpers-milk")
        assert milk.variants.count() == 2 and Product.objects.count() == 1


def test_a_product_made_by_hand_with_the_items_name_is_left_alone(shop):
    with schema_context(shop.schema):
        product_create(store_id=shop.store.pk, name="Olper's Milk", variants=[VariantSpec(sku="MY-MILK", price="300")])
        report = _add(shop, PICKS)
        assert sorted(report.name_taken) == ["olpers-milk/1l", "olpers-milk/250ml"]
        assert Variant.objects.get(sku="MY-MILK").price == 300
        assert Product.objects.filter(name="Olper's Milk").count() == 1


def test_a_sibling_store_holding_the_plain_sku_gets_its_own(make_merchant):
    shop = build_shop(make_merchant, slug="starter-two", products=0)
    with schema_context(shop.schema):
        _add(shop, PICKS[:1])
        other = store_create(name="Second store")
        report = starter_items_add(store=other, list_slug="grocery", picks=PICKS[:1], branches=[], actor_user_id=None)
        assert report.variants_created == 1
        assert set(Variant.objects.values_list("sku", flat=True)) == {"OLPERS-MILK-1L", f"OLPERS-MILK-1L-{other.pk}"}


def test_bad_input_is_reported_per_row_and_nothing_is_added(shop):
    branch = shop.branches[0].pk
    picks = [
        StarterPick(row="olpers-milk/1l", price=""),
        StarterPick(row="tapal-danedar/950g", price="-5"),
        StarterPick(row="basmati-rice/5kg", price="abc"),
        StarterPick(row="sugar/1kg", price="150", stock={branch: "ten"}),
        StarterPick(row="sugar/5kg", price="700", stock={branch: "-3"}),
        StarterPick(row="no-such/item", price="1"),
        StarterPick(row="maida/1kg", price="120.5"),  # fine on its own: still not added
    ]
    with schema_context(shop.schema):
        with pytest.raises(StarterPicksInvalid) as caught:
            _add(shop, picks)
        assert set(caught.value.problems) == {
            "price:olpers-milk/1l",
            "price:tapal-danedar/950g",
            "price:basmati-rice/5kg",
            f"stock:sugar/1kg:{branch}",
            f"stock:sugar/5kg:{branch}",
            "pick:no-such/item",
        }
        assert caught.value.status == 400
        assert not Product.objects.exists() and not StockMovement.objects.exists()


def test_the_page_keeps_what_was_typed_and_says_what_is_wrong(shop):
    client = console_page_client(shop.merchant, shop.merchant.owner)
    branch = shop.branches[0].pk
    response = client.post(
        "/products/starter/",
        {
            "list": "grocery",
            "store": shop.store.pk,
            "pick": ["olpers-milk/1l", "tapal-danedar/950g"],
            "price:olpers-milk/1l": "abc",
            "price:tapal-danedar/950g": "1450",
            f"stock:tapal-danedar/950g:{branch}": "12",
            "price:sugar/1kg": "150",  # typed but not ticked: taken as picked, never dropped
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "is not a price" in html
    assert 'value="abc"' in html and 'value="1450"' in html and 'value="12"' in html and 'value="150"' in html
    assert html.count(" checked @change") == 3  # milk, tea and the typed sugar stay ticked
    with schema_context(shop.schema):
        assert not Product.objects.exists()


def test_the_page_adds_the_picks_and_lands_on_the_products_list(shop):
    client = console_page_client(shop.merchant, shop.merchant.owner)
    body = {
        "list": "grocery",
        "store": shop.store.pk,
        "pick": ["olpers-milk/1l", "tapal-danedar/950g", "basmati-rice/5kg"],
        "price:olpers-milk/1l": "330",
        "price:tapal-danedar/950g": "1450",
        "price:basmati-rice/5kg": "1650",
    }
    response = client.post("/products/starter/", body)
    assert response.status_code == 302 and response["Location"] == "/products/"
    page = client.get("/products/").content.decode()
    assert "Added 3 items to your products." in page and "Tapal Danedar" in page
    again = client.post("/products/starter/", body)  # the double click
    assert again.status_code == 302
    assert "3 items were already in your products" in client.get("/products/").content.decode()
    listed = client.get("/products/starter/?list=grocery").content.decode()
    assert listed.count("In your products") == 3
    with schema_context(shop.schema):
        assert Variant.objects.count() == 3


def test_an_unknown_list_is_a_404_and_the_lists_name_their_rows(shop):
    client = console_page_client(shop.merchant, shop.merchant.owner)
    assert client.get("/products/starter/?list=nope").status_code == 404
    assert client.get("/products/starter/").status_code == 200
    assert starter_list("pharmacy").rows[0].key == "panadol/strip"


def test_the_starter_page_costs_the_same_with_one_item_in_the_catalog_or_four(shop, host_cache_held):
    client = console_page_client(shop.merchant, shop.merchant.owner)

    def added(picks: list[StarterPick]) -> None:
        with schema_context(shop.schema):
            _add(shop, picks, stock=3)

    added(PICKS[:1])
    assert_list_queries_flat(
        read=lambda: client.get("/products/starter/", {"list": "grocery"}),
        rows=html_count("In your products"),
        add_rows=lambda: added(PICKS[1:]),
        few=1,
        many=4,
    )
