"""Stock reads of one branch. The branch comes from the access layer (tenant_apps/staff/access.py), so every read
here is already inside the actor's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from tenant_apps.catalog.models import Variant
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.staff.access import variants_sold_at
from tenant_apps.stores.models import Branch


def branch_stock_levels(*, branch: Branch) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(branch=branch).select_related("variant__product").order_by("variant_id")


def branch_stock_level(*, branch_id: int, variant_id: int) -> StockLevel:
    return StockLevel.objects.select_related("variant__product").get(branch=branch_id, variant=variant_id)


def branch_stock_sheet(*, branch: Branch) -> list[tuple[Variant, StockLevel | None]]:
    """Every variant the branch sells with its level there (None where it never had stock), by product name."""
    levels = {level.variant_id: level for level in StockLevel.objects.filter(branch=branch)}
    variants = variants_sold_at(branch).order_by("product__name", "pk")
    return [(variant, levels.get(variant.pk)) for variant in variants]


def branch_stock_movements(*, branch: Branch, variant_id: int | None = None) -> QuerySet[StockMovement]:
    """The branch's ledger, newest first (optionally one variant's)."""
    movements = StockMovement.objects.filter(branch=branch)
    if variant_id:
        movements = movements.filter(variant_id=variant_id)
    return movements.order_by("-id")
