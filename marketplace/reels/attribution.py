"""Orders attributed to reels (the console's "orders attributed"): a customer order's part whose products include
one the same shopper added to the cart from a reel of that merchant in the ATTRIBUTION_DAYS before ordering.

Beat looks at the parts placed since its last look (a watermark in the cache; if the cache lost it, the last
LOOKBACK_HOURS again): their products come from the merchant's schema (the order's lines), the adds to cart from
`BehaviourEvent`. A `ReelOrder` row per (part, reel) is inserted first, and an `order` behaviour event is recorded only
for rows that were new, so a part looked at twice counts once. An add to cart still waiting in Redis when beat looks
is seen at the next look: the watermark stays LOOKBACK_MINUTES behind the newest part for that.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.orders.models import CustomerOrderPart
from marketplace.reels.models import ReelOrder
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Subject
from shared_apps.behaviour.recorder import Event, behaviour_record_many
from tenant_apps.orders.models import MerchantOrderLine

ATTRIBUTION_DAYS = 7
LOOKBACK_HOURS = 24
SETTLE_MINUTES = 5  # adds to cart reach the database within seconds (the drain); parts younger than this are re-read


def watermark_key() -> str:
    return f"reels:attribution:watermark:{settings.DATABASES['default']['NAME']}"


def _products_of(parts: list[CustomerOrderPart]) -> dict[int, set[int]]:
    """{part id: product ids of its lines}, one query per merchant schema."""
    by_schema: dict[str, list[CustomerOrderPart]] = defaultdict(list)
    for part in parts:
        by_schema[part.merchant.schema_name].append(part)
    products: dict[int, set[int]] = {}
    for schema, schema_parts in by_schema.items():
        with schema_context(schema):
            orders = {p.merchant_order_id: p.pk for p in schema_parts}
            for order_id, product_id in MerchantOrderLine.objects.filter(order_id__in=orders).values_list(
                "order_id", "product_id"
            ):
                products.setdefault(orders[order_id], set()).add(product_id)
    return products


def reel_orders_attribute() -> int:
    """Attribute the parts placed since the last look to reels; returns how many (part, reel) pairs were new."""
    now = timezone.now()
    since = cache.get(watermark_key()) or now - timedelta(hours=LOOKBACK_HOURS)
    parts = list(
        CustomerOrderPart.objects.filter(order__created_at__gt=since)
        .select_related("merchant", "order")
        .only(
            "id", "merchant_order_id", "merchant__schema_name", "merchant_id", "order__owner_key", "order__created_at"
        )
    )
    connection.set_schema_to_public()
    if not parts:
        return 0
    products = _products_of(parts)
    connection.set_schema_to_public()
    new = []
    for part in parts:
        wanted = products.get(part.pk)
        if not wanted:
            continue
        added = BehaviourEvent.objects.filter(
            kind=EventKind.ADD_TO_CART,
            subject=Subject.REEL,
            merchant_id=part.merchant_id,
            shopper=part.order.owner_key,
            product_id__in=wanted,
            at__gte=part.order.created_at - timedelta(days=ATTRIBUTION_DAYS),
            at__lte=part.order.created_at,
        ).values_list("subject_id", flat=True)
        for reel_id in set(added):
            with transaction.atomic():
                _, created = ReelOrder.objects.get_or_create(
                    part_id=part.pk, reel_id=reel_id, defaults={"merchant_id": part.merchant_id}
                )
            if created:
                new.append(
                    Event(
                        kind=EventKind.ORDER,
                        subject=Subject.REEL,
                        merchant_id=part.merchant_id,
                        subject_id=reel_id,
                        shopper=part.order.owner_key,
                    )
                )
    behaviour_record_many(new)
    newest = max(p.order.created_at for p in parts)
    cache.set(watermark_key(), min(newest, now - timedelta(minutes=SETTLE_MINUTES)), timeout=None)
    return len(new)
