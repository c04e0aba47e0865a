"""What the console's store and branch pages change in the marketplace, through the outbox: moving a branch moves its
listings (coordinates and map cells), closing a store hides its branches and listings, reopening lists them again."""

import pytest
from django_tenants.utils import schema_context

from marketplace.listings import sync
from marketplace.listings.models import BranchListing, Listing
from tenant_apps.stores.services import branch_update, store_close, store_reopen
from tests.shop_factory import build_shop


@pytest.fixture
def shop(make_merchant):
    shop = build_shop(make_merchant, slug="effects-shop", products=2, variants=1, branches=("gulberg",))
    sync.listings_publish(schema=shop.schema)
    return shop


def test_moving_a_branch_moves_its_listings(shop):
    before = set(Listing.objects.filter(merchant=shop.merchant).values_list("h3_r8", flat=True))
    with schema_context(shop.schema):
        branch_update(branch=shop.branches[0], latitude="31.469000", longitude="74.284000")  # Gulberg -> Johar Town
    sync.listings_publish(schema=shop.schema)
    rows = Listing.objects.filter(merchant=shop.merchant)
    assert rows.count() == 2
    assert {(float(r.latitude), float(r.longitude)) for r in rows} == {(31.469, 74.284)}
    assert set(rows.values_list("h3_r8", flat=True)).isdisjoint(before)
    listed = BranchListing.objects.get(merchant=shop.merchant)
    assert (float(listed.latitude), float(listed.longitude)) == (31.469, 74.284)


def test_closing_a_store_hides_it_and_reopening_lists_it_again(shop):
    with schema_context(shop.schema):
        store_close(store=shop.store)
    sync.listings_publish(schema=shop.schema)
    assert not Listing.objects.filter(merchant=shop.merchant).exists()
    assert not BranchListing.objects.filter(merchant=shop.merchant).exists()
    with schema_context(shop.schema):
        store_reopen(store=shop.store)
    sync.listings_publish(schema=shop.schema)
    assert Listing.objects.filter(merchant=shop.merchant).count() == 2
    assert BranchListing.objects.filter(merchant=shop.merchant).count() == 1
