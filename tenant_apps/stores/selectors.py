from django.db.models import Count, QuerySet

from tenant_apps.catalog.models import ProductStatus
from tenant_apps.inventory.models import StockLevel
from tenant_apps.inventory.selectors import LOW_STOCK
from tenant_apps.staff.access import (
    scoped_branches,
    scoped_memberships,
    scoped_products,
    scoped_stock_levels,
    scoped_stores,
)
from tenant_apps.staff.models import Membership
from tenant_apps.stores.models import Store


def stores_with_counts(*, actor: Membership) -> QuerySet[Store]:
    return scoped_stores(actor).annotate(branch_count=Count("branches", distinct=True)).order_by("name")


def console_summary(*, actor: Membership) -> dict[str, int]:
    """Dashboard figures inside the actor's scope (order figures arrive with orders)."""
    products = scoped_products(actor).order_by()
    return {
        "stores": scoped_stores(actor).count(),
        "branches": scoped_branches(actor).count(),
        "staff": scoped_memberships(actor).filter(is_active=True).count(),
        "products": products.count(),
        "active_products": products.filter(status=ProductStatus.ACTIVE).count(),
        "low_stock": low_stock(actor=actor).count(),
    }


def low_stock(*, actor: Membership) -> QuerySet[StockLevel]:
    """Stock at or under its product's threshold in the actor's branches, emptiest first (the dashboard's alert)."""
    return (
        scoped_stock_levels(actor)
        .filter(LOW_STOCK)
        .select_related("branch", "variant__product")
        .order_by("available", "variant__product__name")
    )


def stores_for_new_branch(*, actor: Membership) -> QuerySet[Store]:
    """The open stores the actor may add a branch to (a closed store gets none until it reopens)."""
    return scoped_stores(actor).filter(is_active=True).order_by("name")
