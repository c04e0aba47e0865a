"""Celery entry points of the listing sync (thin: the work is in sync.py)."""

from celery import shared_task
from django.db import connection

from kernel.outages import OUTAGES
from marketplace.discovery.search_text import search_terms_refresh
from marketplace.listings import sync
from tenant_apps.outbox.services import outbox_kick_taken
from tenants.models import Merchant, MerchantStatus


# A database or Redis that does not answer (a restart) is waited out here: the kick is this merchant's only news
# until the beat sweep, and the worker's next try opens a fresh connection.
@shared_task(
    name="marketplace.listings.tasks.listings_publish",
    acks_late=True,
    autoretry_for=OUTAGES,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=False,
    max_retries=8,
)
def listings_publish(schema: str) -> int:
    """Kicked after commit of any customer-visible change; safe to run any number of times."""
    outbox_kick_taken(schema)  # before reading the outbox: a change committed from now on kicks again
    connection.set_schema_to_public()
    return sync.listings_publish(schema=schema).events


@shared_task(name="marketplace.listings.tasks.listings_sweep")
def listings_sweep() -> int:
    """Beat: publish for every merchant whose outbox still holds events (a lost kick, a worker that died)."""
    connection.set_schema_to_public()
    schemas = list(
        Merchant.objects.exclude(schema_name="public")
        .exclude(status=MerchantStatus.ARCHIVED)
        .values_list("schema_name", flat=True)
    )
    pending = sync.schemas_with_pending_events(schemas)
    for schema in pending:
        listings_publish.delay(schema=schema)
    return len(pending)


@shared_task(name="marketplace.listings.tasks.search_terms_refresh")
def search_terms_refresh_task() -> int:
    """Beat: the search vocabulary (typo correction) follows the index within minutes."""
    connection.set_schema_to_public()
    return search_terms_refresh()


@shared_task(name="marketplace.listings.tasks.listings_rebuild", acks_late=True)
def listings_rebuild(schema: str) -> int:
    """Sent by tenants.services after commit when a merchant becomes visible or hidden (goes live, is approved,
    suspended, reactivated): its rows are recomputed from its schema. Idempotent."""
    connection.set_schema_to_public()
    if not Merchant.objects.filter(schema_name=schema).exclude(status=MerchantStatus.ARCHIVED).exists():
        return 0  # archived (schema renamed) since the kick: nothing of it is listed any more
    return sync.listings_rebuild(schema=schema).upserted
