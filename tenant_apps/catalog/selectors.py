from django.db.models import Prefetch, QuerySet

from tenant_apps.catalog.models import Product, ProductMedia, Variant
from tenant_apps.staff.access import scoped_stores
from tenant_apps.staff.models import Membership


def scoped_products(actor: Membership) -> QuerySet[Product]:
    """Products of the stores the actor may see, with variants and media in two extra queries (not one per row)."""
    return (
        Product.objects.filter(store__in=scoped_stores(actor))
        .select_related("category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("pk")),
            Prefetch("media", queryset=ProductMedia.objects.order_by("position", "pk")),
        )
        .order_by("name", "pk")
    )


def scoped_variants(actor: Membership) -> QuerySet[Variant]:
    return Variant.objects.filter(product__store__in=scoped_stores(actor)).select_related("product")
