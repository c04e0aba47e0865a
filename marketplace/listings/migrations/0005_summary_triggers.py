"""Keep BranchSummary and FacetCount in step with Listing: statement-level triggers with transition tables add
what a statement inserted and subtract what it deleted or replaced, in the statement's own transaction. Every
writer (the publisher, a bulk load, the admin, a test factory) keeps the summaries exact without knowing of them;
the cost is one aggregate per statement, not per row. Concurrent writers to the same branch serialize on the
summary rows they upsert (the publisher already holds one lock per merchant).

The price buckets are the search histogram's edges (discovery.search.PRICE_EDGES; a test pins the two together):
changing them needs a new migration and a rebuild of the index."""

from django.db import migrations

PRICE_EDGES = "{0,100,250,500,1000,2500,5000,10000,25000,50000}"

_BUCKET = f"""
CREATE FUNCTION listings_price_bucket(price numeric) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN width_bucket(price, '{PRICE_EDGES}'::numeric[]);

CREATE FUNCTION listings_price_on_edge(price numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(price = ('{PRICE_EDGES}'::numeric[])[width_bucket(price, '{PRICE_EDGES}'::numeric[])], false);
"""

_EMPTY = "(SELECT * FROM listings_listing WHERE false)"


def _function(name: str, *, new: str, old: str) -> str:
    """The trigger function for one operation: `new` and `old` are its transition tables (or an empty set)."""
    # +1 per new row, -1 per old row, summed per facet cell (cells whose sum is 0 did not change).
    delta = f"""(SELECT merchant_id, branch_id, category_id, listings_price_bucket(price) AS price_bucket,
                        listings_price_on_edge(price) AS price_on_edge, in_stock, has_offer, sum(d)::integer AS n
                 FROM (SELECT merchant_id, branch_id, category_id, price, in_stock, has_offer, 1 AS d FROM {new} n
                       UNION ALL
                       SELECT merchant_id, branch_id, category_id, price, in_stock, has_offer, -1 FROM {old} o) x
                 GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0)"""
    per_branch = f"(SELECT merchant_id, branch_id, sum(n)::integer AS n FROM {delta} c GROUP BY 1, 2)"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO listings_facetcount AS f
        (merchant_id, branch_id, category_id, price_bucket, price_on_edge, in_stock, has_offer, n)
    SELECT * FROM {delta} d
    ON CONFLICT (merchant_id, branch_id, category_id, price_bucket, price_on_edge, in_stock, has_offer)
    DO UPDATE SET n = f.n + EXCLUDED.n;

    DELETE FROM listings_facetcount f
    WHERE f.n <= 0 AND (f.merchant_id, f.branch_id) IN (SELECT merchant_id, branch_id FROM {old} o);

    -- The newest row's branch attributes, the count's change, the popularity bound raised.
    INSERT INTO listings_branchsummary AS b
        (merchant_id, branch_id, store_id, merchant_slug, store_slug, store_name, latitude, longitude,
         h3_r6, h3_r7, h3_r8, offers_pickup, offers_delivery, delivery_radius_km, listings, popularity_max,
         version)
    SELECT a.merchant_id, a.branch_id, a.store_id, a.merchant_slug, a.store_slug, a.store_name, a.latitude,
           a.longitude, a.h3_r6, a.h3_r7, a.h3_r8, a.offers_pickup, a.offers_delivery, a.delivery_radius_km,
           coalesce(d.n, 0), a.popularity_max, nextval('listings_summary_version')
    FROM (SELECT DISTINCT ON (merchant_id, branch_id) *,
                 max(popularity) OVER (PARTITION BY merchant_id, branch_id) AS popularity_max
          FROM {new} n ORDER BY merchant_id, branch_id, id DESC) a
    LEFT JOIN {per_branch} d ON d.merchant_id = a.merchant_id AND d.branch_id = a.branch_id
    ON CONFLICT (merchant_id, branch_id) DO UPDATE SET
        store_id = EXCLUDED.store_id, merchant_slug = EXCLUDED.merchant_slug, store_slug = EXCLUDED.store_slug,
        store_name = EXCLUDED.store_name, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
        h3_r6 = EXCLUDED.h3_r6, h3_r7 = EXCLUDED.h3_r7, h3_r8 = EXCLUDED.h3_r8,
        offers_pickup = EXCLUDED.offers_pickup, offers_delivery = EXCLUDED.offers_delivery,
        delivery_radius_km = EXCLUDED.delivery_radius_km, listings = b.listings + EXCLUDED.listings,
        popularity_max = greatest(b.popularity_max, EXCLUDED.popularity_max), version = EXCLUDED.version;

    -- Branches the statement only removed rows from; then the branches left empty.
    UPDATE listings_branchsummary b SET listings = b.listings + d.n, version = nextval('listings_summary_version')
    FROM {per_branch} d
    WHERE b.merchant_id = d.merchant_id AND b.branch_id = d.branch_id
      AND NOT EXISTS (SELECT 1 FROM {new} n WHERE n.merchant_id = d.merchant_id AND n.branch_id = d.branch_id);

    DELETE FROM listings_branchsummary b
    WHERE b.listings <= 0 AND (b.merchant_id, b.branch_id) IN (SELECT merchant_id, branch_id FROM {old} o);
    RETURN NULL;
END $$;
"""


# A branch's version comes from one sequence: never reused, even by a branch whose summary was deleted (emptied)
# and made again, so a cache keyed by version is never served another state's counts.
_TRIGGERS = (
    "CREATE SEQUENCE listings_summary_version;"
    + _BUCKET
    + _function("listings_summaries_insert", new="new_rows", old=_EMPTY)
    + _function("listings_summaries_update", new="new_rows", old="old_rows")
    + _function("listings_summaries_delete", new=_EMPTY, old="old_rows")
    + """
CREATE TRIGGER listings_summaries_insert AFTER INSERT ON listings_listing
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listings_summaries_insert();
CREATE TRIGGER listings_summaries_update AFTER UPDATE ON listings_listing
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION listings_summaries_update();
CREATE TRIGGER listings_summaries_delete AFTER DELETE ON listings_listing
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION listings_summaries_delete();
"""
)

_DROP = """
DROP TRIGGER IF EXISTS listings_summaries_insert ON listings_listing;
DROP TRIGGER IF EXISTS listings_summaries_update ON listings_listing;
DROP TRIGGER IF EXISTS listings_summaries_delete ON listings_listing;
DROP FUNCTION IF EXISTS listings_summaries_insert(), listings_summaries_update(), listings_summaries_delete();
DROP FUNCTION IF EXISTS listings_price_bucket(numeric), listings_price_on_edge(numeric);
DROP SEQUENCE IF EXISTS listings_summary_version;
"""

# Rows already in the index when the triggers arrive.
_FILL = """
INSERT INTO listings_facetcount (merchant_id, branch_id, category_id, price_bucket, price_on_edge, in_stock,
                                 has_offer, n)
SELECT merchant_id, branch_id, category_id, listings_price_bucket(price), listings_price_on_edge(price), in_stock,
       has_offer, count(*)
FROM listings_listing GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO listings_branchsummary (merchant_id, branch_id, store_id, merchant_slug, store_slug, store_name,
    latitude, longitude, h3_r6, h3_r7, h3_r8, offers_pickup, offers_delivery, delivery_radius_km, listings,
    popularity_max, version)
SELECT DISTINCT ON (merchant_id, branch_id) merchant_id, branch_id, store_id, merchant_slug, store_slug, store_name,
       latitude, longitude, h3_r6, h3_r7, h3_r8, offers_pickup, offers_delivery, delivery_radius_km,
       count(*) OVER w, max(popularity) OVER w, nextval('listings_summary_version')
FROM listings_listing WINDOW w AS (PARTITION BY merchant_id, branch_id)
ORDER BY merchant_id, branch_id, id DESC;
"""


class Migration(migrations.Migration):
    dependencies = [("listings", "0004_listing_summaries")]

    operations = [
        migrations.RunSQL(
            _TRIGGERS + _FILL, reverse_sql=_DROP + "TRUNCATE listings_facetcount, listings_branchsummary;"
        ),
    ]
