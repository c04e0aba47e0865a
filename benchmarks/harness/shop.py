"""A shop for a benchmark's buyers: a merchant provisioned through the public services, one store, one branch, products
with stock, published to the marketplace index as a merchant's edits are. Django must be set up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductSpec:
    key: str  # how the benchmark names it
    name: str
    sku: str
    variant_name: str
    price: str
    units: int  # received into the branch's stock


@dataclass(frozen=True)
class BenchShop:
    merchant: Any
    schema: str
    levels: dict[str, tuple[int, int]]  # product key -> (branch id, variant id): its stock level
    listings: dict[str, int]  # product key -> Listing id


def shop_open(
    *, name: str, slug: str, owner_phone: str, branch: dict[str, str], products: list[ProductSpec]
) -> BenchShop:
    """The merchant `name`, a store of the same name, one branch (`branch`: branch_create's name, address, area,
    latitude, longitude) and `products`, one active variant each with its units in stock; then published."""
    # Django is set up by the script before it opens a shop: the models and services can be imported.
    from django_tenants.utils import schema_context

    from marketplace.listings.models import Listing
    from marketplace.listings.sync import listings_publish
    from tenant_apps.catalog.models import ProductStatus
    from tenant_apps.catalog.services import VariantSpec, product_create
    from tenant_apps.inventory.services import stock_receive
    from tenant_apps.stores.services import branch_create, store_create
    from tenants.services import merchant_provision

    merchant = merchant_provision(name=name, slug=slug, owner_phone=owner_phone)
    levels = {}
    with schema_context(merchant.schema_name):
        store = store_create(name=name)
        made = branch_create(store=store, **branch)
        for spec in products:
            variant_spec = VariantSpec(sku=spec.sku, name=spec.variant_name, price=spec.price)
            product = product_create(
                store_id=store.pk, name=spec.name, status=ProductStatus.ACTIVE, variants=[variant_spec]
            )
            variant = product.variants.get()
            stock_receive(branch_id=made.pk, variant_id=variant.pk, quantity=spec.units, actor_id=None)
            levels[spec.key] = (made.pk, variant.pk)
    listings_publish(schema=merchant.schema_name)
    listings = {
        key: Listing.objects.get(merchant=merchant, branch_id=b, variant_id=v).pk for key, (b, v) in levels.items()
    }
    return BenchShop(merchant, merchant.schema_name, levels, listings)
