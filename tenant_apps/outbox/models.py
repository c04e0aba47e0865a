"""Changes customers can see, written in the same transaction as the change, published to the public Listing
index by a Celery task (kicked on commit, swept by beat). The id orders events and versions listings."""

from django.db import models


class Entity(models.TextChoices):
    STORE = "store", "Store"
    BRANCH = "branch", "Branch"
    PRODUCT = "product", "Product"
    VARIANT = "variant", "Variant"
    STOCK = "stock", "Stock"  # entity_id = variant, branch_id set
    REEL = "reel", "Reel"  # entity_id = reel; payload = the reel as the feed shows it (tenant_apps/reels/__init__.py)


class OutboxEvent(models.Model):
    entity = models.CharField(max_length=10, choices=Entity.choices)
    entity_id = models.BigIntegerField()
    branch_id = models.BigIntegerField(null=True, blank=True)
    # Only for reels: the whole reel as the public feed shows it, rebuilt from state at each event (ADR 0013).
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(published_at__isnull=True), name="outbox_unpublished"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.entity}:{self.entity_id}"
