"""What shoppers do (public schema): every behaviour event as recorded, running totals per subject, per-product daily
counts of events past their retention, and each shopper's wishes about being recorded.

Requests never write here: they push events onto a Redis list (`recorder.behaviour_record_many`, one round trip) and
a Celery beat task drains the list in batches (`services.behaviour_drain`): one bulk INSERT of the events and one
upsert of the totals per batch. `BehaviourEvent` keeps who did what, for recommendations (per-shopper taste), for
RETENTION_DAYS; then `BehaviourDaily` keeps only how often each product was seen, clicked, added and bought per day.
`BehaviourTotal` keeps what the reels feed ranks by and the console's per-reel statistics read.

Items are products: every branch and variant of one product is one item, `(merchant_id, product_id)`. A product's
events have subject `product` and subject_id = product_id = the product's id in its merchant's schema; a reel's
events have subject `reel` and carry the tapped or added product in product_id.
"""

from django.db import models


class EventKind(models.TextChoices):
    VIEW = "view", "View"  # the subject came into view (a reel started playing, a product's page was opened)
    IMPRESSION = "impression", "Impression"  # a product shown in a list of results, at `position`
    SEARCH_CLICK = "search_click", "Search click"  # from a list of results to the product at `position`
    WATCH = "watch", "Watch"  # watched for watch_ms of duration_ms (sent when the reel leaves the view)
    PRODUCT_TAP = "product_tap", "Product tap"
    ADD_TO_CART = "add_to_cart", "Add to cart"
    PURCHASE = "purchase", "Purchase"  # a placed order's product (one event per product of each shop's order)
    ORDER = "order", "Order"  # an order holding a product the shopper added from the subject (a reel)
    SHARE = "share", "Share"
    SHELF_CLICK = "shelf_click", "Shelf click"  # from a recommendations shelf to the product at `position`


class Subject(models.TextChoices):
    REEL = "reel", "Reel"
    LISTING = "listing", "Listing"
    PRODUCT = "product", "Product"  # every branch and variant of one product: (merchant_id, product id)


class Surface(models.TextChoices):
    """Where the shopper was when it happened (blank: the client did not say)."""

    PRODUCT = "product", "Product page"
    SEARCH = "search", "Search results"
    CATEGORY = "category", "Category page"
    REEL = "reel", "Reels"
    CART = "cart", "Cart"
    CHECKOUT = "checkout", "Checkout"
    # Recommendation shelves (marketplace/recommendations): their impressions and clicks carry `r:<model label>`.
    HOME = "home", "Home: for you near you"
    PRODUCT_TOGETHER = "product_together", "Product page: often bought together"
    PRODUCT_SIMILAR = "product_similar", "Product page: similar nearby"
    CART_ADDONS = "cart_addons", "Cart add-ons"
    ORDER = "order", "Order page"


SHELF_SURFACES = frozenset(
    {Surface.HOME, Surface.PRODUCT_TOGETHER, Surface.PRODUCT_SIMILAR, Surface.CART_ADDONS, Surface.ORDER}
)


class BehaviourEvent(models.Model):
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    subject = models.CharField(max_length=16, choices=Subject.choices)
    merchant_id = models.BigIntegerField(help_text="The merchant whose subject it is (a reel's id is per merchant).")
    subject_id = models.BigIntegerField(help_text="The subject's id in its merchant's schema (a reel's, a product's).")
    shopper = models.CharField(max_length=48, blank=True, help_text="u:<user id> | g:<guest id> | '' (anonymous).")
    product_id = models.BigIntegerField(null=True, blank=True)
    watch_ms = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(
        null=True, blank=True, help_text="Impressions and search clicks: the product's place in the results, from 1."
    )
    surface = models.CharField(max_length=20, choices=Surface.choices, blank=True)
    context = models.CharField(
        max_length=90,
        blank=True,
        help_text="The search an impression or click belongs to: q:<keyed hash of the words> or c:<category slug>; "
        "a shelf's: r:<model label>.",
    )
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["shopper", "at"], name="behaviour_event_shopper"),
            models.Index(fields=["merchant_id", "subject", "subject_id"], name="behaviour_event_subject"),
            models.Index(fields=["at"], name="behaviour_event_at"),  # the retention sweep takes the oldest first
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
    orders = models.BigIntegerField(default=0)  # a reel's attributed orders; a product's purchases
    shares = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)
    search_clicks = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "merchant_id", "subject_id"], name="behaviour_total_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject}:{self.merchant_id}/{self.subject_id}: {self.views} views"


class BehaviourDaily(models.Model):
    """How many events of each kind a product had on a day, once the events themselves are past their retention
    (services.behaviour_events_retire folds them in here and deletes them). Nobody's: no shopper is kept."""

    day = models.DateField()
    subject = models.CharField(max_length=16, choices=Subject.choices)
    merchant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    events = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "subject", "merchant_id", "product_id", "kind"], name="behaviour_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["merchant_id", "product_id", "day"], name="behaviour_daily_product")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.merchant_id}/{self.product_id}: {self.events}"


class BehaviourShopper(models.Model):
    """One shopper's wishes and history, as the drain needs them: whether they may be recorded, when they last
    cleared their history (events from before that still queued in Redis are dropped), and for a guest who signed
    in, the account their events belong to now. A shopper without a row is recorded, never cleared, and is itself."""

    shopper = models.CharField(max_length=48, primary_key=True, help_text="u:<user id> | g:<guest id>")
    recording = models.BooleanField(default=True, help_text="False: the shopper opted out; nothing is recorded.")
    chosen = models.BooleanField(default=False, help_text="The shopper set `recording` themselves.")
    cleared_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.CharField(max_length=48, blank=True, help_text="A guest's account since sign-in.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.shopper}: {'recording' if self.recording else 'opted out'}"


class ShelfDaily(models.Model):
    """Per day (the platform's time zone), recommendation shelf and model: how many products were shown and how many
    were followed. Added to by each drain from the shelves' impressions and clicks, so the admin's click-through
    reads a few rows per day, never the events."""

    day = models.DateField()
    surface = models.CharField(max_length=20, choices=Surface.choices)
    model = models.CharField(max_length=40, help_text="The shelf's model label: <algorithm>#<id>, or popular.")
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "recommendation shelf day"
        constraints = [models.UniqueConstraint(fields=["day", "surface", "model"], name="behaviour_shelf_daily_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.surface} {self.model}: {self.clicks}/{self.impressions}"
