"""The marketplace's listing index (public schema): one row per variant x branch that sells it, denormalized from
every merchant schema by the outbox publisher. Customers only ever read this table, never a merchant schema."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q

# SQL: listings_geo_terms(search, h3_r6) (migration 0006); the search's conditions spell it the same way.
GEO_TERMS = Func(F("search"), F("h3_r6"), function="listings_geo_terms", output_field=SearchVectorField())


class Listing(models.Model):
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="listings")
    branch_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    merchant_slug = models.CharField(max_length=40)
    store_name = models.CharField(max_length=120)
    store_slug = models.CharField(max_length=60, db_default="")
    branch_name = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey("categories.Category", null=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    sku = models.CharField(max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Effective price: what the customer pays.")
    regular_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The merchant's base price; above `price` means an offer."
    )
    has_offer = models.GeneratedField(
        expression=Q(price__lt=F("regular_price")), output_field=models.BooleanField(), db_persist=True
    )
    currency = models.CharField(max_length=3)
    in_stock = models.BooleanField(default=False)
    available = models.IntegerField(default=0)
    # The product's "only N left" threshold: a page shows the badge when 0 < available <= it (never in SQL).
    low_stock_threshold = models.IntegerField(default=5, db_default=5)
    image_public_id = models.CharField(max_length=255, blank=True)
    # Coordinates are floats here (distance maths per row); the merchant's Branch keeps the exact decimals.
    latitude = models.FloatField()
    longitude = models.FloatField()
    # H3 cells (64-bit ids) of the branch at three resolutions: the search's ring prefilter (discovery/geo.py).
    h3_r6 = models.BigIntegerField()
    h3_r7 = models.BigIntegerField()
    h3_r8 = models.BigIntegerField()
    offers_pickup = models.BooleanField(default=True)
    offers_delivery = models.BooleanField(default=False)
    delivery_radius_km = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    search = SearchVectorField(null=True)
    popularity = models.FloatField(
        default=0,
        db_default=0,
        help_text="Units sold here in the last 30 days (the ledger's sales, as of the row's last sync).",
    )
    listed_at = models.DateTimeField(null=True, help_text="When the product was created: 'newest' sorts by it.")
    version = models.BigIntegerField(help_text="The merchant's outbox event id this row reflects; never goes back.")
    source_updated_at = models.DateTimeField(null=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "branch_id", "variant_id"], name="listing_unique_source"),
        ]
        indexes = [
            models.Index(fields=["h3_r6"], name="listing_h3_r6"),
            models.Index(fields=["h3_r7"], name="listing_h3_r7"),
            models.Index(fields=["h3_r8"], name="listing_h3_r8"),
            models.Index(fields=["category", "price"], name="listing_category_price"),
            models.Index(fields=["merchant", "product_id"], name="listing_product"),
            # A search without text over many branches walks one of these in its sort's order (search_browse.py).
            models.Index(fields=["price"], name="listing_price"),
            models.Index(fields=["merchant", "branch_id", "category"], name="listing_branch_category"),
            models.Index(fields=["popularity"], name="listing_popularity"),
            models.Index(F("listed_at").desc(nulls_last=True), F("id").desc(), name="listing_newest"),
            GinIndex(fields=["search"], name="listing_search"),
            # `search`'s lexemes, each prefixed by the listing's H3 resolution-6 cell ("86...f.sugar"): one probe
            # finds a word's listings within a circle's cells, where `search` lists the word's listings everywhere.
            # An expression index, not a stored column: stored, it made the heap half as large again and every
            # search read it; prefix queries without weights need no recheck of the rows.
            GinIndex(GEO_TERMS, name="listing_search_geo"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.variant_name} @ {self.branch_name}"


class BranchListing(models.Model):
    """One row per branch customers can buy from: where it is, when it is open and how it delivers. Kept by the
    same publisher as `Listing` from the merchant's Store and Branch rows."""

    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="branch_listings")
    branch_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    merchant_slug = models.CharField(max_length=40)
    store_name = models.CharField(max_length=120)
    store_slug = models.CharField(max_length=60)
    store_description = models.TextField(blank=True)
    branch_name = models.CharField(max_length=120)
    address = models.CharField(max_length=255)
    area = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    h3_r6 = models.BigIntegerField()
    h3_r7 = models.BigIntegerField()
    h3_r8 = models.BigIntegerField()
    opening_hours = models.JSONField(default=dict, blank=True)
    hours_exceptions = models.JSONField(default=dict, blank=True)
    offers_pickup = models.BooleanField(default=True)
    offers_delivery = models.BooleanField(default=False)
    offers_partner_delivery = models.BooleanField(default=False)
    delivery_radius_km = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    delivery_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    delivery_min_order = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="PKR")
    version = models.BigIntegerField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "branch_id"], name="branch_listing_unique_source"),
        ]
        indexes = [
            models.Index(fields=["h3_r6"], name="branch_listing_h3_r6"),
            models.Index(fields=["h3_r7"], name="branch_listing_h3_r7"),
        ]

    def __str__(self) -> str:
        return f"{self.store_name} — {self.branch_name}"


class SearchTerm(models.Model):
    """The index's vocabulary: every lexeme of `Listing.search` with how many listings hold it. Search corrects a
    query word that is not here to the most similar word that is (pg_trgm where installed, else difflib)."""

    lexeme = models.CharField(max_length=100, unique=True)
    listings = models.PositiveIntegerField()

    class Meta:
        # "is any lexeme starting with this stem?" (LIKE 'stem%') under any database collation
        indexes = [models.Index(fields=["lexeme"], name="search_term_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.lexeme


class BranchSummary(models.Model):
    """Every branch that has rows in `Listing`, as search needs it: where it is, whose store, how it delivers, how
    many listings it holds, and an upper bound of their popularity. Written only by the triggers on `Listing`
    (migration 0004), in the same statement as the rows, so it never disagrees with them; read by searches that
    have no text (discovery/search_browse.py)."""

    merchant_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    merchant_slug = models.CharField(max_length=40)
    store_slug = models.CharField(max_length=60)
    store_name = models.CharField(max_length=120)
    latitude = models.FloatField()
    longitude = models.FloatField()
    h3_r6 = models.BigIntegerField()
    h3_r7 = models.BigIntegerField()
    h3_r8 = models.BigIntegerField()
    offers_pickup = models.BooleanField()
    offers_delivery = models.BooleanField()
    delivery_radius_km = models.DecimalField(max_digits=5, decimal_places=2)
    listings = models.IntegerField()
    popularity_max = models.FloatField(
        help_text="At least the popularity of every listing of the branch: raised by each write, never lowered "
        "(a bound for ranking, not a statistic)."
    )
    version = models.BigIntegerField(
        default=1,
        help_text="Set from one sequence by every statement that changes the branch's rows: names the state of its "
        "FacetCount rows (never reused).",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant_id", "branch_id"], name="branch_summary_unique")]
        indexes = [
            models.Index(fields=["h3_r6"], name="branch_summary_h3_r6"),
            models.Index(fields=["h3_r7"], name="branch_summary_h3_r7"),
            models.Index(fields=["h3_r8"], name="branch_summary_h3_r8"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_slug}/{self.store_slug} branch {self.branch_id}: {self.listings} listings"


class FacetCount(models.Model):
    """How many listings of a branch fall in each (category, price bucket, stock, offer) cell: a search without
    text sums these for its total and facets instead of counting rows. Price buckets are the histogram's
    (`discovery.search.PRICE_EDGES`, SQL function `listings_price_bucket`); `price_on_edge` marks a price equal
    to its bucket's lower edge, so `price <= edge` is exact too. Written only by the triggers on `Listing`."""

    merchant_id = models.BigIntegerField()
    branch_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True)
    price_bucket = models.SmallIntegerField()
    price_on_edge = models.BooleanField()
    in_stock = models.BooleanField()
    has_offer = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "merchant_id",
                    "branch_id",
                    "category_id",
                    "price_bucket",
                    "price_on_edge",
                    "in_stock",
                    "has_offer",
                ],
                name="facet_count_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}/{self.branch_id} category {self.category_id} bucket {self.price_bucket}: {self.n}"
