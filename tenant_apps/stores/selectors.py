from django.db.models import Count, QuerySet

from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.staff.models import Membership
from tenant_apps.stores.models import Branch, Store


def stores_for(*, actor: Membership) -> QuerySet[Store]:
    """Stores the member may see: all for a Merchant, its own store otherwise."""
    stores = Store.objects.annotate(branch_count=Count("branches", distinct=True)).order_by("name")
    if actor.role == "merchant":
        return stores
    if actor.store_id:
        return stores.filter(pk=actor.store_id)
    return stores.filter(branches=actor.branch_id)


def console_summary(*, actor: Membership) -> dict[str, int]:
    store_ids = list(stores_for(actor=actor).values_list("pk", flat=True))
    branches = Branch.objects.filter(store_id__in=store_ids)
    if actor.branch_id:
        branches = branches.filter(pk=actor.branch_id)
    products = Product.objects.filter(store_id__in=store_ids)
    return {
        "stores": len(store_ids),
        "branches": branches.count(),
        "products": products.count(),
        "active_products": products.filter(status=ProductStatus.ACTIVE).count(),
    }
