"""Stock from the product page (each branch's level of each variant, changed in place, once per form) and the
branch's stock page (searchable by product name or SKU, a page at a time); "low" follows the product's threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.inventory.selectors import SHEET_PAGE_SIZE
from tenant_apps.inventory.services import stock_receive
from tenant_apps.staff.access import access_console_membership
from tenant_apps.stores.selectors import low_stock
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _stock_post(client, world: World, *, branch: str = "B1a", variant: str = "V1", key: str = "k1", **fields):
    body = {
        "action": "stock",
        "branch_id": world.ids[branch],
        "variant_id": world.ids[variant],
        "action_kind": "receive",
        "amount": "5",
        "key": key,
        **fields,
    }
    return client.post(f"/products/{world.ids['P1']}/", body)


def test_the_product_page_shows_every_branch_in_scope_and_changes_stock_once_per_form(world):
    client = console_page_client(world.t, world.users["shop_owner"])
    page = client.get(f"/products/{world.ids['P1']}/").content.decode()
    assert "B1a" in page and "B1b" in page and "B2a" not in page  # S1's branches: P1 is S1's
    assert page.count('name="action_kind"') == 2
    first = _stock_post(client, world)
    twin = _stock_post(client, world)  # the double click: the same form's key
    assert first.status_code == twin.status_code == 302 and first["Location"].endswith("#stock")
    assert _stock_post(client, world, key="k2", action_kind="adjust", amount="-2").status_code == 302
    with schema_context(world.t.schema_name):
        level = StockLevel.objects.get(branch_id=world.ids["B1a"], variant_id=world.ids["V1"])
        assert level.on_hand == 3
        assert StockMovement.objects.filter(variant_id=world.ids["V1"]).count() == 2


def test_the_product_page_refuses_bad_units_and_other_products_variants(world):
    client = console_page_client(world.t, world.users["merchant"])
    bad = _stock_post(client, world, amount="lots")
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    assert _stock_post(client, world, variant="V2").status_code == 404  # P2's variant on P1's page
    assert _stock_post(client, world, branch="B2a").status_code == 404  # a branch that does not sell P1
    with schema_context(world.t.schema_name):
        assert not StockMovement.objects.exists()


def test_an_employee_with_the_stock_duty_changes_stock_from_the_product_page(world):
    client = console_page_client(world.t, world.users["employee"])
    assert _stock_post(client, world).status_code == 302
    assert _stock_post(client, world, branch="B1b", key="k3").status_code == 404  # not its branch
    with schema_context(world.t.schema_name):
        assert StockLevel.objects.get(branch_id=world.ids["B1a"], variant_id=world.ids["V1"]).on_hand == 5


def test_the_low_stock_threshold_is_the_products_and_editable_on_its_page(world):
    with schema_context(world.t.schema_name):
        stock_receive(branch_id=world.ids["B1a"], variant_id=world.ids["V1"], quantity=8, actor_id=None)
        actor = access_console_membership(user=world.users["merchant"])
        assert not low_stock(actor=actor).exists()  # 8 left, low at 5
    client = console_page_client(world.t, world.users["merchant"])
    bad = client.post(f"/products/{world.ids['P1']}/", {"action": "threshold", "low_stock_threshold": "-1"})
    assert bad.status_code == 400 and "whole number" in bad.content.decode()
    ok = client.post(f"/products/{world.ids['P1']}/", {"action": "threshold", "low_stock_threshold": " 10 "})
    assert ok.status_code == 302
    with schema_context(world.t.schema_name):
        assert Product.objects.get(pk=world.ids["P1"]).low_stock_threshold == 10
        assert [level.variant_id for level in low_stock(actor=actor)] == [world.ids["V1"]]
    api = console_api_client(world.t, world.users["merchant"])
    (row,) = api.get(f"/api/v1/console/branches/{world.ids['B1a']}/stock", {"low_only": True}).json()
    assert (row["low_stock_threshold"], row["low"]) == (10, True)
    assert 'class="tag warn"' in client.get(f"/branches/{world.ids['B1a']}/stock/").content.decode()


def test_a_shop_owner_cannot_change_another_stores_threshold(world):
    client = console_page_client(world.t, world.users["shop_owner"])
    response = client.post(f"/products/{world.ids['P2']}/", {"action": "threshold", "low_stock_threshold": "9"})
    assert response.status_code == 404
    with schema_context(world.t.schema_name):
        assert Product.objects.get(pk=world.ids["P2"]).low_stock_threshold == 5


def _variants(world: World, count: int, *, name: str = "Crate") -> None:
    with schema_context(world.t.schema_name):
        for i in range(count):
            product = Product.objects.create(store_id=world.ids["S1"], name=f"{name} {i:03d}", slug=f"{name}-{i}")
            Variant.objects.create(product=product, sku=f"{name.upper()}-{i:03d}", price=Decimal("9.00"))


def test_the_branch_stock_page_finds_by_name_or_sku_and_pages(world):
    _variants(world, SHEET_PAGE_SIZE + 5)
    _variants(world, 2, name="Honey")
    client = console_page_client(world.t, world.users["branch_manager"])
    first = client.get(f"/branches/{world.ids['B1a']}/stock/").content.decode()
    assert first.count('<select name="action"') == SHEET_PAGE_SIZE and 'rel="next"' in first
    second = client.get(f"/branches/{world.ids['B1a']}/stock/", {"page": 2}).content.decode()
    assert second.count('<select name="action"') == 8 and 'rel="prev"' in second  # 55 + 2 + P1 = 58
    by_name = client.get(f"/branches/{world.ids['B1a']}/stock/", {"q": "honey"}).content.decode()
    assert by_name.count('<select name="action"') == 2
    by_sku = client.get(f"/branches/{world.ids['B1a']}/stock/", {"q": "crate-05"}).content.decode()
    assert by_sku.count('<select name="action"') == 5  # CRATE-050 ... CRATE-054
    nothing = client.get(f"/branches/{world.ids['B1a']}/stock/", {"q": "zzz"}).content.decode()
    assert "No product or SKU matches" in nothing


def test_a_change_on_a_searched_page_comes_back_to_that_search(world):
    _variants(world, 2, name="Honey")
    client = console_page_client(world.t, world.users["branch_manager"])
    with schema_context(world.t.schema_name):
        honey = Variant.objects.get(sku="HONEY-001")
    body = {"variant_id": honey.pk, "action": "receive", "amount": "4", "key": "h1", "q": "honey", "page": "1"}
    response = client.post(f"/branches/{world.ids['B1a']}/stock/", body)
    assert response.status_code == 302 and response["Location"] == f"/branches/{world.ids['B1a']}/stock/?q=honey&page=1"


def test_the_api_reads_and_sets_the_threshold_and_refuses_bad_values_with_the_envelope(world):
    api = console_api_client(world.t, world.users["merchant"])
    path = f"/api/v1/console/products/{world.ids['P1']}"
    ok = api.patch(path, {"low_stock_threshold": 7}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["low_stock_threshold"] == 7
    for bad, code in ((-1, "low_stock_threshold_invalid"), (None, "low_stock_threshold_invalid"), ("many", "invalid")):
        response = api.patch(path, {"low_stock_threshold": bad}, content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == code, response.content
    with schema_context(world.t.schema_name):
        assert Product.objects.get(pk=world.ids["P1"]).low_stock_threshold == 7
