"""'Only N left' on a product's page: the listing carries the product's low-stock threshold (published through the
outbox like its stock), and the page shows the badge when 0 < available <= threshold, decided at render time."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from marketplace.discovery.formatting import only_left
from marketplace.listings.models import Listing
from marketplace.listings.sync import listings_publish
from tenant_apps.catalog.services import product_update
from tenant_apps.inventory.services import stock_receive
from tests.shop_factory import build_shop


def test_only_left_is_shown_from_one_unit_up_to_the_threshold():
    assert [only_left(available=n, threshold=5) for n in (0, 1, 5, 6)] == [None, 1, 5, None]
    assert only_left(available=3, threshold=0) is None  # a threshold of 0: never the badge


@pytest.mark.django_db
def test_the_products_threshold_reaches_the_listing_and_its_page(make_merchant, host_client):
    shop = build_shop(make_merchant, slug="only-left", products=1, variants=1, branches=("gulberg",))
    product, branch = shop.products[0], shop.branches[0]
    with schema_context(shop.schema):
        variant = product.variants.get()
        stock_receive(branch_id=branch.pk, variant_id=variant.pk, quantity=7, actor_id=None)
    listings_publish(schema=shop.schema)
    listing = Listing.objects.get(merchant=shop.merchant, variant_id=variant.pk)
    assert (listing.available, listing.low_stock_threshold) == (7, 5)
    client = host_client("localhost")
    page = client.get(f"/p/{shop.merchant.slug}/{product.pk}/").content.decode()
    assert "In stock" in page and "Only 7 left" not in page
    with schema_context(shop.schema):
        product_update(product=product, low_stock_threshold=10)
    listings_publish(schema=shop.schema)
    assert Listing.objects.get(pk=listing.pk).low_stock_threshold == 10
    assert "Only 7 left" in client.get(f"/p/{shop.merchant.slug}/{product.pk}/").content.decode()
