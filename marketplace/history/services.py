"""Writes of the shopper's history that need the marketplace's tables: an app's product events (named by the
listing the search gave it), and a shop's placed order as the customer's purchases (by a worker, from the order's
lines in the merchant's schema). Recording itself is shared_apps/behaviour's: one Redis round trip per call."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import schema_context

from kernel.cache import redis_client
from marketplace.history.errors import HistoryError, HistoryErrorCode
from marketplace.listings.models import Listing
from marketplace.orders.models import CustomerOrder
from shared_apps.behaviour.models import EventKind
from shared_apps.behaviour.products import (
    SearchClick,
    product_view_event,
    purchases_record,
    search_click_event,
    search_context,
)
from shared_apps.behaviour.recorder import behaviour_record_many
from tenant_apps.orders.models import MerchantOrder, MerchantOrderLine
from tenants.models import Merchant

MAX_EVENTS = 50  # per call: an app sends what happened since its last call
PURCHASE_MARK_SECONDS = 7 * 24 * 3600  # longer than any task is retried


@dataclass(frozen=True)
class ProductEventIn:
    """An app's event: a product screen opened (`view`), or a result of a search followed (`search_click`, with
    its position and the search's words or category)."""

    kind: str
    listing_id: int
    position: int | None = None
    q: str = ""
    category: str | None = None


def product_events_record(*, shopper: str, events: list[ProductEventIn]) -> int:
    """Queue an app's product events in one round trip. One query names the listings' products; events of listings
    no longer listed are dropped. HistoryError EVENT_INVALID for too many events, an unknown kind or a search click
    without its position. Returns how many were queued (none for a shopper who opted out)."""
    if len(events) > MAX_EVENTS or any(
        e.kind not in (EventKind.VIEW, EventKind.SEARCH_CLICK) or (e.kind == EventKind.SEARCH_CLICK and not e.position)
        for e in events
    ):
        raise HistoryError(HistoryErrorCode.EVENT_INVALID, field="events")
    items = {
        pk: (merchant_id, product_id)
        for pk, merchant_id, product_id in Listing.objects.filter(pk__in={e.listing_id for e in events}).values_list(
            "pk", "merchant_id", "product_id"
        )
    }
    queued = []
    for e in events:
        if e.listing_id not in items:
            continue
        merchant_id, product_id = items[e.listing_id]
        if e.kind == EventKind.VIEW:
            queued.append(product_view_event(shopper=shopper, merchant_id=merchant_id, product_id=product_id))
        else:
            click = SearchClick(position=e.position or 1, context=search_context(q=e.q, category=e.category))
            queued.append(
                search_click_event(shopper=shopper, merchant_id=merchant_id, product_id=product_id, click=click)
            )
    return len(queued) if behaviour_record_many(queued) else 0


def _purchase_mark(order_number: str) -> bool:
    """True the first time a shop's order is marked as recorded (a task run twice records it once). Its number is
    unique across merchants and never reused."""
    key = f"behaviour:purchased:{settings.DATABASES['default']['NAME']}:{order_number}"
    return bool(redis_client().set(key, 1, nx=True, ex=PURCHASE_MARK_SECONDS))


def order_purchases_record(*, schema_name: str, merchant_order_id: int) -> int:
    """A shop's order has been placed (cash on delivery at checkout, online once paid): its customer bought each of
    its products. Once per order (a Redis mark, set first: a failure after it loses the purchases, never doubles
    them). Reads the lines in the merchant's schema and the customer from the public order. Returns how many
    purchases were queued."""
    merchant_id = Merchant.objects.filter(schema_name=schema_name).values_list("pk", flat=True).first()
    if merchant_id is None:
        return 0
    with schema_context(schema_name):
        order = MerchantOrder.objects.filter(pk=merchant_order_id).values("customer_order_id", "number").first()
        products = list(
            MerchantOrderLine.objects.filter(order_id=merchant_order_id).values_list("product_id", flat=True)
        )
    if order is None or not _purchase_mark(order["number"]):
        return 0
    shopper = CustomerOrder.objects.filter(pk=order["customer_order_id"]).values_list("owner_key", flat=True).first()
    if shopper is None:
        return 0
    return purchases_record(shopper=shopper, merchant_id=merchant_id, product_ids=products)
