"""Outbox → Listing: bring the public listing index in line with one merchant's schema.

The index is rebuilt from the merchant's current state, never from event payloads, so applying a batch twice or
out of order yields the same rows; `version` (the newest outbox event id the row reflects) only moves forward, so
a slow publisher can never overwrite a newer row. Upserts, deletes and the events' `published_at` commit in one
transaction — one PostgreSQL database holds both schemas — so a worker killed mid-batch changes nothing and the
next run redoes the batch: every event takes effect exactly once. One publisher per merchant at a time
(transaction-level advisory lock); others skip, and the lock holder loops until the outbox is empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import BranchListing, Listing
from marketplace.reels.sync import merchant_reels_hide, reels_apply, reels_rebuild
from tenant_apps.catalog.effective_price import EFFECTIVE_PRICE, REGULAR_PRICE, branch_price_join
from tenant_apps.catalog.models import Variant
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.stores.models import Branch
from tenants.models import Merchant, MerchantStatus

_LOCK_NAMESPACE = 7_301_002

# Each branch's H3 cells, computed in Python (_geo_params) and joined in as parallel arrays.
_GEO_JOIN = (
    "JOIN unnest(%(geo_branch)s::bigint[], %(geo_r6)s::bigint[], %(geo_r7)s::bigint[], %(geo_r8)s::bigint[]) "
    "AS g(branch_id, h3_r6, h3_r7, h3_r8) ON g.branch_id = b.id"
)

# Listable rows of the merchant's schema (search path: merchant, public), restricted by {scope}.
_SOURCE = f"""
    SELECT %(merchant_id)s AS merchant_id, b.id AS branch_id, v.id AS variant_id, p.id AS product_id,
           s.id AS store_id, %(merchant_slug)s AS merchant_slug, s.name AS store_name, s.slug AS store_slug,
           b.name AS branch_name,
           p.name AS title, v.name AS variant_name, p.description, p.category_id,
           COALESCE(p.attributes -> 'tags', '[]'::jsonb) AS tags, v.sku,
           {EFFECTIVE_PRICE} AS price, {REGULAR_PRICE} AS regular_price,
           v.currency,
           COALESCE(sl.available, 0) > 0 AS in_stock, GREATEST(COALESCE(sl.available, 0), 0) AS available,
           p.low_stock_threshold,
           COALESCE((SELECT m.public_id FROM catalog_productmedia m
                     WHERE m.product_id = p.id AND m.kind = 'image' ORDER BY m.position, m.id LIMIT 1), '')
               AS image_public_id,
           b.latitude, b.longitude, g.h3_r6, g.h3_r7, g.h3_r8,
           b.offers_pickup, b.offers_delivery, b.delivery_radius_km,
           setweight(to_tsvector('english', p.name || ' ' || v.name), 'A')
             || setweight(to_tsvector('english', COALESCE(c.name, '') || ' '
                  || COALESCE((SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(
                         COALESCE(p.attributes -> 'tags', '[]'::jsonb)) t), '')), 'B')
             || setweight(to_tsvector('english', p.description), 'C') AS search,
           p.updated_at AS source_updated_at, p.created_at AS listed_at,
           COALESCE((SELECT sum(-m.on_hand_delta) FROM inventory_stockmovement m
                     WHERE m.branch_id = b.id AND m.variant_id = v.id AND m.reason = 'sale'
                       AND m.created_at > now() - interval '30 days'), 0) AS popularity
    FROM catalog_variant v
    JOIN catalog_product p ON p.id = v.product_id
    JOIN stores_store s ON s.id = p.store_id
    JOIN stores_branch b ON b.store_id = s.id
    {_GEO_JOIN}
    LEFT JOIN inventory_stocklevel sl ON sl.branch_id = b.id AND sl.variant_id = v.id
    {branch_price_join()}
    LEFT JOIN public.categories_category c ON c.id = p.category_id
    WHERE p.status = 'active' AND v.is_active AND s.is_active AND b.is_active AND {{scope}}
"""
_COLUMNS = (
    "merchant_id, branch_id, variant_id, product_id, store_id, merchant_slug, store_name, store_slug, branch_name, "
    "title, "
    "variant_name, description, category_id, tags, sku, price, regular_price, currency, in_stock, available, "
    "low_stock_threshold, "
    "image_public_id, latitude, longitude, h3_r6, h3_r7, h3_r8, offers_pickup, offers_delivery, delivery_radius_km, "
    "search, source_updated_at, listed_at, popularity"
)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS.split(", ")[3:])
# One statement: upsert every listable row in scope (never over a newer version), then delete the rows in scope
# that are no longer listable (a row skipped for being newer is kept: it has version > ours).
_SYNC = f"""
    WITH upserted AS (
        INSERT INTO public.listings_listing ({_COLUMNS}, version, indexed_at)
        SELECT {_COLUMNS}, %(version)s, now() FROM ({_SOURCE}) AS src
        ON CONFLICT (merchant_id, branch_id, variant_id) DO UPDATE SET {_UPDATES},
            version = EXCLUDED.version, indexed_at = EXCLUDED.indexed_at
        WHERE public.listings_listing.version <= EXCLUDED.version
        RETURNING branch_id, variant_id
    ), deleted AS (
        DELETE FROM public.listings_listing l
        WHERE l.merchant_id = %(merchant_id)s AND l.version <= %(version)s AND {{listing_scope}}
          AND (l.branch_id, l.variant_id) NOT IN (SELECT branch_id, variant_id FROM upserted)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM deleted)
"""
_BRANCH_COLUMNS = (
    "merchant_id, branch_id, store_id, merchant_slug, store_name, store_slug, store_description, branch_name, "
    "address, area, city, phone, latitude, longitude, h3_r6, h3_r7, h3_r8, opening_hours, hours_exceptions, "
    "offers_pickup, offers_delivery, offers_partner_delivery, delivery_radius_km, delivery_fee, delivery_min_order, "
    "currency"
)
_BRANCH_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in _BRANCH_COLUMNS.split(", ")[2:])
# Every open branch of the merchant (a handful of rows): upserted, and the rest of its rows deleted, like _SYNC.
_BRANCH_SYNC = f"""
    WITH upserted AS (
        INSERT INTO public.listings_branchlisting ({_BRANCH_COLUMNS}, version, indexed_at)
        SELECT %(merchant_id)s, b.id, s.id, %(merchant_slug)s, s.name, s.slug, s.description, b.name,
               b.address, b.area, b.city, b.phone, b.latitude, b.longitude, g.h3_r6, g.h3_r7, g.h3_r8,
               b.opening_hours, b.hours_exceptions, b.offers_pickup, b.offers_delivery, b.offers_partner_delivery,
               b.delivery_radius_km, b.delivery_fee, b.delivery_min_order, %(currency)s, %(version)s, now()
        FROM stores_branch b
        JOIN stores_store s ON s.id = b.store_id
        {_GEO_JOIN}
        WHERE s.is_active AND b.is_active
        ON CONFLICT (merchant_id, branch_id) DO UPDATE SET {_BRANCH_UPDATES},
            version = EXCLUDED.version, indexed_at = EXCLUDED.indexed_at
        WHERE public.listings_branchlisting.version <= EXCLUDED.version
        RETURNING branch_id
    )
    DELETE FROM public.listings_branchlisting bl
    WHERE bl.merchant_id = %(merchant_id)s AND bl.version <= %(version)s
      AND bl.branch_id NOT IN (SELECT branch_id FROM upserted)
"""
_PAIRS = "(b.id, v.id) IN (SELECT * FROM unnest(%(pair_branch)s::bigint[], %(pair_variant)s::bigint[]))"
_PAIRS_LISTING = (
    "(l.branch_id, l.variant_id) IN (SELECT * FROM unnest(%(pair_branch)s::bigint[], %(pair_variant)s::bigint[]))"
)


@dataclass
class PublishReport:
    events: int = 0
    batches: int = 0
    upserted: int = 0
    deleted: int = 0
    seconds: float = 0.0


def _geo_params(branches: list[tuple[int, float, float]]) -> dict[str, list]:
    cells = [cells_of(float(lat), float(lng)) for _, lat, lng in branches]
    params: dict[str, list] = {"geo_branch": [b for b, _, _ in branches]}
    for column in ("h3_r6", "h3_r7", "h3_r8"):
        params[f"geo_{column[3:]}"] = [c[column] for c in cells]
    return params


@dataclass(frozen=True)
class _Branch:
    pk: int
    store_id: int
    latitude: float
    longitude: float


def _branches() -> list[_Branch]:
    """The merchant's branches, read once per batch for both the scope and the h3 cells."""
    return [_Branch(*row) for row in Branch.objects.values_list("pk", "store_id", "latitude", "longitude")]


def _pairs_for(events: list[OutboxEvent], *, merchant_id: int, branches: list[_Branch]) -> set[tuple[int, int]]:
    """The (branch, variant) cells of the index that these events may have changed: what the merchant's schema
    says now, plus what the index holds (rows of deleted variants or closed branches must go)."""
    ids: dict[str, set[int]] = {}
    pairs: set[tuple[int, int]] = set()
    for event in events:
        if event.entity == Entity.REEL:
            continue  # the reels feed's (marketplace/reels/sync.py)
        if event.entity == Entity.STOCK:
            pairs.add((event.branch_id, event.entity_id))
        else:
            ids.setdefault(event.entity, set()).add(event.entity_id)
    store_branches: dict[int, list[int]] = {}
    for branch in branches:
        store_branches.setdefault(branch.store_id, []).append(branch.pk)
    lookups = {Entity.VARIANT: "pk__in", Entity.PRODUCT: "product_id__in", Entity.STORE: "product__store_id__in"}
    for entity, lookup in lookups.items():
        if ids.get(entity):
            for variant_id, store_id in Variant.objects.filter(**{lookup: ids[entity]}).values_list(
                "pk", "product__store_id"
            ):
                pairs.update((branch_id, variant_id) for branch_id in store_branches.get(store_id, []))
    for branch_id in ids.get(Entity.BRANCH, set()):
        store_id = next((s for s, branches in store_branches.items() if branch_id in branches), None)
        variants = Variant.objects.filter(product__store_id=store_id).values_list("pk", flat=True)
        pairs.update((branch_id, variant_id) for variant_id in variants)
    columns = {
        Entity.VARIANT: "variant_id",
        Entity.PRODUCT: "product_id",
        Entity.STORE: "store_id",
        Entity.BRANCH: "branch_id",
    }
    for entity, column in columns.items():
        if ids.get(entity):
            pairs.update(_listed_pairs(merchant_id=merchant_id, column=column, ids=ids[entity]))
    return pairs


def _listed_pairs(*, merchant_id: int, column: str, ids: set[int]) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT branch_id, variant_id FROM public.listings_listing WHERE merchant_id = %s AND {column} = ANY(%s)",
            [merchant_id, list(ids)],
        )
        return cursor.fetchall()


def _apply(
    merchant: Merchant,
    *,
    version: int,
    pairs: set[tuple[int, int]] | None,
    branches: list[_Branch],
    branches_changed: bool = True,
) -> tuple[int, int]:
    """Upsert and delete the index rows of `pairs` (None: the whole merchant), and the merchant's branch rows
    when a store or branch changed. Caller holds the transaction."""
    geo = [(b.pk, b.latitude, b.longitude) for b in branches]
    params = {"merchant_id": merchant.pk, "merchant_slug": merchant.slug, "version": version, **_geo_params(geo)}
    if pairs is None:
        scope, listing_scope = "TRUE", "TRUE"
    else:
        scope, listing_scope = _PAIRS, _PAIRS_LISTING
        params["pair_branch"] = [b for b, _ in pairs]
        params["pair_variant"] = [v for _, v in pairs]
    with connection.cursor() as cursor:
        cursor.execute(_SYNC.format(scope=scope, listing_scope=listing_scope), params)
        upserted, deleted = cursor.fetchone()
        if branches_changed:
            cursor.execute(_BRANCH_SYNC, {**params, "currency": settings.DEFAULT_CURRENCY})
    return upserted, deleted


def _hide(merchant: Merchant) -> int:
    """A merchant customers may not see (suspended) has no rows in either index, nor reels in the feed."""
    merchant_reels_hide(merchant_id=merchant.pk)
    BranchListing.objects.filter(merchant_id=merchant.pk).delete()
    return Listing.objects.filter(merchant_id=merchant.pk).delete()[0]


def _lock(merchant: Merchant, *, wait: bool) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, merchant.pk])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, merchant.pk])
        return cursor.fetchone()[0]


def listings_publish(*, schema: str, batch_size: int = 500) -> PublishReport:
    """Apply the merchant's unpublished outbox events to the index, batch after batch, until none is left."""
    started = time.perf_counter()
    report = PublishReport()
    merchant = Merchant.objects.filter(schema_name=schema).first()
    if merchant is None or merchant.status == MerchantStatus.ARCHIVED:
        return report
    with schema_context(schema):
        while True:
            with transaction.atomic():
                if not _lock(merchant, wait=False):
                    break  # another publisher is on it and loops until the outbox is empty
                events = list(OutboxEvent.objects.filter(published_at__isnull=True).order_by("id")[:batch_size])
                if not events:
                    break
                hidden = merchant.status != MerchantStatus.ACTIVE
                branches = _branches()
                pairs = _pairs_for(events, merchant_id=merchant.pk, branches=branches)
                if hidden:
                    upserted, deleted = 0, _hide(merchant)
                else:
                    upserted, deleted = _apply(
                        merchant,
                        version=events[-1].pk,
                        pairs=pairs,
                        branches=branches,
                        branches_changed=any(e.entity in (Entity.STORE, Entity.BRANCH) for e in events),
                    )
                    reels_apply(merchant=merchant, events=events)
                OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(published_at=timezone.now())
            report.events += len(events)
            report.batches += 1
            report.upserted += upserted
            report.deleted += deleted
    report.seconds = time.perf_counter() - started
    return report


def listings_rebuild(*, schema: str) -> PublishReport:
    """Recompute every index row of one merchant from its schema and mark its outbox published (idempotent)."""
    started = time.perf_counter()
    report = PublishReport()
    merchant = Merchant.objects.get(schema_name=schema)
    with schema_context(schema), transaction.atomic():
        _lock(merchant, wait=True)
        last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if merchant.status == MerchantStatus.ACTIVE:
            report.upserted, report.deleted = _apply(merchant, version=last, pairs=None, branches=_branches())
            reels_rebuild(merchant=merchant, version=last)
        else:
            report.deleted = _hide(merchant)
        report.events = OutboxEvent.objects.filter(published_at__isnull=True, id__lte=last).update(
            published_at=timezone.now()
        )
    report.batches = 1
    report.seconds = time.perf_counter() - started
    return report


def schemas_with_pending_events(schemas: list[str]) -> list[str]:
    """Which of these merchant schemas have unpublished outbox events: one query per 200 schemas (the sweep)."""
    pending: list[str] = []
    for start in range(0, len(schemas), 200):
        chunk = schemas[start : start + 200]
        union = " UNION ALL ".join(
            f'(SELECT %s FROM "{name}".outbox_outboxevent WHERE published_at IS NULL LIMIT 1)' for name in chunk
        )
        with connection.cursor() as cursor:
            cursor.execute(union, chunk)
            pending += [row[0] for row in cursor.fetchall()]
    return pending
