"""The one order in which a customer order's rows are locked, whichever floor starts the work:

    merchant orders (merchant id, then part id; each in its merchant's schema) → the customer order → its payment
    intent → the intent's attempts and refunds

Cancelling, expiring and handing over move merchant orders, so they lock those first; capturing a payment moves them
too (awaiting payment → placed), so it takes the same path; starting a payment moves none and takes the customer
order, then the intent. Staff moving one part lock its merchant order, then the part, then the customer order
(marketplace.orders.services.part_mirror): the same order, so two such moves wait for each other instead of
deadlocking.

The order is written here, on the lowest floor that takes these locks (payments captures under them), and reaches
the rows of the floors above by model label (`apps.get_model`): importing the marketplace's or the merchant orders'
models would make payments climb the floors. Only locks are taken here; what is done with the rows stays upstairs."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model
from django_tenants.utils import schema_context

CUSTOMER_ORDER = "customer_orders.CustomerOrder"
CUSTOMER_ORDER_PART = "customer_orders.CustomerOrderPart"
MERCHANT_ORDER = "orders.MerchantOrder"


def merchant_orders_lock(*, customer_order_id: int) -> list[tuple[Model, Model]]:
    """Lock every merchant order of the customer order, merchants in id order, and read their status as of now:
    (customer-order part, merchant order) pairs. Call inside a transaction."""
    parts = apps.get_model(CUSTOMER_ORDER_PART).objects.filter(order_id=customer_order_id)
    merchant_orders = apps.get_model(MERCHANT_ORDER).objects.select_for_update()
    locked = []
    for part in parts.select_related("merchant").order_by("merchant_id", "id"):
        with schema_context(part.merchant.schema_name):
            locked.append((part, merchant_orders.get(pk=part.merchant_order_id)))
    return locked


def customer_order_lock(*, customer_order_id: int, merchant_orders: bool = True) -> list[tuple[Model, Model]]:
    """Take the order's locks up to the customer order, before anything locks its payment intent. Returns the locked
    merchant orders (none when `merchant_orders` is False: paths that never move a merchant order, such as starting
    a payment, take the customer order alone, which keeps the same order). Call inside a transaction."""
    locked = merchant_orders_lock(customer_order_id=customer_order_id) if merchant_orders else []
    list(apps.get_model(CUSTOMER_ORDER).objects.select_for_update().filter(pk=customer_order_id).values_list("pk"))
    return locked
