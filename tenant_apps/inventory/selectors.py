"""Stock reads. A branch or product comes from the access layer (tenant_apps/staff/access.py), and lists are built
from its scoped selectors, so every read here is already inside the actor's scope.

"Low" is one rule, written here once: a level is low when what customers can still buy is at or under its
product's threshold (`Product.low_stock_threshold`). The dashboard's list filters with `LOW_STOCK`, the pages and
the API ask `stock_is_low` of a level whose product is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet

from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.staff.access import scoped_branches, scoped_stock_levels, variants_sold_at
from tenant_apps.staff.models import Membership
from tenant_apps.stores.models import Branch

LOW_STOCK = Q(available__lte=F("variant__product__low_stock_threshold"))
SHEET_PAGE_SIZE = 50  # rows of a branch's stock page: a phone scrolls through them, a shop has hundreds


def stock_is_low(level: StockLevel, *, product: Product | None = None) -> bool:
    """The Python side of LOW_STOCK, for a level whose variant's product is loaded (or given)."""
    return level.available <= (product or level.variant.product).low_stock_threshold


def branch_stock_levels(*, branch: Branch) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(branch=branch).select_related("variant__product").order_by("variant_id")


def branch_stock_level(*, branch_id: int, variant_id: int) -> StockLevel:
    return StockLevel.objects.select_related("variant__product").get(branch=branch_id, variant=variant_id)


@dataclass(frozen=True)
class StockRow:
    variant: Variant
    level: StockLevel | None  # None where the branch never had stock of it
    low: bool


@dataclass(frozen=True)
class StockSheet:
    rows: list[StockRow]
    page: Page
    query: str


def branch_stock_sheet(*, branch: Branch, query: str = "", page: int | str = 1) -> StockSheet:
    """One page of the variants the branch sells with its level there, by product name; `query` narrows to product
    names, variant names and SKUs that contain it. Four queries whatever the page: count, variants, levels."""
    query = query.strip()
    variants = variants_sold_at(branch).order_by("product__name", "pk")
    if query:
        variants = variants.filter(
            Q(product__name__icontains=query) | Q(name__icontains=query) | Q(sku__icontains=query)
        )
    one_page = Paginator(variants, SHEET_PAGE_SIZE).get_page(page)
    shown = list(one_page.object_list)
    levels = {
        level.variant_id: level for level in StockLevel.objects.filter(branch=branch, variant__in=[v.pk for v in shown])
    }
    rows = []
    for variant in shown:
        level = levels.get(variant.pk)
        rows.append(StockRow(variant, level, level is not None and stock_is_low(level, product=variant.product)))
    return StockSheet(rows=rows, page=one_page, query=query)


@dataclass(frozen=True)
class BranchStock:
    branch: Branch
    rows: list[StockRow]


def product_stock_by_branch(*, actor: Membership, product: Product) -> list[BranchStock]:
    """Every branch in the actor's scope that sells the product, with each variant's level there: what the
    product page shows and adjusts. Two queries: branches, levels (the variants come with the product)."""
    branches = list(scoped_branches(actor).filter(store_id=product.store_id).order_by("name", "pk"))
    variants = list(product.variants.all())
    levels = {
        (level.branch_id, level.variant_id): level
        for level in scoped_stock_levels(actor).filter(variant__product=product, branch__in=[b.pk for b in branches])
    }
    result = []
    for branch in branches:
        rows = []
        for variant in variants:
            level = levels.get((branch.pk, variant.pk))
            rows.append(StockRow(variant, level, level is not None and stock_is_low(level, product=product)))
        result.append(BranchStock(branch, rows))
    return result


def branch_stock_movements(*, branch: Branch, variant_id: int | None = None) -> QuerySet[StockMovement]:
    """The branch's ledger, newest first (optionally one variant's)."""
    movements = StockMovement.objects.filter(branch=branch)
    if variant_id:
        movements = movements.filter(variant_id=variant_id)
    return movements.order_by("-id")
