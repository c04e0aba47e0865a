from django.db.models import Count, QuerySet

from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.staff.access import scoped_branches, scoped_memberships, scoped_stores
from tenant_apps.staff.models import Membership
from tenant_apps.stores.models import Store


def stores_with_counts(*, actor: Membership) -> QuerySet[Store]:
    return scoped_stores(actor).annotate(branch_count=Count("branches", distinct=True)).order_by("name")


def console_summary(*, actor: Membership) -> dict[str, int]:
    """Dashboard figures inside the actor's scope (order figures arrive with orders)."""
    store_ids = list(scoped_stores(actor).values_list("pk", flat=True))
    products = Product.objects.filter(store_id__in=store_ids)
    return {
        "stores": len(store_ids),
        "branches": scoped_branches(actor).count(),
        "staff": scoped_memberships(actor).filter(is_active=True).count(),
        "products": products.count(),
        "active_products": products.filter(status=ProductStatus.ACTIVE).count(),
    }
