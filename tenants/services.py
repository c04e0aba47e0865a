"""Merchant lifecycle: provision → (suspend ⇄ reactivate) → archive → purge. Every step is one transaction.

Self-serve merchants are provisioned PENDING and go live from their console's checklist:

| from              | service            | to                                                        |
|-------------------|--------------------|-----------------------------------------------------------|
| pending           | merchant_go_live   | active (approval off) or awaiting_approval (approval on)  |
| awaiting_approval | merchant_approve   | active                                                    |
| awaiting_approval | merchant_reject    | pending, with the reason the console shows                |

Becoming active (or leaving it) is told upwards after commit, by task name: the listing index is rebuilt for the
merchant (its earlier outbox events were published as "hidden") and the owner gets an SMS.
"""

from __future__ import annotations

import re
import secrets
import time
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from kernel.tasks import task_send
from tenants import schema_replay, schema_spares
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Domain, Merchant, MerchantStatus
from tenants.selectors import onboarding_approval_required
from tenants.signals import merchant_provisioned

LISTINGS_REBUILD_TASK = "marketplace.listings.tasks.listings_rebuild"  # the marketplace's index, a floor above
SMS_TASK = "shared_apps.sms.tasks.sms_deliver"
REJECTION_REASON_MAX = 500

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


def slug_candidates(name: str) -> list[str]:
    """Slugs derived from a business name, best first: "Ali's Kiryana Store" → ali-s-kiryana-store, …-2, …-3.
    Each passes slug_validate; a name with no Latin letters (e.g. written in Urdu) becomes "shop-…"."""
    base = re.sub(r"-{2,}", "-", slugify(name or "").replace("_", "-")).strip("-")
    if not base:
        base = "my-shop"
    elif not base[0].isalpha():
        base = f"shop-{base}"
    base = base[:36].strip("-")  # room for "-59" within the 40 characters of a DNS label we allow
    if len(base) < 3 or base in RESERVED_SLUGS:
        base = f"{base}-shop"
    return [base, *(f"{base}-{n}" for n in range(2, 60))]


def slug_free_for(name: str) -> str:
    """The first candidate slug for `name` that no merchant has (merchant_provision still guards the race)."""
    candidates = slug_candidates(name)
    taken = set(Merchant.objects.filter(slug__in=candidates).values_list("slug", flat=True))
    free = next((c for c in candidates if c not in taken), None)
    if free is None:
        return f"{candidates[0][:30]}-{secrets.token_hex(3)}"
    return free


def schema_name_for(slug: str) -> str:
    return "m_" + slug.replace("-", "_")  # prefix keeps merchant schemas clear of public, pg_* and our own


def merchant_domain(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def merchant_console_url(*, slug: str, path: str = "/") -> str:
    """The console's address as sent by SMS (SITE_URL_FORMAT says the scheme and port)."""
    return settings.SITE_URL_FORMAT.format(host=merchant_domain(slug)) + path


def merchant_provision(
    *,
    name: str,
    slug: str,
    owner_phone: str,
    area: str = "",
    pending: bool = False,
    category_id: int | None = None,
) -> Merchant:
    """Create merchant row, domain, schema and owner membership atomically.

    The schema is a verified spare renamed (schema_spares.py: the cost does not grow with the tenant tables), or,
    when the pool has none of the current shape, the recorded DDL replayed here.

    The owner's account and membership are made by the receivers of `merchant_provisioned` (accounts and staff live
    on floors above this one), inside this transaction and in the new schema: when one raises, nothing is left.

    `pending`: a self-serve sign-up, PENDING until it goes live from its console (customers see nothing of it).

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
            merchant = Merchant(
                name=name,
                slug=slug,
                schema_name=schema_name_for(slug),
                area=area,
                category_id=category_id,
                status=MerchantStatus.PENDING if pending else MerchantStatus.ACTIVE,
            )
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


def _listed_changed_on_commit(merchant: Merchant) -> None:
    """Customers' view of the merchant changed: the marketplace rebuilds its index rows after commit."""
    transaction.on_commit(partial(task_send, LISTINGS_REBUILD_TASK, schema=merchant.schema_name))


def _owner_sms_on_commit(merchant: Merchant, body: str) -> None:
    if merchant.owner_id is None:
        return
    phone = merchant.owner.phone
    transaction.on_commit(partial(task_send, SMS_TASK, to=phone, body=body))


def _live(merchant: Merchant, by: Any) -> None:
    merchant.status, merchant.went_live_at, merchant.status_changed_by = MerchantStatus.ACTIVE, timezone.now(), by
    merchant.rejection_reason, merchant.rejected_at = "", None
    merchant.save(update_fields=["status", "went_live_at", "status_changed_by", "rejection_reason", "rejected_at"])
    _listed_changed_on_commit(merchant)
    _owner_sms_on_commit(
        merchant,
        _("%(name)s is live on Planckly: customers near you can find and order from it now. Your console: %(url)s")
        % {"name": merchant.name, "url": merchant_console_url(slug=merchant.slug)},
    )


def merchant_go_live(*, merchant: Merchant, by: Any) -> Merchant:
    """The owner asks to go live (the console checklist): ACTIVE now and visible to customers when the platform does
    not review new merchants, else AWAITING_APPROVAL. Idempotent: already live or waiting, it is returned unchanged.
    Raises STATE_INVALID for a suspended or archived merchant. The SMS and the listing rebuild follow the commit."""
    with transaction.atomic():
        locked = Merchant.objects.select_for_update(of=("self",)).select_related("owner").get(pk=merchant.pk)
        if locked.status in (MerchantStatus.ACTIVE, MerchantStatus.AWAITING_APPROVAL):
            return locked
        if locked.status != MerchantStatus.PENDING or locked.is_public:
            raise TenantsError(TenantsErrorCode.STATE_INVALID)
        if onboarding_approval_required():
            locked.status, locked.review_requested_at = MerchantStatus.AWAITING_APPROVAL, timezone.now()
            locked.status_changed_by = by
            locked.save(update_fields=["status", "review_requested_at", "status_changed_by"])
        else:
            _live(locked, by)
    return locked


def merchant_approve(*, merchant: Merchant, by: Any) -> Merchant:
    """An operator approves a merchant waiting for approval: ACTIVE and visible (listings rebuilt after commit, the
    owner told by SMS). Raises STATE_INVALID unless it is waiting for approval (so a double click approves once)."""
    with transaction.atomic():
        locked = Merchant.objects.select_for_update(of=("self",)).select_related("owner").get(pk=merchant.pk)
        if locked.status != MerchantStatus.AWAITING_APPROVAL:
            raise TenantsError(TenantsErrorCode.STATE_INVALID)
        _live(locked, by)
    return locked


def merchant_reject(*, merchant: Merchant, by: Any, reason: str) -> Merchant:
    """An operator sends a waiting merchant back to PENDING with `reason` (shown in its console and sent by SMS); the
    owner fixes what it says and presses "Go live" again. Raises REASON_INVALID (empty or longer than 500
    characters) or STATE_INVALID unless it is waiting for approval; nothing changes then."""
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= REJECTION_REASON_MAX:
        raise TenantsError(TenantsErrorCode.REASON_INVALID, field="reason")
    with transaction.atomic():
        locked = Merchant.objects.select_for_update(of=("self",)).select_related("owner").get(pk=merchant.pk)
        if locked.status != MerchantStatus.AWAITING_APPROVAL:
            raise TenantsError(TenantsErrorCode.STATE_INVALID)
        locked.status, locked.rejection_reason, locked.rejected_at = MerchantStatus.PENDING, reason, timezone.now()
        locked.status_changed_by = by
        locked.save(update_fields=["status", "rejection_reason", "rejected_at", "status_changed_by"])
        _owner_sms_on_commit(
            locked,
            _("%(name)s is not live on Planckly yet: %(reason)s Fix this in your console, then press Go live: %(url)s")
            % {"name": locked.name, "reason": reason, "url": merchant_console_url(slug=locked.slug)},
        )
    return locked


def merchant_suspend(*, merchant: Merchant) -> Merchant:
    """Close the console and hide the merchant from customers; all data stays. Raises STATE_INVALID unless active."""
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.ACTIVE})
        merchant.status, merchant.suspended_at = MerchantStatus.SUSPENDED, timezone.now()
        merchant.save(update_fields=["status", "suspended_at"])
        _listed_changed_on_commit(merchant)
    return merchant


def merchant_reactivate(*, merchant: Merchant) -> Merchant:
    with transaction.atomic():
        merchant = _transition(merchant, {MerchantStatus.SUSPENDED})
        merchant.status, merchant.suspended_at = MerchantStatus.ACTIVE, None
        merchant.save(update_fields=["status", "suspended_at"])
        _listed_changed_on_commit(merchant)
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
