"""Outbox → Listing: the index follows every customer-visible change, idempotently, and equals a full rebuild."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from marketplace.listings import sync
from marketplace.listings.models import Listing
from tenant_apps.catalog.models import ProductStatus
from tenant_apps.catalog.services import branch_price_set, product_update, variant_update
from tenant_apps.inventory.services import stock_receive, stock_reserve
from tenant_apps.outbox.models import OutboxEvent
from tenant_apps.stores.services import branch_update
from tenants.services import merchant_suspend
from tests.shop_factory import build_shop

SNAPSHOT_FIELDS = (
    "branch_id",
    "variant_id",
    "title",
    "variant_name",
    "price",
    "in_stock",
    "available",
    "h3_r8",
    "offers_delivery",
    "image_public_id",
)


def snapshot(merchant) -> list[tuple]:
    return list(
        Listing.objects.filter(merchant=merchant).order_by("branch_id", "variant_id").values_list(*SNAPSHOT_FIELDS)
    )


@pytest.fixture
def shop(make_merchant):
    return build_shop(make_merchant, slug="sync-shop", products=3, variants=2)


def publish(shop):
    return sync.listings_publish(schema=shop.schema)


def test_first_publish_lists_every_variant_at_every_branch(shop):
    report = publish(shop)
    assert report.events > 0 and report.upserted == 3 * 2 * 2
    rows = Listing.objects.filter(merchant=shop.merchant)
    assert rows.count() == 12
    with schema_context(shop.schema):
        variant_id = shop.products[0].variants.order_by("pk")[0].pk
    row = rows.get(branch_id=shop.branches[0].pk, variant_id=variant_id)
    assert (row.title, row.variant_name, row.price, row.currency, row.in_stock) == (
        "Basmati rice 0",
        "1 kg",
        Decimal("100.00"),
        "PKR",
        False,
    )
    assert row.h3_r6 and row.h3_r7 and row.h3_r8 and row.search
    with schema_context(shop.schema):
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert publish(shop).events == 0  # nothing pending: nothing happens


def test_stock_price_status_and_branch_changes_are_reflected(shop):
    publish(shop)
    branch = shop.branches[0]
    with schema_context(shop.schema):
        variant = shop.products[0].variants.order_by("pk")[0]
        stock_receive(branch_id=branch.pk, variant_id=variant.pk, quantity=3, actor_id=None)
    publish(shop)
    row = Listing.objects.get(merchant=shop.merchant, branch_id=branch.pk, variant_id=variant.pk)
    assert (row.in_stock, row.available) == (True, 3)
    with schema_context(shop.schema):
        stock_reserve(branch_id=branch.pk, variant_id=variant.pk, quantity=3, reference="o1")
        variant_update(variant=variant, price="95.50")
        branch_price_set(branch_id=shop.branches[1].pk, variant_id=variant.pk, price="99.00")
    publish(shop)
    row.refresh_from_db()
    assert (row.in_stock, row.price) == (False, Decimal("95.50"))  # sold out once reserved
    other = Listing.objects.get(merchant=shop.merchant, branch_id=shop.branches[1].pk, variant_id=variant.pk)
    assert other.price == Decimal("99.00")
    with schema_context(shop.schema):
        product_update(product=shop.products[1], status=ProductStatus.ARCHIVED)
        branch_update(branch=shop.branches[1], is_active=False)
    publish(shop)
    assert not Listing.objects.filter(merchant=shop.merchant, product_id=shop.products[1].pk).exists()
    assert not Listing.objects.filter(merchant=shop.merchant, branch_id=shop.branches[1].pk).exists()
    assert Listing.objects.filter(merchant=shop.merchant).count() == 2 * 2 * 1


def test_incremental_equals_full_rebuild(shop):
    publish(shop)
    with schema_context(shop.schema):
        variant = shop.products[2].variants.order_by("pk")[1]
        stock_receive(branch_id=shop.branches[1].pk, variant_id=variant.pk, quantity=9, actor_id=None)
        product_update(product=shop.products[0], name="Sella rice")
    publish(shop)
    incremental = snapshot(shop.merchant)
    Listing.objects.filter(merchant=shop.merchant).update(price=Decimal("1.00"), in_stock=True)  # corrupt it
    sync.listings_rebuild(schema=shop.schema)
    assert snapshot(shop.merchant) == incremental


def test_an_older_version_never_overwrites_a_newer_row(shop):
    publish(shop)
    row = Listing.objects.filter(merchant=shop.merchant).first()
    Listing.objects.filter(pk=row.pk).update(version=10**12, title="newer")
    with schema_context(shop.schema):
        product_update(product=shop.products[0], name="Stale name")
        product_update(product=shop.products[1], name="Stale name 2")
        product_update(product=shop.products[2], name="Stale name 3")
    publish(shop)
    row.refresh_from_db()
    assert row.title == "newer"


def test_suspended_merchant_disappears_from_the_index(shop):
    publish(shop)
    merchant_suspend(merchant=shop.merchant)
    sync.listings_rebuild(schema=shop.schema)
    assert not Listing.objects.filter(merchant=shop.merchant).exists()


def test_sweep_finds_merchants_with_pending_events(shop, make_merchant):
    quiet = build_shop(make_merchant, slug="quiet-shop", products=1, variants=1, branches=("gulberg",))
    publish(quiet)
    assert sync.schemas_with_pending_events([shop.schema, quiet.schema]) == [shop.schema]
