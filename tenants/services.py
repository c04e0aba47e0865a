"""Merchant lifecycle: provision → (suspend ⇄ reactivate) → archive → purge. Every step is one transaction."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants import schema_replay, schema_spares
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Domain, Merchant, MerchantStatus
from tenants.signals import merchant_provisioned

SLUG_PATTERN = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-)){1,38}[a-z0-9]$")
PROVISIONING_LOCK_KEY = 7_301_001  # pg advisory lock id; any constant unique within this database
RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "app",
        "static",
        "media",
        "assets",
        "cdn",
        "public",
        "console",
        "dashboard",
        "help",
        "support",
        "status",
        "docs",
        "mail",
        "smtp",
        "ftp",
        "auth",
        "login",
        "signin",
        "signup",
        "account",
        "accounts",
        "billing",
        "payments",
        "pay",
        "checkout",
        "cart",
        "shop",
        "store",
        "stores",
        "merchant",
        "merchants",
        "sandbox",
        "sandboxes",
        "root",
        "test",
        "dev",
        "staging",
        "internal",
        "platform",
    }
)


def slug_validate(slug: str) -> str:
    """A slug becomes a DNS label (<slug>.localhost) and a schema name: lowercase, 3-40 chars, no reserved words."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise TenantsError(TenantsErrorCode.SLUG_INVALID, field="slug")
    if slug in RESERVED_SLUGS:
        raise TenantsError(TenantsErrorCode.SLUG_RESERVED, field="slug")
    return slug


def schema_name_for(slug: str) -> str:
    return "m_" + slug.replace("-", "_")  # prefix keeps merchant schemas clear of public, pg_* and our own


def merchant_domain(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def merchant_provision(*, name: str, slug: str, owner_phone: str, area: str = "") -> Merchant:
    """Create merchant row, domain, schema and owner membership atomically.

    The schema is a verified spare renamed (schema_spares.py: the cost does not grow with the tenant tables), or,
    when the pool has none of the current shape, the recorded DDL replayed here.

    The owner's account and membership are made by the receivers of `merchant_provisioned` (accounts and staff live
    on floors above this one), inside this transaction and in the new schema: when one raises, nothing is left.

    Raises TenantsError (SLUG_INVALID, SLUG_RESERVED, SLUG_TAKEN, NAME_INVALID, PHONE_INVALID); on any error nothing
    is left behind, not even the schema. Two concurrent calls for one slug: one succeeds, the other gets SLUG_TAKEN.
    """
    name = (name or "").strip()
    if not 2 <= len(name) <= 120:
        raise TenantsError(TenantsErrorCode.NAME_INVALID, field="name")
    slug_validate(slug)
    script = schema_replay.current_script()
    try:
        with transaction.atomic():
            # One provisioning at a time: creating a schema's foreign keys into public tables takes
            # SHARE ROW EXCLUSIVE locks on them, which deadlocks against a concurrent provisioning's inserts.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PROVISIONING_LOCK_KEY])
            if Merchant.objects.filter(slug=slug).exists():
                raise TenantsError(TenantsErrorCode.SLUG_TAKEN, field="slug")
            merchant = Merchant(name=name, slug=slug, schema_name=schema_name_for(slug), area=area)
            merchant.save()
            Domain.objects.create(domain=merchant_domain(slug), tenant=merchant, is_primary=True)
            if not schema_spares.spare_claim(schema_name=merchant.schema_name, shape=script.shape):
                schema_replay.schema_create(merchant.schema_name, script)
            with schema_context(merchant.schema_name):
                merchant_provisioned.send(sender=Merchant, merchant=merchant, owner_phone=owner_phone)
    except (IntegrityError, ValidationError) as exc:  # ValidationError: django-tenants' own uniqueness check
        raise TenantsError(TenantsErrorCode.SLUG_TAKEN, field="slug") from exc
    return merchant


def _transition(merchant: Merchant, allowed_from: set[str]) -> Merchant:
    locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if locked.status not in allowed_from or locked.is_public:
        raise TenantsError(TenantsErrorCode.STATE_INVALID)
    return locked


def merchant_suspend(*, merchant: Merchant) -> Merchant:
    """Close the console and hide the merchant from customers; all data stays. Raises STATE_INVALID unless active."""
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.ACTIVE})
        merchant.status, merchant.suspended_at = MerchantStatus.SUSPENDED, timezone.now()
        merchant.save(update_fields=["status", "suspended_at"])
    return merchant


def merchant_reactivate(*, merchant: Merchant) -> Merchant:
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.SUSPENDED})
        merchant.status, merchant.suspended_at = MerchantStatus.ACTIVE, None
        merchant.save(update_fields=["status", "suspended_at"])
    return merchant


def merchant_archive(*, merchant: Merchant) -> Merchant:
    """Step one of deletion: rename the schema out of the way and remove the hosts. Data is kept until purge."""
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED})
        archived_schema = f"archived_{merchant.pk}_{int(time.time())}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER SCHEMA {schema_replay.quote_schema(merchant.schema_name)} "
                f"RENAME TO {schema_replay.quote_schema(archived_schema)}"
            )
        merchant.domains.all().delete()
        merchant.schema_name, merchant.status, merchant.archived_at = (
            archived_schema,
            MerchantStatus.ARCHIVED,
            timezone.now(),
        )
        merchant.save(update_fields=["schema_name", "status", "archived_at"])
    return merchant


def merchant_purge(*, merchant: Merchant) -> None:
    """Step two: drop the archived schema and the merchant row. Raises STATE_INVALID unless archived first."""
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.ARCHIVED})
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks may be pending on dropped tables
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema_replay.quote_schema(merchant.schema_name)} CASCADE")
        Merchant.objects.filter(pk=merchant.pk).delete()
