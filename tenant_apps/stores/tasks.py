"""The public card of a merchant (Merchant.stats): counted in its schema, written to its public row. Tenant-aware:
sent from a tenant context, a task runs in that schema (config/celery.py)."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.stores.models import Branch, Store
from tenants.models import Merchant
from tenants.selectors import merchants_listed


@shared_task(name="tenant_apps.stores.tasks.merchant_stats_refresh")
def merchant_stats_refresh() -> dict[str, int]:
    """Recount the current tenant's stores, branches and active products onto its public Merchant row (cards)."""
    schema = connection.schema_name
    stats = {
        "stores": Store.objects.filter(is_active=True).count(),
        "branches": Branch.objects.filter(is_active=True).count(),
        "products": Product.objects.filter(status=ProductStatus.ACTIVE).count(),
    }
    Merchant.objects.filter(schema_name=schema).update(stats=stats)
    return stats


@shared_task(name="tenant_apps.stores.tasks.merchant_stats_refresh_all")
def merchant_stats_refresh_all() -> int:
    """Beat: fan out one tenant-context refresh per listed merchant."""
    schemas = list(merchants_listed().values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            merchant_stats_refresh.delay()
    return len(schemas)
