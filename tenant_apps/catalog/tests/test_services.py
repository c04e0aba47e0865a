"""Catalog writes: money is Decimal (never float), SKUs are unique, every change reaches the outbox."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog.errors import CatalogError, CatalogErrorCode
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.catalog.services import VariantSpec, money, product_create, product_update, variant_update
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.stores.services import store_create


@pytest.mark.parametrize("value", ["12", "12.5", "12.50", Decimal("0"), "9999999999.99"])
def test_money_accepts_decimals(value):
    assert money(value) == Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("value", ["12,5", "-1", "1.234", "abc", "NaN", "Infinity", "", None, "1e12", 12.5])
def test_money_rejects_everything_else(value):
    with pytest.raises(CatalogError) as caught:
        money(value)
    assert caught.value.code == CatalogErrorCode.PRICE_INVALID


@pytest.fixture
def store(make_merchant):
    merchant = make_merchant(slug="catalog-svc")
    with schema_context(merchant.schema_name):
        yield store_create(name="Grocer")


def test_product_with_variants_is_all_or_nothing(store):
    product = product_create(
        store_id=store.pk,
        name="Basmati Rice",
        status="active",
        variants=[VariantSpec(sku="RICE-1", name="1 kg", price="420"), VariantSpec(sku="RICE-5", price="1990.50")],
    )
    prices = list(product.variants.order_by("sku").values_list("price", flat=True))
    assert prices == [Decimal("420"), Decimal("1990.50")]
    assert OutboxEvent.objects.filter(entity=Entity.PRODUCT, entity_id=product.pk).exists()
    for variants, code in [
        ([], CatalogErrorCode.VARIANTS_REQUIRED),
        ([VariantSpec(sku="RICE-1", price="1")], CatalogErrorCode.SKU_TAKEN),
        ([VariantSpec(sku="A", price="1"), VariantSpec(sku="A", price="2")], CatalogErrorCode.SKU_TAKEN),
        ([VariantSpec(sku="has space", price="1")], CatalogErrorCode.SKU_INVALID),
        ([VariantSpec(sku="OK-1", price="1.999")], CatalogErrorCode.PRICE_INVALID),
    ]:
        with pytest.raises(CatalogError) as caught:
            product_create(store_id=store.pk, name="Sugar", variants=variants)
        assert caught.value.code == code
    assert Product.objects.count() == 1 and Variant.objects.count() == 2


def test_updates_validate_and_emit(store):
    product = product_create(store_id=store.pk, name="Tea", variants=[VariantSpec(sku="TEA-1", price="300")])
    variant = product.variants.get()
    before = OutboxEvent.objects.count()
    with pytest.raises(CatalogError):
        product_update(product=product, status="deleted")
    with pytest.raises(CatalogError):
        variant_update(variant=variant, price=12.5)  # a float is refused; as text "12.5" it is fine
    variant_update(variant=variant, price="312.50")
    product_update(product=product, status="active", name="Green Tea")
    assert OutboxEvent.objects.count() == before + 2
    variant.refresh_from_db()
    assert variant.price == Decimal("312.50")
