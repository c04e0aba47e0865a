"""Merchants (tenants) and their hosts. Public schema."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class MerchantStatus(models.TextChoices):
    """Signed-up merchants start PENDING: the console is open, customers see nothing. "Go live" makes them ACTIVE
    at once, or AWAITING_APPROVAL when the platform reviews new merchants (OnboardingPolicy); an operator then
    approves (ACTIVE) or rejects (back to PENDING with a reason the merchant reads in the console)."""

    PENDING = "pending", _("Not live yet")  # console open, listings hidden
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")  # console open, listings hidden
    ACTIVE = "active", _("Live")
    SUSPENDED = "suspended", _("Suspended")  # console and listings closed; data kept
    ARCHIVED = "archived", _("Archived")  # schema renamed out of the way; purge drops it


# Whose console host answers: a merchant still setting up works in its console before customers see it.
CONSOLE_OPEN_STATUSES = frozenset({MerchantStatus.PENDING, MerchantStatus.AWAITING_APPROVAL, MerchantStatus.ACTIVE})


class Merchant(TenantMixin):
    """One merchant = one PostgreSQL schema. Created only through `tenants.services.merchant_provision`."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    status = models.CharField(max_length=20, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE)
    owner = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="owned_merchants", null=True, blank=True
    )  # null only for the public row
    # Denormalized figures for marketplace cards, refreshed by a tenant-aware task (tenant_apps.stores.tasks).
    area = models.CharField(max_length=80, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    # What the shop sells, chosen at sign-up (a root category): starter product lists are offered from it.
    category = models.ForeignKey(
        "categories.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # categories are hidden, never deleted (ADR 0001); SET_NULL only guards a manual delete
    created_at = models.DateTimeField(auto_now_add=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Onboarding (tenants.services.merchant_go_live / merchant_approve / merchant_reject).
    review_requested_at = models.DateTimeField(null=True, blank=True)
    went_live_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, help_text=_("Shown to the merchant in its console."))
    # Reels: a trusted merchant's reels go out after the automatic checks alone, without an operator (ADR 0013).
    reels_trusted = models.BooleanField(default=False, help_text=_("Its reels skip the operators' review."))
    status_changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # who last moved it along onboarding: the owner who pressed "Go live" or the operator who reviewed it

    auto_create_schema = False  # provisioning owns schema creation (fast path), never a bare save()
    auto_drop_schema = False  # schemas are archived first, then purged explicitly

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def console_open(self) -> bool:
        return self.status in CONSOLE_OPEN_STATUSES

    @property
    def is_listed(self) -> bool:
        """Customers may see it (the listing sync and merchants_listed() ask the same: status ACTIVE)."""
        return self.status == MerchantStatus.ACTIVE


class ApprovalQueueEntry(Merchant):
    """The admin's approval queue: merchants waiting for an operator (a filtered view of Merchant, no table)."""

    class Meta:
        proxy = True
        verbose_name = _("merchant waiting for approval")
        verbose_name_plural = _("approval queue")


class OnboardingPolicy(models.Model):
    """The platform's rules for new merchants, editable by operators in the admin. One row (pk=1); until an
    operator saves it, the MERCHANT_APPROVAL_REQUIRED setting (environment) decides."""

    approval_required = models.BooleanField(
        default=False,
        help_text=_(
            "On: a new merchant who presses Go live waits for an operator to approve it in the approval queue. "
            "Off: it goes live at once."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("onboarding policy")
        verbose_name_plural = _("onboarding policy")

    def __str__(self) -> str:
        return str(_("Onboarding policy"))


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
