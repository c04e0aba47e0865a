"""What a merchant does in its own schema while a customer shops: change a price, take stock off the shelf."""

from __future__ import annotations

from django_tenants.utils import schema_context

from marketplace.listings.models import Listing
from tenant_apps.catalog.services import branch_price_set
from tenant_apps.inventory.services import stock_adjust


def price_set(item: Listing, price: str) -> None:
    with schema_context(item.merchant.schema_name):
        branch_price_set(branch_id=item.branch_id, variant_id=item.variant_id, price=price)


def stock_take(item: Listing, units: int) -> None:
    with schema_context(item.merchant.schema_name):
        stock_adjust(branch_id=item.branch_id, variant_id=item.variant_id, delta=-units, actor_id=None, note="breakage")
