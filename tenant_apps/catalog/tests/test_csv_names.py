"""CSV rows name branches and stores by name (trimmed, any case), as the downloadable template does; ids keep
working; a name two branches share is a row error unless the row's store tells them apart."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog import csv_io
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.staff.access import access_console_membership
from tenant_apps.stores.services import branch_create, store_create
from tests.console_clients import console_page_client
from tests.shop_factory import Shop, build_shop


@pytest.fixture
def shop(make_merchant) -> Shop:
    return build_shop(make_merchant, slug="csv-names", products=1, variants=2)  # branches Gulberg, Dha


def _owner(shop: Shop):
    return access_console_membership(user=shop.merchant.owner)


def _csv(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def _problems(call) -> list[tuple[int, str, str]]:
    with pytest.raises(csv_io.CsvImportError) as caught:
        call()
    return [(e.row, e.field, e.code) for e in caught.value.errors]


def _second_store_with_a_gulberg(shop: Shop) -> None:
    other = store_create(name="Second Store")
    branch_create(store=other, name="Gulberg", address="Main Blvd", latitude="31.52", longitude="74.35")


def test_stock_rows_name_their_branch_trimmed_and_in_any_case(shop):
    with schema_context(shop.schema):
        text = _csv("branch,sku,on_hand", "  gulberg ,csv-names-0-0,7", "DHA,csv-names-0-1,3")
        result = csv_io.stock_import(actor=_owner(shop), data=text)
        assert result["movements"] == 2
        gulberg, dha = shop.branches
        assert StockLevel.objects.get(branch=gulberg, variant__sku="csv-names-0-0").on_hand == 7
        assert StockLevel.objects.get(branch=dha, variant__sku="csv-names-0-1").on_hand == 3


def test_branch_ids_still_work_and_an_export_imports_by_its_names_when_the_ids_are_cleared(shop):
    with schema_context(shop.schema):
        gulberg = shop.branches[0]
        csv_io.stock_import(actor=_owner(shop), data=_csv("branch_id,sku,on_hand", f"{gulberg.pk},csv-names-0-0,4"))
        text = _csv("branch_id,branch_name,sku,on_hand", ",Gulberg,csv-names-0-0,9")
        csv_io.stock_import(actor=_owner(shop), data=text)
        assert StockLevel.objects.get(branch=gulberg, variant__sku="csv-names-0-0").on_hand == 9


def test_an_unknown_branch_name_is_a_row_error_and_nothing_changes(shop):
    with schema_context(shop.schema):
        text = _csv("branch,sku,on_hand", "Gulberg,csv-names-0-0,7", "Johar Town,csv-names-0-1,3", ",csv-names-0-1,3")
        assert _problems(lambda: csv_io.stock_import(actor=_owner(shop), data=text)) == [
            (3, "branch", "outside_scope"),
            (4, "branch", "branch_missing"),
        ]
        assert not StockMovement.objects.exists()


def test_a_file_that_names_no_branch_column_says_so(shop):
    with schema_context(shop.schema):
        problems = _problems(lambda: csv_io.stock_import(actor=_owner(shop), data=_csv("sku,on_hand", "x,1")))
        assert problems == [(1, "branch", "column_missing")]


def test_a_branch_name_two_stores_share_is_ambiguous_until_the_row_names_its_store(shop):
    with schema_context(shop.schema):
        _second_store_with_a_gulberg(shop)
        text = _csv("branch,sku,on_hand", "Gulberg,csv-names-0-0,7")
        with pytest.raises(csv_io.CsvImportError) as caught:
            csv_io.stock_import(actor=_owner(shop), data=text)
        (error,) = caught.value.errors
        assert (error.row, error.field, error.code) == (2, "branch", "branch_ambiguous")
        assert "Second Store" in error.message and "store" in error.message
        named = _csv("store,branch,sku,on_hand", f"{shop.store.name.upper()},Gulberg,csv-names-0-0,7")
        assert csv_io.stock_import(actor=_owner(shop), data=named)["movements"] == 1
        assert StockLevel.objects.get(branch=shop.branches[0], variant__sku="csv-names-0-0").on_hand == 7


def test_products_rows_bring_their_opening_stock_at_a_named_branch(shop):
    with schema_context(shop.schema):
        text = _csv(
            "branch,product_name,variant_name,sku,price,on_hand",
            "Gulberg,Olper's Milk,1 L,OLPERS-1L,330,24",
            "Dha,Olper's Milk,250 ml,OLPERS-250,95.50,",
            "Dha,Basmati rice 0,1 kg,csv-names-0-0,100.00,6",  # an existing variant: counted too
        )
        result = csv_io.products_import(actor=_owner(shop), data=text)
        assert result["created"] == 2 and result["movements"] == 2
        milk = Product.objects.get(name="Olper's Milk")
        assert milk.store_id == shop.store.pk and milk.variants.count() == 2
        assert StockLevel.objects.get(branch=shop.branches[0], variant__sku="OLPERS-1L").on_hand == 24
        assert not StockLevel.objects.filter(variant__sku="OLPERS-250").exists()
        assert StockLevel.objects.get(branch=shop.branches[1], variant__sku="csv-names-0-0").on_hand == 6


def test_products_rows_with_a_bad_branch_or_count_import_nothing(shop):
    with schema_context(shop.schema):
        _second_store_with_a_gulberg(shop)
        text = _csv(
            "branch,product_name,sku,price,on_hand",
            "Gulberg,Milk,MILK-1,330,24",
            "Lahore Fort,Tea,TEA-1,900,2",
            "Dha,Rice,RICE-1,1650,lots",
            ",Sugar,SUGAR-1,150,",  # two stores now: the row names none
        )
        assert _problems(lambda: csv_io.products_import(actor=_owner(shop), data=text)) == [
            (2, "branch", "branch_ambiguous"),
            (3, "branch", "outside_scope"),
            (4, "on_hand", "on_hand_invalid"),
            (5, "store", "store_missing"),
        ]
        assert not Variant.objects.filter(sku__in=["MILK-1", "TEA-1", "RICE-1", "SUGAR-1"]).exists()


def test_the_template_names_branches_and_imports_as_it_is(shop):
    client = console_page_client(shop.merchant, shop.merchant.owner)
    response = client.get("/imports/template.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["branch", "product_name"] and "branch_id" not in rows[0] and "store" not in rows[0]
    assert {row[0] for row in rows[1:]} <= {"Gulberg", "Dha"}
    assert str(shop.branches[0].pk) not in {cell for row in rows[1:] for cell in row}
    with schema_context(shop.schema):
        result = csv_io.products_import(actor=_owner(shop), data=text)
        assert result["created"] == 3 and result["movements"] == 3


def test_with_several_stores_the_template_names_the_store_too(shop):
    with schema_context(shop.schema):
        _second_store_with_a_gulberg(shop)
        rows = csv_io.products_template_rows(actor=_owner(shop))
        assert rows[0][:2] == ["store", "branch"]
        result = csv_io.products_import(actor=_owner(shop), data="\n".join(",".join(r) for r in rows) + "\n")
        assert result["created"] == 3
