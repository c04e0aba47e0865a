"""Who works for this merchant and in what scope (tenant schema). The user itself lives in public."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    MERCHANT = "merchant", "Merchant"  # every store and branch of the tenant
    SHOP_OWNER = "shop_owner", "Shop owner"  # one store and its branches
    BRANCH_MANAGER = "branch_manager", "Branch manager"  # one branch
    EMPLOYEE = "employee", "Employee"  # assigned duties in one branch


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.CASCADE)
    branch = models.ForeignKey("stores.Branch", null=True, blank=True, on_delete=models.CASCADE)
    duties = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="membership_one_per_user"),
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(role="merchant", store__isnull=True, branch__isnull=True)
                    | models.Q(role="shop_owner", store__isnull=False, branch__isnull=True)
                    | models.Q(role__in=["branch_manager", "employee"], branch__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.get_role_display()}"
