"""A pending merchant is invisible to customers — no rows in the listing index, so no search hit, and its shop and
product pages are 404 — through the same mechanism that hides a suspended one (the sync lists ACTIVE merchants
only). Going live (or an operator's approval) sends the rebuild by name; once the worker ran it, customers see it."""

from __future__ import annotations

import pytest
from django.test import override_settings

from marketplace.discovery.schemas import SearchQuery
from marketplace.discovery.search import search_listings
from marketplace.listings import tasks as listing_tasks
from marketplace.listings.models import BranchListing, Listing
from marketplace.listings.sync import listings_publish
from tenants.models import MerchantStatus
from tenants.services import merchant_approve, merchant_go_live
from tests.shop_factory import LAHORE, build_shop

GULBERG = {"lat": float(LAHORE["gulberg"][0]), "lng": float(LAHORE["gulberg"][1])}


@pytest.fixture
def pending_shop(make_merchant):
    shop = build_shop(
        lambda **kw: make_merchant(pending=True, **kw),
        slug="hidden-rice",
        products=2,
        variants=1,
        branches=("gulberg",),
    )
    listings_publish(schema=shop.schema)  # what the worker does after each change: events published as "hidden"
    return shop


def _found(shop) -> list[str]:
    results = search_listings(SearchQuery(q="basmati", **GULBERG))["results"]
    return [r["store"]["merchant"] for r in results]


def _pages(client, shop) -> tuple[int, int]:
    store = client.get(f"/s/{shop.merchant.slug}/{shop.store.slug}/").status_code
    product = client.get(f"/p/{shop.merchant.slug}/{shop.products[0].pk}/").status_code
    return store, product


def test_a_pending_merchant_has_no_listing_no_search_hit_and_no_pages(pending_shop, host_client):
    assert pending_shop.merchant.status == MerchantStatus.PENDING
    assert not Listing.objects.filter(merchant=pending_shop.merchant).exists()
    assert not BranchListing.objects.filter(merchant_id=pending_shop.merchant.pk).exists()
    assert pending_shop.merchant.slug not in _found(pending_shop)
    assert _pages(host_client("localhost"), pending_shop) == (404, 404)
    assert "Hidden Rice" not in host_client("localhost").get("/").content.decode()


@override_settings(MERCHANT_APPROVAL_REQUIRED=False)
def test_going_live_makes_it_visible_once_the_rebuild_ran(pending_shop, host_client):
    merchant_go_live(merchant=pending_shop.merchant, by=pending_shop.merchant.owner)
    listing_tasks.listings_rebuild.run(schema=pending_shop.schema)  # the task go-live sends after commit
    assert Listing.objects.filter(merchant=pending_shop.merchant).count() == 2
    assert pending_shop.merchant.slug in _found(pending_shop)
    assert _pages(host_client("localhost"), pending_shop) == (200, 200)


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_waiting_for_approval_stays_hidden_and_approval_shows_it(pending_shop, host_client, platform_admin):
    merchant_go_live(merchant=pending_shop.merchant, by=pending_shop.merchant.owner)
    listing_tasks.listings_rebuild.run(schema=pending_shop.schema)
    assert pending_shop.merchant.slug not in _found(pending_shop)
    assert _pages(host_client("localhost"), pending_shop) == (404, 404)
    merchant_approve(merchant=pending_shop.merchant, by=platform_admin)
    listing_tasks.listings_rebuild.run(schema=pending_shop.schema)
    assert pending_shop.merchant.slug in _found(pending_shop)
    assert _pages(host_client("localhost"), pending_shop) == (200, 200)
