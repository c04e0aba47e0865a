"""Paying for an order on the marketplace host.

/orders/<number>/payment — the payment step and its live result: what is owed, the deadline, the methods, the
outcome of the last attempt (polled while the provider has not answered), and retry with the same or another
method after a failure. POST starts an attempt (the form carries an idempotency key: a double submit or a refresh
starts one attempt) and sends the customer on to /payments/<reference>/go, which forwards to the provider.
/payments/return/<reference>/ — where the provider sends the customer back (JazzCash POSTs its signed fields, Foree
GETs): never trusted, only a reason to ask the provider now; then a redirect (303) to the order's payment page, so a
refresh or the back button re-reads the status and never pays twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kernel.idempotency import IdempotencyError
from kernel.money import money
from marketplace.orders.models import CustomerOrder
from marketplace.orders.views import _mine
from shared_apps.payments.errors import PaymentError
from shared_apps.payments.gateways import GatewayError
from shared_apps.payments.models import AttemptStatus, IntentStatus, PaymentAttempt, PaymentMethod, WebhookStatus
from shared_apps.payments.selectors import GATEWAYS, payment_can_pay
from shared_apps.payments.services import (
    payment_attempt_confirm,
    payment_attempt_start,
    payment_notification_receive,
    payment_redirect,
    payment_webhook_process,
)

logger = logging.getLogger(__name__)

POLL_SECONDS = 2
CONFIRM_EVERY = timedelta(seconds=4)  # while polling, ask the provider at most this often per attempt
GATEWAY_NOTES = {
    PaymentMethod.FOREE: "Pay from your bank app, card or wallet on Foree Pay's page.",
    PaymentMethod.JAZZCASH: "Pay from your JazzCash mobile account.",
}


def payment_url(order: CustomerOrder) -> str:
    return reverse("customer_orders:payment", args=[order.number])


def _latest(order: CustomerOrder) -> PaymentAttempt | None:
    return order.payment.attempts.order_by("-id").first()


def _refresh(attempt: PaymentAttempt | None) -> None:
    """A processing attempt not heard of lately: ask the provider (the notification may be late or lost)."""
    if attempt is None or attempt.status != AttemptStatus.PROCESSING:
        return
    if timezone.now() - attempt.updated_at < CONFIRM_EVERY:
        return
    try:
        payment_attempt_confirm(attempt=attempt)
    except GatewayError:
        logger.info("attempt %s: provider did not answer the status query; polling goes on", attempt.reference)


def _gateway_choice(gateway: str, selected: str) -> dict:
    label = PaymentMethod(gateway).label
    return {"value": gateway, "label": label, "note": GATEWAY_NOTES[gateway], "checked": gateway == selected}


def _gateway_choice(gateway: str, selected: str) -> dict:
    label = PaymentMethod(gateway).label
    return {"value": gateway, "label": label, "note": GATEWAY_NOTES[gateway], "checked": gateway == selected}


def _context(order: CustomerOrder, *, error: str = "", chosen: str = "") -> dict:
    intent = order.payment
    attempt = _latest(order)
    state = {
        IntentStatus.SUCCEEDED: "paid",
        IntentStatus.PARTIALLY_REFUNDED: "paid",
        IntentStatus.REFUNDED: "refunded",
        IntentStatus.EXPIRED: "expired",
        IntentStatus.CANCELLED: "cancelled",
        IntentStatus.FAILED: "failed",
        IntentStatus.PROCESSING: "waiting",
    }.get(intent.status, "choose")
    remaining = int((intent.expires_at - timezone.now()).total_seconds()) if intent.expires_at else 0
    return {
        "order": order,
        "intent": intent,
        "attempt": attempt,
        "state": state,
        "error": error,
        "amount_label": money(intent.amount, intent.currency),
        "refunded_label": money(intent.refunded_amount, intent.currency) if intent.refunded_amount else "",
        "can_pay": payment_can_pay(intent),
        "minutes_left": max(remaining, 0) // 60,
        "gateways": [_gateway_choice(g, chosen or (attempt.gateway if attempt else intent.method)) for g in GATEWAYS],
        "idempotency_key": uuid.uuid4().hex,
        "poll_seconds": POLL_SECONDS,
        "live": state == "waiting",
    }


@require_http_methods(["GET", "POST"])
def payment_page(request: HttpRequest, number: str) -> HttpResponse:
    order = _mine(request, number)
    if order.payment.method not in GATEWAYS:
        return redirect("customer_orders:detail", number=number)
    if request.method == "GET":
        _refresh(_latest(order))
        return render(request, "payments/payment.html", _context(_mine(request, number)))
    gateway = request.POST.get("gateway", "")
    try:
        attempt = payment_attempt_start(
            intent=order.payment, gateway=gateway, idempotency_key=request.POST.get("idempotency_key", "")[:80]
        )
    except (PaymentError, IdempotencyError) as exc:
        context = _context(_mine(request, number), error=exc.message, chosen=gateway)
        return render(request, "payments/payment.html", context, status=exc.status)
    return redirect("payments:go", reference=attempt.reference)


@require_GET
def payment_live(request: HttpRequest, number: str) -> HttpResponse:
    """The changing part of the payment page, for its poll."""
    order = _mine(request, number)
    _refresh(_latest(order))
    return render(request, "payments/_payment_live.html", _context(_mine(request, number)))


@require_GET
def payment_go(request: HttpRequest, reference: str) -> HttpResponse:
    """Forward the customer to the provider for one of their processing attempts: a redirect, or (JazzCash) a form
    that submits itself. An attempt that is over, or whose redirect has lapsed, goes back to the payment page."""
    attempt = PaymentAttempt.objects.select_related("intent__customer_order").filter(reference=reference).first()
    if attempt is None:
        raise Http404("No such payment.")
    order = _mine(request, attempt.intent.customer_order.number)  # only the order's owner
    target = payment_redirect(attempt)
    if target is None:
        return redirect(payment_url(order))
    if target.method == "GET":
        return redirect(target.url)
    context = {"target": target, "gateway": attempt.get_gateway_display(), "order": order}
    response = render(request, "payments/redirect.html", context)
    response["Cache-Control"] = "no-store"  # the form holds the provider's fields: never from a cache
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # the provider's page posts here across sites; nothing is trusted from it (see the module docstring)
@require_http_methods(["GET", "POST"])
def payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    attempt = PaymentAttempt.objects.select_related("intent__customer_order").filter(reference=reference).first()
    if attempt is None:
        raise Http404("No such payment.")
    asked = False
    if request.method == "POST" and request.body:  # stored like a notification: same fact, same dedupe key
        event, _ = payment_notification_receive(
            gateway=attempt.gateway, body=request.body, content_type=request.content_type
        )
        if event is not None and event.status in (WebhookStatus.RECEIVED, WebhookStatus.RETRY):
            event = payment_webhook_process(event_id=event.pk)  # confirms with the provider, like the worker would
            asked = event.attempt_id == attempt.pk
    if not asked:  # nothing (or nothing about this payment) was confirmed above: ask the provider now
        try:
            payment_attempt_confirm(attempt=attempt)
        except GatewayError:
            logger.info("attempt %s: provider did not answer on return; the page polls", reference)
    return redirect(payment_url(attempt.intent.customer_order), permanent=False)
