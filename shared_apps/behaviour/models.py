"""What shoppers do (public schema): every behaviour event as recorded, and running totals per subject.

Requests never write here: they push events onto a Redis list (`recorder.behaviour_record`, one round trip) and a
Celery beat task drains the list in batches (`services.behaviour_drain`): one bulk INSERT of the events and one
upsert of the totals per batch. `BehaviourEvent` keeps who did what, for recommendations (per-shopper taste);
`BehaviourTotal` keeps what the reels feed ranks by and the console's per-reel statistics read.
"""

from django.db import models


class EventKind(models.TextChoices):
    VIEW = "view", "View"  # the subject came into view (a reel started playing)
    WATCH = "watch", "Watch"  # watched for watch_ms of duration_ms (sent when the reel leaves the view)
    PRODUCT_TAP = "product_tap", "Product tap"
    ADD_TO_CART = "add_to_cart", "Add to cart"
    ORDER = "order", "Order"  # an order holding a product the shopper added from the subject
    SHARE = "share", "Share"


class Subject(models.TextChoices):
    REEL = "reel", "Reel"
    LISTING = "listing", "Listing"


class BehaviourEvent(models.Model):
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    subject = models.CharField(max_length=16, choices=Subject.choices)
    merchant_id = models.BigIntegerField(help_text="The merchant whose subject it is (a reel's id is per merchant).")
    subject_id = models.BigIntegerField(help_text="The subject's id in its merchant's schema (a reel's id).")
    shopper = models.CharField(max_length=48, blank=True, help_text="u:<user id> | g:<guest id> | '' (anonymous).")
    product_id = models.BigIntegerField(null=True, blank=True)
    watch_ms = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["shopper", "at"], name="behaviour_event_shopper"),
            models.Index(fields=["merchant_id", "subject", "subject_id"], name="behaviour_event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}:{self.merchant_id}/{self.subject_id} by {self.shopper or 'anonymous'}"


class BehaviourTotal(models.Model):
    """Running totals per subject, added to by each drain (never recomputed from the events)."""

    subject = models.CharField(max_length=16, choices=Subject.choices)
    merchant_id = models.BigIntegerField()
    subject_id = models.BigIntegerField()
    views = models.BigIntegerField(default=0)
    watches = models.BigIntegerField(default=0)
    watch_ms = models.BigIntegerField(default=0)
    # Each watch adds min(watch_ms / duration_ms, 1): a 10 s reel watched to the end adds as much as a 60 s one.
    watch_fraction = models.FloatField(default=0)
    completions = models.BigIntegerField(default=0)
    product_taps = models.BigIntegerField(default=0)
    add_to_carts = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "merchant_id", "subject_id"], name="behaviour_total_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject}:{self.merchant_id}/{self.subject_id}: {self.views} views"
