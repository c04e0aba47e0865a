"""What a branch sells right now, at what price, and how many: the source of truth that carts and checkout re-read
(the public Listing index may lag the merchant's writes by a moment; money never follows it). Call inside the
merchant's schema (schema_context), or name the schema (`branch_offers_and_terms`). One query for any number of
(branch, variant) pairs.

The effective price is the one rule the listing sync follows too (effective_price.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from tenant_apps.catalog.effective_price import EFFECTIVE_PRICE, REGULAR_PRICE, branch_price_join
from tenant_apps.stores.models import Branch

_OFFERS = f"""
    SELECT b.id, v.id, p.id, p.name, v.name, v.sku, v.currency,
           {EFFECTIVE_PRICE}, {REGULAR_PRICE},
           GREATEST(COALESCE(sl.available, 0), 0),
           (p.status = 'active' AND v.is_active AND s.is_active AND b.is_active AND b.store_id = p.store_id)
    FROM unnest(%s::bigint[], %s::bigint[]) AS want(branch_id, variant_id)
    JOIN stores_branch b ON b.id = want.branch_id
    JOIN stores_store s ON s.id = b.store_id
    JOIN catalog_variant v ON v.id = want.variant_id
    JOIN catalog_product p ON p.id = v.product_id
    {branch_price_join()}
    LEFT JOIN inventory_stocklevel sl ON sl.branch_id = b.id AND sl.variant_id = v.id
"""


@dataclass(frozen=True)
class Offer:
    branch_id: int
    variant_id: int
    product_id: int
    title: str
    variant_name: str
    sku: str
    currency: str
    price: Decimal
    regular_price: Decimal
    available: int
    sellable: bool  # product active, variant active, store and branch open, and the branch belongs to its store


@dataclass(frozen=True)
class BranchTerms:
    branch_id: int
    store_name: str
    branch_name: str
    phone: str
    latitude: float
    longitude: float
    is_open_for_orders: bool
    offers_pickup: bool
    offers_delivery: bool
    offers_partner_delivery: bool
    delivery_radius_km: Decimal
    delivery_fee: Decimal
    delivery_min_order: Decimal
    # When it takes orders: stores.hours' weekly hours and date exceptions (checkout's schedule reads them).
    opening_hours: dict = field(default_factory=dict)
    hours_exceptions: dict = field(default_factory=dict)
    preparation_minutes: int = 20  # Branch.preparation_minutes: what a promised time starts with


def branch_offers(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Offer]:
    """(branch_id, variant_id) → Offer for every pair that exists in this schema; missing pairs are absent."""
    pairs = list(pairs)
    if not pairs:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_OFFERS, [[b for b, _ in pairs], [v for _, v in pairs]])
        rows = cursor.fetchall()
    return {(row[0], row[1]): Offer(*row) for row in rows}


def branch_terms(branch_ids: Iterable[int]) -> dict[int, BranchTerms]:
    """branch_id → how it takes orders (pickup, delivery radius, fee, minimum order)."""
    branches = Branch.objects.filter(pk__in=set(branch_ids)).select_related("store")
    return {
        b.pk: _terms(
            b.pk,
            b.store.name,
            b.name,
            b.phone,
            b.store.phone,
            b.latitude,
            b.longitude,
            b.is_active and b.store.is_active,
            b.offers_pickup,
            b.offers_delivery,
            b.offers_partner_delivery,
            b.delivery_radius_km,
            b.delivery_fee,
            b.delivery_min_order,
            b.opening_hours,
            b.hours_exceptions,
            b.preparation_minutes,
        )
        for b in branches
    }


def _terms(branch_id, store_name, branch_name, branch_phone, store_phone, lat, lng, is_open, *rest) -> BranchTerms:
    *terms, hours, exceptions, preparation_minutes = rest
    return BranchTerms(
        branch_id,
        store_name,
        branch_name,
        branch_phone or store_phone,
        float(lat),
        float(lng),
        is_open,
        *terms,
        _json(hours),
        _json(exceptions),
        preparation_minutes,
    )


def _json(value) -> dict:
    """A jsonb column read by a hand-written statement comes back as text (Django decodes JSONField values itself)."""
    return (json.loads(value) if isinstance(value, str) else value) or {}


# The offers and the terms of their branches in one round trip, with the tables qualified by the merchant's schema:
# checkout and the cart read each merchant once without switching the connection's search_path (a SET statement
# there and another one back to public).
_OFFERS_AND_TERMS = f"""
    SELECT b.id, want.variant_id, v.id IS NOT NULL, p.id, p.name, v.name, v.sku, v.currency,
           {EFFECTIVE_PRICE}, {REGULAR_PRICE},
           GREATEST(COALESCE(sl.available, 0), 0),
           COALESCE(p.status = 'active' AND v.is_active AND s.is_active AND b.is_active AND b.store_id = p.store_id,
                    FALSE),
           s.name, b.name, b.phone, s.phone, b.latitude, b.longitude, b.is_active AND s.is_active, b.offers_pickup,
           b.offers_delivery, b.offers_partner_delivery, b.delivery_radius_km, b.delivery_fee, b.delivery_min_order,
           b.opening_hours, b.hours_exceptions, b.preparation_minutes
    FROM unnest(%s::bigint[], %s::bigint[]) AS want(branch_id, variant_id)
    JOIN {{schema}}.stores_branch b ON b.id = want.branch_id
    JOIN {{schema}}.stores_store s ON s.id = b.store_id
    LEFT JOIN {{schema}}.catalog_variant v ON v.id = want.variant_id
    LEFT JOIN {{schema}}.catalog_product p ON p.id = v.product_id
    {branch_price_join(schema="{schema}")}
    LEFT JOIN {{schema}}.inventory_stocklevel sl ON sl.branch_id = b.id AND sl.variant_id = v.id
"""


def branch_offers_and_terms(
    *, schema: str, pairs: Iterable[tuple[int, int]]
) -> tuple[dict[tuple[int, int], Offer], dict[int, BranchTerms]]:
    """`branch_offers(pairs)` and `branch_terms` of their branches, read from `schema` in one query whatever the
    connection's current schema (the same rows and rules as those two)."""
    pairs = list(pairs)
    if not pairs:
        return {}, {}
    table_schema = connection.ops.quote_name(schema)
    offers: dict[tuple[int, int], Offer] = {}
    terms: dict[int, BranchTerms] = {}
    with connection.cursor() as cursor:
        cursor.execute(_OFFERS_AND_TERMS.format(schema=table_schema), [[b for b, _ in pairs], [v for _, v in pairs]])
        for row in cursor.fetchall():
            if row[2]:
                offers[(row[0], row[1])] = Offer(row[0], row[1], *row[3:12])
            if row[0] not in terms:
                terms[row[0]] = _terms(row[0], *row[12:])
    return offers, terms
