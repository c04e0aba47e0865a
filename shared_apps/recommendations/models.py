"""What serving reads (public schema): each region's trained models, versioned, and what they precomputed.

A training (`TrainedModel`) writes every row it precomputes under its own id while the region's current model keeps
serving, then becomes the region's one ACTIVE model in one transaction (the previous one is RETIRED and its rows
deleted later). Serving therefore never sees half a training, and a failed training changes nothing.

Items are products: `(merchant_id, product_id)`, every branch and variant of one product (ADR 0014). Lists are
parallel arrays, best first: one row read per item, never one row per pair.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class ModelStatus(models.TextChoices):
    TRAINING = "training", "Training"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
    FAILED = "failed", "Failed"


class TrainedModel(models.Model):
    """One training of one region: the algorithm validation chose, what it learned from, what it cost."""

    region = models.CharField(max_length=80, help_text="The branches' city (normalised), else their H3 r3 cell.")
    algorithm = models.CharField(max_length=32, blank=True, help_text="The served model validation chose.")
    params = models.JSONField(default=dict, blank=True)
    validation = models.JSONField(default=dict, blank=True, help_text="Each model tried: validation NDCG@10.")
    users = models.IntegerField(default=0)
    items = models.IntegerField(default=0)
    events = models.BigIntegerField(default=0)
    fit_seconds = models.FloatField(default=0)
    peak_mb = models.FloatField(default=0)
    status = models.CharField(max_length=12, choices=ModelStatus.choices, default=ModelStatus.TRAINING)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(status=ModelStatus.ACTIVE), name="recommendation_model_one_active"
            )
        ]
        indexes = [models.Index(fields=["status", "region"], name="reco_model_status")]

    def __str__(self) -> str:
        return f"{self.region} #{self.pk} {self.algorithm} ({self.status})"


class NeighbourKind(models.TextChoices):
    SIMILAR = "similar", "Similar"  # the served model's item-item weights: taken by the same shoppers
    TOGETHER = "together", "Bought together"  # co-occurrence within one order


class ItemNeighbours(models.Model):
    """An item's precomputed top-N: the products most worth showing beside it, best first."""

    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="neighbours")
    kind = models.CharField(max_length=12, choices=NeighbourKind.choices)
    merchant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    neighbour_merchants = ArrayField(models.BigIntegerField())
    neighbour_products = ArrayField(models.BigIntegerField())
    scores = ArrayField(models.FloatField())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "merchant_id", "product_id", "model"], name="recommendation_neighbours_unique"
            )
        ]
        indexes = [models.Index(fields=["model"], name="reco_neighbours_model")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.merchant_id}/{self.product_id}: {len(self.neighbour_products)}"


class PopularItems(models.Model):
    """Cold start: what shoppers take most from the branches of one H3 resolution-6 cell, per part of the day and
    kind of day in Asia/Karachi (`daypart` and `weekend` null: at any time), best first."""

    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="popular")
    h3_r6 = models.BigIntegerField()
    daypart = models.SmallIntegerField(null=True, blank=True)
    weekend = models.BooleanField(null=True, blank=True)
    merchants = ArrayField(models.BigIntegerField())
    products = ArrayField(models.BigIntegerField())
    scores = ArrayField(models.FloatField())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["h3_r6", "daypart", "weekend", "model"],
                name="recommendation_popular_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["model"], name="reco_popular_model")]

    def __str__(self) -> str:
        return f"popular in {self.h3_r6:x} ({self.daypart}, {self.weekend}): {len(self.products)}"
