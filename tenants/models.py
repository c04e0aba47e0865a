"""Merchants (tenants) and their hosts. Public schema."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"  # console and listings closed; data kept
    ARCHIVED = "archived", "Archived"  # schema renamed out of the way; purge drops it


class Merchant(TenantMixin):
    """One merchant = one PostgreSQL schema. Created only through `tenants.services.merchant_provision`."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE)
    owner = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="owned_merchants", null=True, blank=True
    )  # null only for the public row
    # Denormalized figures for marketplace cards, refreshed by a tenant-aware task (tenant_apps.stores.tasks).
    area = models.CharField(max_length=80, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    auto_create_schema = False  # provisioning owns schema creation (fast path), never a bare save()
    auto_drop_schema = False  # schemas are archived first, then purged explicitly

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class TenantSchemaScript(models.Model):
    """The SQL that builds a tenant schema, recorded once per migration state (see schema_replay.py).

    `fingerprint` identifies the tenant migration graph the script was recorded from; `migrations` holds, in
    plan order, each migration's statements, so that a schema at any earlier state can be brought forward.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    migrations = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"tenant schema script {self.fingerprint[:12]}"


class TenantSchemaSpare(models.Model):
    """A tenant schema built ahead and verified, waiting to become a merchant's by a rename (see schema_spares.py).

    Not a merchant: no Merchant row and no Domain point at it, so no host, list or count ever includes it.
    `shape` is the shape digest the spare was verified to have; only spares of the current script's shape are claimed.
    """

    schema_name = models.CharField(max_length=63, unique=True)
    shape = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"spare tenant schema {self.schema_name}"
