"""Reads of customer orders: only the owner's, in one schema (public)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from marketplace.cart.shoppers import Shopper
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.orders.services import CustomerOrderError, CustomerOrderErrorCode


def orders_of(shopper: Shopper) -> QuerySet[CustomerOrder]:
    """The shopper's orders, newest first, parts and payment prefetched (three queries for any page)."""
    return (
        CustomerOrder.objects.filter(shopper.owns())
        .select_related("payment")
        .prefetch_related(Prefetch("parts", CustomerOrderPart.objects.order_by("id")))
        .order_by("-id")
    )


def access_customer_order(*, shopper: Shopper, order_id: int | None = None, number: str | None = None) -> CustomerOrder:
    """One of the shopper's orders by id or number; anyone else's is NOT_FOUND (404: existence is not revealed)."""
    orders = orders_of(shopper)
    order = (orders.filter(pk=order_id) if order_id is not None else orders.filter(number=number)).first()
    if order is None:
        raise CustomerOrderError(CustomerOrderErrorCode.NOT_FOUND)
    return order
