"""The checkout page on the marketplace host: contact, how each shop gets the order to you, payment, then one
order for the whole cart — and, paying online, straight on to the provider's page.

The shops' part of the form (`checkout/_groups.html`: how each shop gets it to you, when, and the promised time) is
re-rendered by POST /checkout/options whenever the delivery address or its pin changes: delivery areas, opening and
travel time are judged from the address.

The form carries an Idempotency-Key made when the page renders: submitting it twice (a double click, a refresh of
the POST, a retry after a lost response) places one order and lands on it. On an error the page comes back with the
message next to the field it is about, the same key, and nothing reserved or written.
"""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from kernel.idempotency import IdempotencyError
from marketplace.cart.selectors import cart_priced_for
from marketplace.cart.shoppers import Shopper, shopper_of_page
from marketplace.checkout.errors import CheckoutError, CheckoutErrorCode
from marketplace.checkout.page_context import (
    QUOTE_POLLS,
    CheckoutForm,
    checkout_context,
    checkout_errors,
    checkout_form_initial,
    checkout_form_posted,
    checkout_request,
    delivery_point,
    page_quote,
)
from marketplace.checkout.services import QuoteStatus, checkout_place, checkout_quote
from marketplace.discovery.location import Location, location_from_request
from shared_apps.accounts.models import Address
from shared_apps.accounts.selectors import addresses_of
from shared_apps.logistics.errors import LogisticsError
from shared_apps.payments.errors import PaymentError
from shared_apps.payments.services import ONLINE, payment_attempt_start


def _addresses(request: HttpRequest) -> list[Address]:
    return list(addresses_of(user=request.user)) if request.user.is_authenticated else []


def _render(
    request: HttpRequest,
    shopper: Shopper,
    location: Location,
    form: CheckoutForm,
    addresses: list[Address],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    line_errors: dict[int, str] | None = None,
    template: str = "checkout/checkout.html",
) -> HttpResponse:
    lat, lng = delivery_point(form, addresses, location)
    priced = cart_priced_for(shopper, lat=lat, lng=lng)
    if not priced.groups and not errors:
        return redirect("cart:page")
    quoter = partial(page_quote, shopper, form, addresses, location)
    context = checkout_context(
        priced, location, form, addresses=addresses, errors=errors, line_errors=line_errors, quoter=quoter
    )
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest) -> HttpResponse:
    """GET: the form for the whole cart (an empty cart goes back to /cart). POST: place it, then the order's page."""
    shopper = shopper_of_page(request)
    if shopper is None:
        return redirect("cart:page")
    location = location_from_request(request)
    addresses = _addresses(request)
    if request.method == "GET":
        return _render(request, shopper, location, checkout_form_initial(request.user, addresses, location), addresses)
    form = checkout_form_posted(request.POST)
    try:
        result = checkout_place(
            shopper=shopper,
            idempotency_key=form.idempotency_key,
            request=checkout_request(form, addresses, location),
        )
    except DomainError as exc:
        errors, line_errors = checkout_errors(exc)
        if exc.code in (CheckoutErrorCode.KEY_REUSED, CheckoutErrorCode.KEY_MISSING):
            form.idempotency_key = checkout_form_initial(request.user, addresses, location).idempotency_key
        return _render(
            request, shopper, location, form, addresses, status=exc.status, errors=errors, line_errors=line_errors
        )
    order = result.order
    if order.payment_method not in ONLINE:
        return redirect(reverse("customer_orders:detail", args=[order.number]) + "?placed=1")
    try:  # straight on to the provider; the checkout's key makes a resubmitted form reuse the same attempt
        attempt = payment_attempt_start(
            intent=order.payment, gateway=order.payment_method, idempotency_key=f"checkout-{form.idempotency_key}"
        )
    except (PaymentError, IdempotencyError):  # IdempotencyError: the form's key is too long once prefixed
        return redirect("customer_orders:payment", number=order.number)  # says why, offers the other method
    return redirect("payments:go", reference=attempt.reference)


@require_http_methods(["POST"])
def checkout_options(request: HttpRequest) -> HttpResponse:
    """The shops' part of the form for the address and choices posted (HTMX, when the pin or the address changes):
    delivery options, opening and promised times. Writes nothing."""
    shopper = shopper_of_page(request)
    if shopper is None:
        return HttpResponse(status=204)
    addresses = _addresses(request)
    form = checkout_form_posted(request.POST)
    location = location_from_request(request)
    response = _render(request, shopper, location, form, addresses, template="checkout/_groups.html")
    return HttpResponse(status=204) if response.status_code == 302 else response  # the cart emptied meanwhile


@require_http_methods(["GET"])
def checkout_quote_poll(request: HttpRequest, key: str) -> HttpResponse:
    """HTMX, every second while a partner courier's price is on its way: the same "getting the price…" (up to
    QUOTE_POLLS times, then "not answering" with a try-again), or — answered, refused or gone — an empty answer
    that tells the page to re-render the shops' part, which shows the fee or why not. Writes nothing."""
    shopper = shopper_of_page(request)
    if shopper is None:
        return HttpResponse(status=204)
    try:
        n = max(1, min(int(request.GET.get("n", "1")), QUOTE_POLLS))
    except ValueError:
        n = 1
    try:
        pending = checkout_quote(shopper=shopper, key=key).status == QuoteStatus.PENDING
    except (CheckoutError, LogisticsError):
        pending = False
    if pending:
        context = {"key": key, "n": n + 1, "gave_up": n >= QUOTE_POLLS}
        return render(request, "checkout/_quote_wait.html", context)
    response = HttpResponse("")
    response["HX-Trigger"] = "checkout:refresh"
    return response
