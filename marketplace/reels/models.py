"""The reels feed's index (public schema): one `ReelCard` per published reel, one `ReelPlacement` per (reel, branch
it applies to), kept from the merchants' outbox events `reel.published` / `reel.withdrawn` (sync.py); and what
shoppers keep: likes, saves and the shops they follow (a user or a guest, as the cart).

A placement carries its branch's H3 cells (as `Listing` does, ADR 0004) and `score`: everything of the ranking that
does not depend on the customer (quality, freshness, stock, open now), recomputed by beat (ranking.py). A feed page
then reads the best placements of each cell around the customer through the (cell, score) indexes.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F


class ReelCard(models.Model):
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="reel_cards")
    reel_id = models.BigIntegerField(help_text="The reel's id in its merchant's schema.")
    merchant_slug = models.CharField(max_length=40)
    shop_name = models.CharField(max_length=120)
    store_slug = models.CharField(max_length=60, blank=True)
    caption = models.TextField(blank=True)
    hls_url = models.URLField(max_length=500, blank=True)
    mp4_url = models.URLField(max_length=500, blank=True)
    webm_url = models.URLField(max_length=500, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    duration_s = models.FloatField()
    products = models.JSONField(default=list, help_text='[{"id": product id, "name": ...}] in the merchant\'s order.')
    product_ids = ArrayField(models.BigIntegerField(), default=list)
    published_at = models.DateTimeField()
    likes = models.IntegerField(default=0)
    saves = models.IntegerField(default=0)
    quality = models.FloatField(default=0, help_text="Smoothed completion x engagement (ranking.py), by beat.")
    version = models.BigIntegerField(default=0, help_text="The outbox event id this row reflects; never goes back.")
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "reel_id"], name="reel_card_unique_source")]
        indexes = [models.Index(F("published_at").desc(), F("id").desc(), name="reel_card_newest")]

    def __str__(self) -> str:
        return f"reel {self.merchant_slug}/{self.reel_id}"


class ReelPlacement(models.Model):
    card = models.ForeignKey(ReelCard, on_delete=models.CASCADE, related_name="placements")
    merchant_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    h3_r6 = models.BigIntegerField()
    h3_r7 = models.BigIntegerField()
    h3_r8 = models.BigIntegerField()
    published_at = models.DateTimeField(help_text="The card's: a scheduled reel is in the feed from then.")
    in_stock = models.BooleanField(default=True, help_text="Some tagged product is in stock at this branch.")
    open_now = models.BooleanField(default=True)
    score = models.FloatField(
        default=0,
        help_text="log(quality x stock x open now) + freshness as log-time (ranking.py): orders placements without "
        "being rewritten as time passes.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["card", "branch_id"], name="reel_placement_unique")]
        indexes = [
            # a feed page reads each cell's best placements in score order (selectors.py)
            models.Index(F("h3_r6"), F("score").desc(), name="reel_placement_r6_score"),
            models.Index(F("h3_r7"), F("score").desc(), name="reel_placement_r7_score"),
            models.Index(F("h3_r8"), F("score").desc(), name="reel_placement_r8_score"),
            models.Index(fields=["merchant_id", "branch_id"], name="reel_placement_branch"),
        ]

    def __str__(self) -> str:
        return f"{self.card} @ branch {self.branch_id}"


class _ShopperOwned(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    guest = models.ForeignKey("accounts.Guest", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        owner = f"user {self.user_id}" if self.user_id else f"guest {self.guest_id}"
        return f"{type(self).__name__} of {owner}"


def _owner_constraints(name: str, target: str) -> list:
    return [
        models.CheckConstraint(
            condition=models.Q(user__isnull=False, guest__isnull=True)
            | models.Q(user__isnull=True, guest__isnull=False),
            name=f"{name}_has_one_owner",
        ),
        models.UniqueConstraint(fields=["user", target], name=f"{name}_unique_user"),
        models.UniqueConstraint(fields=["guest", target], name=f"{name}_unique_guest"),
    ]


class ReelLike(_ShopperOwned):
    card = models.ForeignKey(ReelCard, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = _owner_constraints("reel_like", "card")


class ReelSave(_ShopperOwned):
    card = models.ForeignKey(ReelCard, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = _owner_constraints("reel_save", "card")


class ShopFollow(_ShopperOwned):
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = _owner_constraints("shop_follow", "merchant")


class ReelOrder(models.Model):
    """A part of a customer's order holding a product the same shopper had added to the cart from a reel of that
    merchant within ATTRIBUTION_DAYS before ordering (attribution.py). One row per (part, reel): beat may look at an
    order again, the order counts once."""

    part_id = models.BigIntegerField()
    merchant_id = models.BigIntegerField()
    reel_id = models.BigIntegerField(help_text="The reel's id in its merchant's schema.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["part_id", "reel_id"], name="reel_order_unique")]

    def __str__(self) -> str:
        return f"part {self.part_id} from reel {self.merchant_id}/{self.reel_id}"
