"""Payments: intents created by checkout, attempts through the online gateways (Foree Pay, JazzCash), cash captured at
hand-over, notifications confirmed with the provider, reconciliation, refunds, and the ledger behind all of it.

Every function that moves money is idempotent and takes the intent's row lock; the ledger's unique keys are the
last line of defence (shared_apps/payments/ledger.py)."""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
from collections.abc import Iterable
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kernel.idempotency import (
    IDEMPOTENCY_HEADER,
    Earlier,
    idempotency_key_clean,
    idempotent_write,
    request_fingerprint,
)
from kernel.inputs import amount_parse
from kernel.money import money
from kernel.tasks import task_send
from shared_apps.payments.errors import PaymentError, PaymentErrorCode
from shared_apps.payments.gateways import gateway_for
from shared_apps.payments.gateways.base import (
    GatewayError,
    GatewayErrorKind,
    GatewayStatus,
    PaymentRequest,
    ProviderStatus,
    Redirect,
    RefundOutcome,
)
from shared_apps.payments.ledger import (
    intent_allocated,
    ledger_capture,
    ledger_cash_capture,
    ledger_refund,
    part_allocated,
    split_by_weight,
)
from shared_apps.payments.lock_order import customer_order_lock
from shared_apps.payments.models import (
    AttemptStatus,
    IntentStatus,
    LedgerEntry,
    LedgerKind,
    PaymentAttempt,
    PaymentIntent,
    PaymentMethod,
    PaymentPart,
    Refund,
    RefundStatus,
    WebhookEvent,
    WebhookStatus,
)
from shared_apps.payments.signals import payment_method_chosen, payment_succeeded, refund_parts_ended

logger = logging.getLogger(__name__)

ONLINE = frozenset({PaymentMethod.FOREE, PaymentMethod.JAZZCASH})
PAID = frozenset({IntentStatus.SUCCEEDED, IntentStatus.PARTIALLY_REFUNDED, IntentStatus.REFUNDED})
REDIRECT_CACHE = "payments:redirect:{}"
UNCONFIRMED = "unconfirmed"  # a refund sent to a provider that never answered
REFUND_PROCESS_TASK = "shared_apps.payments.tasks.refund_process_task"


class OrderPart(Protocol):
    """What payments records of each merchant part of an order (the marketplace's customer-order part has it all)."""

    pk: int
    merchant_id: int
    merchant_order_id: int
    number: str
    branch_id: int
    store_name: str
    branch_name: str
    total: Decimal


def payment_intent_create(
    *, customer_order, method: str, amount: Decimal, currency: str, parts: Iterable[OrderPart]
) -> PaymentIntent:
    """The order's payment and its merchant parts (PaymentPart, same ids as the order's parts: what capture,
    allocation and refunds need). Online methods must be paid within PAYMENT_TIMEOUT_MINUTES (then beat releases the
    stock); cash on delivery waits for hand-over and never expires."""
    expires_at = timezone.now() + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES) if method in ONLINE else None
    intent = PaymentIntent.objects.create(
        customer_order=customer_order, method=method, amount=amount, currency=currency, expires_at=expires_at
    )
    PaymentPart.objects.bulk_create(
        PaymentPart(
            id=part.pk,
            intent=intent,
            merchant_id=part.merchant_id,
            merchant_order_id=part.merchant_order_id,
            number=part.number,
            branch_id=part.branch_id,
            store_name=part.store_name,
            branch_name=part.branch_name,
            total=part.total,
        )
        for part in parts
    )
    return intent


def payment_cod_collected(*, part: PaymentPart | OrderPart) -> PaymentIntent | None:
    """Cash for one merchant part (named by its id) was handed over: captured and allocated to that part in the
    ledger (once: the ledger key is the part); the intent succeeds once every part's cash is in. Call with the part's
    merchant order locked (lock order: merchant order → intent)."""
    with transaction.atomic():
        part = PaymentPart.objects.filter(pk=part.pk).first()
        if part is None:  # not an order of checkout's: no payment to capture
            return None
        intent = PaymentIntent.objects.select_for_update().filter(pk=part.intent_id, method=PaymentMethod.COD).first()
        if intent is None or LedgerEntry.objects.filter(key=f"capture:cod:P{part.pk}").exists():
            return intent
        ledger_cash_capture(intent=intent, part=part)
        intent.captured_amount += part.total
        if intent.status not in PAID:
            intent.status = (
                IntentStatus.SUCCEEDED if intent.captured_amount >= intent.amount else IntentStatus.PROCESSING
            )
        intent.save(update_fields=["captured_amount", "status", "updated_at"])
    return intent


def payment_cod_dropped(*, customer_order_id: int, amount: Decimal) -> PaymentIntent | None:
    """A cash-on-delivery part was rejected or cancelled before hand-over: its cash will never come, so the intent
    stops waiting for it (amount minus the part). With nothing left to collect the intent is cancelled, or succeeded
    if the other parts' cash is already in. One locked read-modify-write."""
    with transaction.atomic():
        intent = (
            PaymentIntent.objects.select_for_update()
            .filter(customer_order_id=customer_order_id, method=PaymentMethod.COD)
            .first()
        )
        if intent is None:
            return None
        intent.amount = max(intent.amount - amount, Decimal("0.00"))
        if intent.amount == 0 and intent.captured_amount == 0:
            intent.status = IntentStatus.CANCELLED
        elif intent.captured_amount >= intent.amount:
            intent.status = IntentStatus.SUCCEEDED
        intent.save(update_fields=["amount", "status", "updated_at"])
    return intent


def _expirable(now) -> Q:
    """Unpaid past the deadline; an intent whose customer may still be on the provider's page (processing) gets the
    provider's grace on top, since the provider itself refuses payment after the deadline."""
    grace = timedelta(minutes=settings.PAYMENT_PROVIDER_GRACE_MINUTES)
    return Q(status__in=(IntentStatus.REQUIRES_PAYMENT, IntentStatus.FAILED), expires_at__lt=now) | Q(
        status=IntentStatus.PROCESSING, expires_at__lt=now - grace
    )


def payment_intents_expired(*, now=None, limit: int = 200) -> list[PaymentIntent]:
    """Unpaid online intents past their deadline (oldest first), for the release sweep."""
    now = now or timezone.now()
    return list(PaymentIntent.objects.filter(_expirable(now)).order_by("expires_at")[:limit])


def payment_intent_expire(*, intent_id: int, now=None) -> bool:
    """Mark an unpaid intent past its deadline expired; True only for the one call that did it. A conditional UPDATE
    (still unpaid, still past the deadline): a second sweep, or a payment that succeeded meanwhile, makes it a no-op,
    and the row stays locked until the caller's transaction ends, so the caller can release the order's stock in the
    same transaction without a payment slipping in between. A payment that lands later is refunded."""
    now = now or timezone.now()
    updated = PaymentIntent.objects.filter(_expirable(now), pk=intent_id).update(
        status=IntentStatus.EXPIRED, updated_at=timezone.now()
    )
    return bool(updated)


# ---- online payments: attempts ----------------------------------------------------------------------------------
# Lock order, everywhere: the order's merchant orders → customer order → payment intent → attempt/refund
# (shared_apps/payments/lock_order.py says why).


def _reference(prefix: str) -> str:
    """Ours, unique, alphanumeric and short enough for every gateway (JazzCash pp_TxnRefNo: 20 characters)."""
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(14))


def _payable(intent: PaymentIntent, now) -> None:
    if intent.method not in ONLINE:
        raise PaymentError(PaymentErrorCode.NOT_ONLINE)
    if intent.status in PAID:
        raise PaymentError(PaymentErrorCode.ALREADY_PAID)
    if intent.status == IntentStatus.CANCELLED:
        raise PaymentError(PaymentErrorCode.CANCELLED)
    if intent.status == IntentStatus.EXPIRED or (intent.expires_at and intent.expires_at <= now):
        raise PaymentError(PaymentErrorCode.EXPIRED)


def _attempt_by_key(intent: PaymentIntent, key: str) -> Earlier[PaymentAttempt] | None:
    attempt = PaymentAttempt.objects.filter(intent_id=intent.pk, idempotency_key=key).first()
    return Earlier(attempt, fingerprint=attempt.request_hash) if attempt is not None else None


def payment_redirect(attempt: PaymentAttempt) -> Redirect | None:
    """Where to send the customer for a processing attempt (kept in the cache, never in the database: JazzCash's form
    carries the merchant password), or None once it is gone or the attempt is over."""
    if attempt.status != AttemptStatus.PROCESSING:
        return None
    cached = cache.get(REDIRECT_CACHE.format(attempt.reference))
    return Redirect(**cached) if cached else None


def payment_attempt_start(*, intent: PaymentIntent, gateway: str, idempotency_key: str | None = None) -> PaymentAttempt:
    """A new attempt to pay `intent` through `gateway` (a retry is just another one), created at the provider.
    Idempotent per key (kernel.idempotency): the same key and gateway return the same attempt and create nothing at
    the provider; the key with another gateway raises KEY_REUSED (409). Raises PaymentError: GATEWAY_INVALID,
    NOT_ONLINE, ALREADY_PAID, CANCELLED, EXPIRED, or GATEWAY_REJECTED / GATEWAY_UNAVAILABLE when the provider
    refused or did not answer (the attempt is then failed: nothing can be paid on it); IdempotencyError
    (KEY_INVALID, 400) for an unusable key. Earlier attempts stay open: if two get paid, the second payment is
    refunded automatically."""
    if gateway not in ONLINE:
        raise PaymentError(PaymentErrorCode.GATEWAY_INVALID, field="gateway")
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint({"gateway": gateway})
    now = timezone.now()

    def create() -> PaymentAttempt:
        with transaction.atomic():
            customer_order_lock(customer_order_id=intent.customer_order_id, merchant_orders=False)
            locked = PaymentIntent.objects.select_for_update().select_related("customer_order").get(pk=intent.pk)
            _payable(locked, now)
            attempt = PaymentAttempt.objects.create(
                intent=locked,
                gateway=gateway,
                reference=_reference("PA"),
                idempotency_key=key or "",
                request_hash=fingerprint if key else None,
                amount=locked.amount,
                currency=locked.currency,
                expires_at=locked.expires_at,
            )
            PaymentIntent.objects.filter(pk=locked.pk).update(
                status=IntentStatus.PROCESSING, method=gateway, last_error="", updated_at=now
            )
            payment_method_chosen.send(sender=PaymentIntent, intent=locked, method=gateway)
        return attempt

    started = idempotent_write(
        key=key,
        fingerprint=fingerprint,
        find=partial(_attempt_by_key, intent),
        write=create,
        conflict=lambda: PaymentError(PaymentErrorCode.KEY_REUSED, field=IDEMPOTENCY_HEADER),
    )
    if started.replayed:
        return started.result
    attempt = started.result
    order = attempt.intent.customer_order
    request = PaymentRequest(
        reference=attempt.reference,
        amount=attempt.amount,
        currency=attempt.currency,
        order_number=order.number,
        description=f"Planckly order {order.number}",
        customer_name=order.contact_name,
        customer_phone=order.contact_phone,
        customer_email=getattr(order.user, "email", "") or "",
        return_url=f"{settings.PAYMENTS_PUBLIC_BASE_URL.rstrip('/')}/payments/return/{attempt.reference}/",
        expires_at=attempt.expires_at,
    )
    try:
        initiated = gateway_for(gateway).initiate(request)
    except GatewayError as error:
        payment_attempt_apply(
            attempt=attempt,
            result=ProviderStatus(
                GatewayStatus.FAILED,
                code=error.code or str(error.kind),
                message=error.message or "Could not start.",
                raw=error.raw,
            ),
        )
        code = (
            PaymentErrorCode.GATEWAY_UNAVAILABLE
            if error.kind == GatewayErrorKind.UNAVAILABLE
            else PaymentErrorCode.GATEWAY_REJECTED
        )
        raise PaymentError(code) from error
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        provider_reference=initiated.provider_reference, request=initiated.request, response=initiated.response
    )
    timeout = max(int((attempt.expires_at - now).total_seconds()) + 300, 60)
    cache.set(REDIRECT_CACHE.format(attempt.reference), asdict(initiated.redirect), timeout=timeout)
    attempt.refresh_from_db()
    return attempt


def payment_attempt_confirm(*, attempt: PaymentAttempt) -> PaymentAttempt:
    """Ask the provider what happened to `attempt` and apply it. Raises GatewayError when the provider cannot say
    now (reconciliation asks again later)."""
    if attempt.status == AttemptStatus.SUCCEEDED or not attempt.provider_reference:
        return attempt
    result = gateway_for(attempt.gateway).query_status(
        reference=attempt.reference, provider_reference=attempt.provider_reference
    )
    return payment_attempt_apply(attempt=attempt, result=result)


def payment_attempt_apply(*, attempt: PaymentAttempt, result: ProviderStatus) -> PaymentAttempt:
    """Apply what the provider says about `attempt` — exactly once, in any order, from any number of callers at
    once. Monotonic: succeeded is final; failed/cancelled/expired only end a processing attempt (a late "failed"
    after "succeeded" changes nothing); pending changes nothing. A success keeps the money for the order only when
    it is the first, in full and in time; otherwise the money is recorded and refunded automatically."""
    if result.status == GatewayStatus.SUCCEEDED:
        return _attempt_succeed(attempt, result)
    if result.status == GatewayStatus.PENDING:
        PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.PROCESSING).update(
            response=result.raw, updated_at=timezone.now()
        )
        attempt.refresh_from_db()
        return attempt
    with transaction.atomic():
        PaymentIntent.objects.select_for_update().filter(pk=attempt.intent_id).first()
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != AttemptStatus.PROCESSING:
            return attempt
        attempt.status = AttemptStatus(str(result.status))
        attempt.error_code = result.code[:32]
        attempt.error_message = (result.message or attempt.get_status_display())[:255]
        attempt.response = result.raw or attempt.response
        attempt.save(update_fields=["status", "error_code", "error_message", "response", "updated_at"])
        others = PaymentAttempt.objects.filter(intent_id=attempt.intent_id, status=AttemptStatus.PROCESSING)
        if not others.exists():
            PaymentIntent.objects.filter(pk=attempt.intent_id, status=IntentStatus.PROCESSING).update(
                status=IntentStatus.FAILED, last_error=attempt.error_message, updated_at=timezone.now()
            )
    return attempt


def _attempt_succeed(attempt: PaymentAttempt, result: ProviderStatus) -> PaymentAttempt:
    with transaction.atomic():
        locked = customer_order_lock(customer_order_id=attempt.intent.customer_order_id)
        intent = PaymentIntent.objects.select_for_update().get(pk=attempt.intent_id)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status == AttemptStatus.SUCCEEDED:
            return attempt  # already applied: a repeat changes nothing
        paid = result.amount if result.amount is not None else attempt.amount
        now = timezone.now()
        attempt.status = AttemptStatus.SUCCEEDED
        attempt.provider_txn_id = result.provider_txn_id[:64]
        attempt.paid_amount = paid
        attempt.succeeded_at = now
        attempt.error_code, attempt.error_message = "", ""
        attempt.response = result.raw or attempt.response
        attempt.save()
        waiting = intent.status in (IntentStatus.REQUIRES_PAYMENT, IntentStatus.PROCESSING, IntentStatus.FAILED)
        keep = waiting and intent.captured_amount == 0 and paid == intent.amount
        intent.captured_amount += paid
        ledger_capture(intent=intent, attempt=attempt, amount=paid, allocate=keep)
        if keep:
            intent.status, intent.last_error = IntentStatus.SUCCEEDED, ""
            intent.save(update_fields=["captured_amount", "status", "last_error", "updated_at"])
            payment_succeeded.send(sender=PaymentIntent, intent=intent, merchant_orders=locked)
            return attempt
        intent.save(update_fields=["captured_amount", "updated_at"])
        if intent.status in PAID:
            reason = "The order was already paid: this second payment is given back."
        elif paid != intent.amount:
            reason = f"{paid} was paid instead of {intent.amount}: the payment is given back."
        else:
            reason = "The payment arrived after the order had ended: it is given back."
        refund = _refund_create(
            intent=intent,
            attempt=attempt,
            amount=paid,
            allocation={},
            reason=reason,
            requested_as="system",
            user_id=None,
        )
        refund_process_on_commit(refund.pk)
    return attempt


# ---- notifications ----------------------------------------------------------------------------------------------


def payment_notification_receive(*, gateway: str, body: bytes, content_type: str) -> tuple[WebhookEvent | None, bool]:
    """Store a provider notification raw and decide whether it is new: (event, is_new). A notification that fails
    verification is stored as rejected (once per distinct body) and (None, False) returned. Repeats of one fact
    (same gateway and dedupe key) only count deliveries. Raises nothing for bad input."""
    adapter = gateway_for(gateway)
    text = body.decode("utf-8", errors="replace")
    try:
        notice = adapter.parse_notification(body=body, content_type=content_type)
    except GatewayError as error:
        key = "invalid:" + hashlib.sha256(body).hexdigest()
        _event_upsert(
            gateway=gateway,
            key=key,
            body=text,
            content_type=content_type,
            status=WebhookStatus.REJECTED,
            detail=(error.message or "Verification failed")[:255],
        )
        return None, False
    return _event_upsert(
        gateway=gateway,
        key=notice.dedupe_key[:160],
        body=text,
        content_type=content_type,
        status=WebhookStatus.RECEIVED,
        detail="",
    )


def _event_upsert(
    *, gateway: str, key: str, body: str, content_type: str, status: str, detail: str
) -> tuple[WebhookEvent, bool]:
    """INSERT … ON CONFLICT DO UPDATE deliveries + 1, in one statement: parallel deliveries of one fact end up as one
    row, and exactly one of them learns it was first (xmax = 0 on a fresh insert)."""
    table = WebhookEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table}
                    (gateway, dedupe_key, body, content_type, status, detail, deliveries, received_at)
                VALUES (%s, %s, %s, %s, %s, %s, 1, now())
                ON CONFLICT (gateway, dedupe_key) DO UPDATE SET deliveries = {table}.deliveries + 1
                RETURNING id, (xmax = 0), status""",
            [gateway, key, body, content_type[:100], status, detail],
        )
        event_id, created, current = cursor.fetchone()
    return WebhookEvent(pk=event_id, gateway=gateway, dedupe_key=key, status=current), created


def payment_webhook_process(*, event_id: int) -> WebhookEvent:
    """Confirm one stored notification with the provider and apply what the provider says (never what the
    notification claims). Idempotent: an event already applied or rejected is left alone; one the provider could not
    confirm is marked RETRY and picked up again by reconciliation."""
    event = WebhookEvent.objects.get(pk=event_id)
    if event.status in (WebhookStatus.APPLIED, WebhookStatus.REJECTED):
        return event
    adapter = gateway_for(event.gateway)
    notice = adapter.parse_notification(body=event.body.encode(), content_type=event.content_type)
    attempt = _attempt_for(event.gateway, notice)
    if attempt is None:
        return _event_done(event, WebhookStatus.REJECTED, "No payment of ours has this reference.")
    try:
        provider_reference = attempt.provider_reference or notice.provider_reference
        truth = adapter.query_status(reference=attempt.reference, provider_reference=provider_reference)
    except GatewayError as error:
        status = WebhookStatus.REJECTED if error.kind == GatewayErrorKind.REJECTED else WebhookStatus.RETRY
        return _event_done(event, status, f"Could not confirm: {error}"[:255], attempt=attempt)
    payment_attempt_apply(attempt=attempt, result=truth)
    if notice.status == GatewayStatus.SUCCEEDED and truth.status != GatewayStatus.SUCCEEDED:
        return _event_done(
            event, WebhookStatus.REJECTED, f"The provider's status query says {truth.status}.", attempt=attempt
        )
    return _event_done(event, WebhookStatus.APPLIED, f"Provider says {truth.status}.", attempt=attempt)


def _attempt_for(gateway: str, notice) -> PaymentAttempt | None:
    attempts = PaymentAttempt.objects.filter(gateway=gateway).select_related("intent")
    if notice.reference:
        found = attempts.filter(reference=notice.reference).first()
        if found is not None:
            return found
    if notice.provider_reference:
        return attempts.filter(provider_reference=notice.provider_reference).first()
    return None


def _event_done(event: WebhookEvent, status: str, detail: str, *, attempt: PaymentAttempt | None = None):
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, detail=detail[:255], attempt=attempt, processed_at=timezone.now()
    )
    event.refresh_from_db()
    return event


# ---- reconciliation ---------------------------------------------------------------------------------------------


def payments_reconcile(*, now=None, older_than_seconds: int = 60, limit: int = 100) -> dict[str, int]:
    """Beat: ask the providers about attempts still processing a while after they started (the notification may be
    lost, late, or the provider timed out on us), end those past their deadline the provider still calls pending,
    and process notifications that could not be confirmed before. Each item on its own: one failure is logged and
    retried next run."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    counts = {"confirmed": 0, "expired": 0, "events": 0, "errors": 0}
    stale = PaymentAttempt.objects.filter(status=AttemptStatus.PROCESSING, updated_at__lt=cutoff).order_by("id")
    for attempt in stale[:limit]:
        try:
            if not attempt.provider_reference:
                result = ProviderStatus(
                    GatewayStatus.FAILED, code="not_started", message="The provider never answered."
                )
                payment_attempt_apply(attempt=attempt, result=result)
                continue
            attempt = payment_attempt_confirm(attempt=attempt)
            grace = timedelta(minutes=settings.PAYMENT_PROVIDER_GRACE_MINUTES)
            if attempt.status == AttemptStatus.PROCESSING and attempt.expires_at + grace < now:
                payment_attempt_apply(
                    attempt=attempt,
                    result=ProviderStatus(GatewayStatus.EXPIRED, code="expired", message="Not paid in time."),
                )
                counts["expired"] += 1
            else:
                PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.PROCESSING).update(updated_at=now)
                counts["confirmed"] += 1
        except Exception:
            logger.exception("payment attempt %s: reconciliation failed, retried next run", attempt.pk)
            counts["errors"] += 1
    events = WebhookEvent.objects.filter(
        status__in=(WebhookStatus.RECEIVED, WebhookStatus.RETRY), received_at__lt=cutoff
    ).order_by("id")
    for event in events[:limit]:
        try:
            payment_webhook_process(event_id=event.pk)
            counts["events"] += 1
        except Exception:
            logger.exception("webhook event %s: processing failed, retried next run", event.pk)
            counts["errors"] += 1
    pending = Refund.objects.filter(status=RefundStatus.PENDING, error_code="", updated_at__lt=cutoff).order_by("id")
    for refund in pending[:limit]:
        try:
            refund_process(refund_id=refund.pk)
        except Exception:
            logger.exception("refund %s: processing failed, retried next run", refund.pk)
            counts["errors"] += 1
    return counts


# ---- refunds ----------------------------------------------------------------------------------------------------


def _kept_attempt(intent: PaymentIntent) -> PaymentAttempt | None:
    """The attempt whose money pays for the order (the one whose capture was allocated), None for cash."""
    entry = (
        LedgerEntry.objects.filter(intent=intent, kind=LedgerKind.MERCHANT_SHARE, attempt__isnull=False)
        .order_by("id")
        .first()
    )
    return entry.attempt if entry else None


def _refund_create(
    *,
    intent: PaymentIntent,
    attempt: PaymentAttempt | None,
    amount: Decimal,
    allocation: dict[str, str],
    reason: str,
    requested_as: str,
    user_id: int | None,
) -> Refund:
    return Refund.objects.create(
        intent=intent,
        attempt=attempt,
        reference=_reference("RF"),
        amount=amount,
        currency=intent.currency,
        reason=reason[:255],
        requested_as=requested_as,
        requested_by_id=user_id,
        allocation=allocation,
        part_id=int(next(iter(allocation))) if len(allocation) == 1 else None,
    )


def _pending_from(intent: PaymentIntent) -> dict[int, Decimal]:
    """Per part, what refunds not yet finished will take out of it."""
    taken: dict[int, Decimal] = {}
    for allocation in intent.refunds.filter(status=RefundStatus.PENDING).values_list("allocation", flat=True):
        for part_id, amount in allocation.items():
            taken[int(part_id)] = taken.get(int(part_id), Decimal(0)) + Decimal(amount)
    return taken


def _room(intent: PaymentIntent, part: PaymentPart | None = None) -> dict[int, Decimal]:
    """Per part (one, or every part of the order), what it still holds for refunds: its share + commission in the
    ledger, less what refunds in flight will take."""
    pending = _pending_from(intent)
    part_ids = [part.pk] if part is not None else list(intent.parts.order_by("id").values_list("pk", flat=True))
    return {pk: part_allocated(pk) - pending.get(pk, Decimal(0)) for pk in part_ids}


def refundable(intent: PaymentIntent, part: PaymentPart | None = None) -> Decimal:
    """What can still be refunded: of the whole order, or of one part (its merchant's share + commission)."""
    return sum(_room(intent, part).values(), Decimal(0))


def refund_request(
    *,
    intent: PaymentIntent,
    amount: Decimal,
    part: PaymentPart | OrderPart | None = None,
    reason: str,
    requested_as: str,
    user_id: int | None = None,
) -> Refund:
    """Give `amount` back, out of one part (a merchant refunding its share) or spread over the parts still paid for
    (admin), through the gateway that took the money (cash: recorded as handed back). Never more than is left,
    also when two people refund at once (checked under the intent's lock, counting refunds in flight). Raises
    PaymentError: REFUND_AMOUNT_INVALID, NOT_FOUND (a part of another order), NOTHING_TO_REFUND, REFUND_TOO_LARGE;
    and REFUND_REJECTED / REFUND_PENDING from the provider (a rejected refund is failed and changes nothing; an
    unanswered one stays pending, its amount held, for an operator to confirm)."""
    try:  # the money columns' bounds first: quantize() raised on "1e26" before any comparison could refuse it
        amount = amount_parse(amount) if isinstance(amount, Decimal) else None
    except ValueError:
        amount = None
    if amount is None or amount <= 0:
        raise PaymentError(PaymentErrorCode.REFUND_AMOUNT_INVALID, field="amount")
    if part is not None:  # named by its id: the marketplace's part of the same id is the same part
        part = intent.parts.filter(pk=part.pk).first()
        if part is None:
            raise PaymentError(PaymentErrorCode.NOT_FOUND, "That part is not in this order.", field="part")
    with transaction.atomic():
        intent = PaymentIntent.objects.select_for_update().get(pk=intent.pk)
        room = {pk: left for pk, left in _room(intent, part).items() if left > 0}
        available = sum(room.values(), Decimal(0))
        if available <= 0:
            raise PaymentError(PaymentErrorCode.NOTHING_TO_REFUND)
        if amount > available:
            raise PaymentError(
                PaymentErrorCode.REFUND_TOO_LARGE,
                f"At most {money(available, intent.currency)} can be refunded.",
                field="amount",
                extra={"refundable": str(available)},
            )
        # All from `part`, or over the parts still paid for in proportion to what each holds.
        allocation = {str(pk): str(share) for pk, share in split_by_weight(amount, room).items() if share > 0}
        refund = _refund_create(
            intent=intent,
            attempt=_kept_attempt(intent),
            amount=amount,
            allocation=allocation,
            reason=reason,
            requested_as=requested_as,
            user_id=user_id,
        )
    refund = refund_process(refund_id=refund.pk)
    if refund.status == RefundStatus.FAILED:
        raise PaymentError(PaymentErrorCode.REFUND_REJECTED, refund.error_message or None)
    return refund


def refund_process(*, refund_id: int) -> Refund:
    """Send a pending refund to its gateway and record the outcome. Idempotent (a refund that is no longer pending is
    returned as it is); the gateway is called outside any transaction. A refund the provider never answered stays
    pending as unconfirmed, for an operator: re-sending could refund twice."""
    refund = Refund.objects.select_related("attempt", "intent").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING or refund.error_code == UNCONFIRMED:
        return refund
    if refund.attempt is None:
        outcome = RefundOutcome(
            GatewayStatus.SUCCEEDED,
            provider_reference=f"cash-{refund.reference}",
            message="Cash handed back to the customer.",
        )
    else:
        attempt = refund.attempt
        try:
            outcome = gateway_for(attempt.gateway).refund(
                reference=attempt.reference,
                provider_reference=attempt.provider_reference,
                provider_txn_id=attempt.provider_txn_id,
                amount=refund.amount,
                currency=refund.currency,
                refund_reference=refund.reference,
            )
        except GatewayError as error:
            if error.kind == GatewayErrorKind.UNAVAILABLE:
                # The provider may have refunded without us hearing it, and refunds carry no idempotency key at
                # the gateways: this one is never re-sent automatically; an operator checks and settles it.
                Refund.objects.filter(pk=refund.pk).update(
                    error_code=UNCONFIRMED, error_message=str(error)[:255], updated_at=timezone.now()
                )
                raise PaymentError(PaymentErrorCode.REFUND_PENDING) from error
            outcome = RefundOutcome(GatewayStatus.FAILED, code=error.code, message=error.message, response=error.raw)
    return _refund_apply(refund, outcome)


def _refund_apply(refund: Refund, outcome: RefundOutcome) -> Refund:
    with transaction.atomic():
        intent = PaymentIntent.objects.select_for_update().get(pk=refund.intent_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.PENDING or outcome.status == GatewayStatus.PENDING:
            return refund
        refund.provider_reference = outcome.provider_reference[:64]
        refund.error_code, refund.error_message = outcome.code[:32], outcome.message[:255]
        refund.request, refund.response = outcome.request, outcome.response
        if outcome.status != GatewayStatus.SUCCEEDED:
            refund.status = RefundStatus.FAILED
            refund.save()
            return refund
        refund.status = RefundStatus.SUCCEEDED
        refund.save()
        ledger_refund(refund=refund)
        intent.refunded_amount += refund.amount
        if intent.status in PAID and refund.allocation:
            _, kept = intent_allocated(intent.pk)
            intent.status = IntentStatus.REFUNDED if kept <= 0 else IntentStatus.PARTIALLY_REFUNDED
        intent.save(update_fields=["refunded_amount", "status", "updated_at"])
        ended = [int(pk) for pk in refund.allocation if part_allocated(int(pk)) == 0]
    if ended:
        refund_parts_ended.send(sender=Refund, refund=refund, part_ids=ended)
    return refund


def refund_process_on_commit(refund_id: int) -> None:
    """Hand an automatic refund to a worker once the transaction that created it commits (a broker outage only
    delays it: reconciliation picks up refunds left pending). Sent by name: the tasks module imports this one."""

    def send() -> None:
        try:
            task_send(REFUND_PROCESS_TASK, refund_id=refund_id)
        except Exception:
            logger.exception("refund %s: could not queue, reconciliation will process it", refund_id)

    transaction.on_commit(send)


def payment_part_refund(*, part: PaymentPart | OrderPart, reason: str) -> Refund | None:
    """Give back everything still held for one part, named by its id (a paid order rejected or cancelled by the
    shop). None when nothing is left to give back. Used by the automatic refund task."""
    part = PaymentPart.objects.select_related("intent").get(pk=part.pk)
    intent = part.intent
    amount = refundable(intent, part)
    if amount <= 0:
        return None
    return refund_request(intent=intent, amount=amount, part=part, reason=reason, requested_as="system")


def payment_intent_cancel(*, customer_order_id: int) -> bool:
    """The order ended before it was paid (every part cancelled): no payment is taken for it any more; a payment that
    still lands is refunded. Call with the order's merchant orders locked. True when it was cancelled here."""
    return bool(
        PaymentIntent.objects.filter(
            customer_order_id=customer_order_id,
            method__in=ONLINE,
            status__in=(IntentStatus.REQUIRES_PAYMENT, IntentStatus.PROCESSING, IntentStatus.FAILED),
        ).update(status=IntentStatus.CANCELLED, updated_at=timezone.now())
    )
