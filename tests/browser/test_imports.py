"""A Merchant imports products from a CSV: a bad file lists every problem and changes nothing; a good one applies."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tenant_apps.catalog.models import Variant
from tests.access_world import build_world
from tests.browser.test_shells import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merchant_imports_products_csv(live_server, page, screenshot, make_merchant, sms_code, tmp_path):
    world = build_world(make_merchant)
    bad = tmp_path / "bad.csv"
    bad.write_text("store_slug,product_name,sku,price\nstore-1,Honey,HON-1,12,5\nstore-1,Ghee,GHE-1,abc\n")
    good = tmp_path / "good.csv"
    good.write_text(
        "store_slug,product_name,sku,variant_name,price\n"
        + "".join(f"store-1,Honey {i},HON-{i},500 g,{900 + i}.00\n" for i in range(40))
    )
    page.goto(url(live_server, "matrix-t.localhost"))
    sign_in(page, "+923009000001", sms_code)
    page.get_by_role("link", name="Import/export").click()
    products = page.get_by_role("region", name="Products")
    products.get_by_label("CSV file").set_input_files(str(bad))
    products.get_by_role("button", name="Import").click()
    expect(products.get_by_role("alert")).to_contain_text("price")
    screenshot("import-errors")
    with schema_context(world.t.schema_name):
        assert not Variant.objects.filter(sku__startswith="HON").exists()
        assert not Variant.objects.filter(sku__startswith="GHE").exists()
    products.get_by_label("CSV file").set_input_files(str(good))
    products.get_by_role("button", name="Import").click()
    expect(products.get_by_text("Imported 40 rows")).to_be_visible()
    screenshot("import-done")
    with schema_context(world.t.schema_name):
        assert Variant.objects.filter(sku__startswith="HON-").count() == 40
