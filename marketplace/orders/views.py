"""The customer's order pages on the marketplace host: /orders/ (mine, newest first) and /orders/<number>/ (each
shop's part, its status and timeline, cancel while no shop has accepted).

Only the owner — the session's user or guest — sees an order; anyone else gets the 404 a missing order gets. The
order's page polls a fragment with htmx every few seconds until the order is settled (delivered, cancelled…).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marketplace.cart.shoppers import shopper_of_page
from marketplace.cart.views import is_htmx
from marketplace.orders.models import CustomerOrder
from marketplace.orders.page_context import ORDERS_SHOWN, order_card, order_view
from marketplace.orders.selectors import access_customer_order, orders_of
from marketplace.orders.services import CustomerOrderError, customer_order_cancel
from marketplace.orders.tracking import TrackingError, track_order_by_token

POLL_SECONDS = 4


def _mine(request: HttpRequest, number: str) -> CustomerOrder:
    shopper = shopper_of_page(request)
    if shopper is None:
        raise Http404("No such order.")
    try:
        return access_customer_order(shopper=shopper, number=number)
    except CustomerOrderError as exc:
        raise Http404(exc.message) from exc


def _live(request: HttpRequest, order: CustomerOrder, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"order": order_view(order), "poll_seconds": POLL_SECONDS, "error": error}
    return render(request, "customer_orders/_order_live.html", context, status=status)


@require_GET
def orders_page(request: HttpRequest) -> HttpResponse:
    shopper = shopper_of_page(request)
    orders = list(orders_of(shopper)[:ORDERS_SHOWN]) if shopper else []
    return render(request, "customer_orders/orders.html", {"orders": [order_card(o) for o in orders]})


@require_GET
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    order = _mine(request, number)
    context = {"order": order_view(order), "poll_seconds": POLL_SECONDS, "placed": request.GET.get("placed") == "1"}
    return render(request, "customer_orders/order.html", context)


@require_GET
def order_live(request: HttpRequest, number: str) -> HttpResponse:
    """The part of the order's page that changes (statuses, timelines, cancel), for the page's poll."""
    return _live(request, _mine(request, number))


@require_GET
def track_page(request: HttpRequest, token: str) -> HttpResponse:
    """The order a tracking link names (from the customer's SMS), without signing in: its parts, their steps,
    promised times and map, and nothing else — no other order, no cancel, no payment. A forged link is 404, an
    expired one 410 with a way to the account."""
    try:
        order = track_order_by_token(token=token)
    except TrackingError as exc:
        return render(request, "customer_orders/track_gone.html", {"message": exc.message}, status=exc.status)
    return render(request, "customer_orders/track.html", {"order": order_view(order), "token": token})


@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Cancel every part before any shop accepted; after that the page says why it cannot."""
    order = _mine(request, number)
    shopper = shopper_of_page(request)
    try:
        customer_order_cancel(order=order, user_id=shopper.user_id if shopper else None, reason="Cancelled by you")
    except CustomerOrderError as exc:
        if is_htmx(request):
            return _live(request, _mine(request, number), error=exc.message, status=exc.status)
        context = {"order": order_view(_mine(request, number)), "poll_seconds": POLL_SECONDS, "error": exc.message}
        return render(request, "customer_orders/order.html", context, status=exc.status)
    if is_htmx(request):
        return _live(request, _mine(request, number))
    return redirect("customer_orders:detail", number=number)
