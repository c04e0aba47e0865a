"""Who works for this merchant and in what scope (tenant schema). The user itself lives in public."""

from django.conf import settings
from django.db import models

from tenant_apps.staff.permissions import Perm, permissions_for
from tenant_apps.staff.roles import Role

SCOPE_MATCHES_ROLE = (
    models.Q(role="merchant", store__isnull=True, branch__isnull=True)
    | models.Q(role="shop_owner", store__isnull=False, branch__isnull=True)
    | models.Q(role__in=["branch_manager", "employee"], store__isnull=True, branch__isnull=False)
)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    role = models.CharField(max_length=20, choices=Role.choices)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.CASCADE)
    branch = models.ForeignKey("stores.Branch", null=True, blank=True, on_delete=models.CASCADE)
    duties = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="membership_one_per_user"),
            models.CheckConstraint(name="membership_scope_matches_role", condition=SCOPE_MATCHES_ROLE),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.get_role_display()}"

    @property
    def permissions(self) -> frozenset[Perm]:
        return permissions_for(role=self.role, duties=self.duties)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """An offer of a role to a phone number; the person accepts on this console after signing in with that phone."""

    phone = models.CharField(max_length=20)
    role = models.CharField(max_length=20, choices=Role.choices)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.CASCADE)
    branch = models.ForeignKey("stores.Branch", null=True, blank=True, on_delete=models.CASCADE)
    duties = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When its SMS last went out.")
    sends = models.PositiveSmallIntegerField(default=0, help_text="How many SMS it has cost so far.")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=models.Q(status="pending"), name="invitation_one_pending_per_phone"
            ),
            models.CheckConstraint(name="invitation_scope_matches_role", condition=SCOPE_MATCHES_ROLE),
        ]

    def __str__(self) -> str:
        return f"{self.phone} as {self.get_role_display()}"


class AuditEntry(models.Model):
    """Who changed what, when: one row per write, in the write's transaction (tenant_apps/staff/audit.py writes and
    reads them). `store_id`/`branch_id` say whose scope sees it; `data` keeps before/after and the names at the time."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    action = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, blank=True, help_text="audit.AuditKind: the first word of the action.")
    store_id = models.BigIntegerField(null=True, blank=True)  # no FK: a deleted store's history stays
    branch_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_newest"),
            models.Index(fields=["store_id", "-created_at"], name="audit_store"),
            models.Index(fields=["branch_id", "-created_at"], name="audit_branch"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
