"""A merchant with a store, branches and products, built through the real services (outbox events included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.catalog.services import VariantSpec, product_create
from tenant_apps.stores.models import Branch, Store
from tenant_apps.stores.services import branch_create, store_create
from tenants.models import Merchant

LAHORE = {"gulberg": ("31.5204", "74.3587"), "dha": ("31.4697", "74.4090"), "model-town": ("31.4834", "74.3256")}


@dataclass
class Shop:
    merchant: Merchant
    store: Store
    branches: list[Branch]
    products: list[Product] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return self.merchant.schema_name


def build_shop(make_merchant, *, slug: str, products: int = 3, variants: int = 2, branches=("gulberg", "dha")) -> Shop:
    merchant = make_merchant(slug=slug, name=slug.replace("-", " ").title())
    with schema_context(merchant.schema_name):
        store = store_create(name=f"{merchant.name} Store")
        made = [
            branch_create(
                store=store,
                name=area.title(),
                address=f"Main Blvd, {area}",
                latitude=LAHORE[area][0],
                longitude=LAHORE[area][1],
                area=area,
                offers_delivery=True,
                delivery_radius_km="4",
            )
            for area in branches
        ]
        shop = Shop(merchant, store, made)
        for i in range(products):
            specs = [
                VariantSpec(sku=f"{slug}-{i}-{j}", name=f"{j + 1} kg", price=Decimal("100.00") + i * 10 + j)
                for j in range(variants)
            ]
            shop.products.append(
                product_create(
                    store_id=store.pk,
                    name=f"Basmati rice {i}",
                    variants=specs,
                    description="Aged long grain",
                    status=ProductStatus.ACTIVE,
                )
            )
    return shop
