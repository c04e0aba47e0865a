"""Partner couriers: quotes, bookings that happen once, cancels, and every status and position a courier tells us,
applied exactly once and in one direction.

Who calls what, and where it runs:

| service                    | calls the courier | runs in                     | guarantee                          |
|----------------------------|-------------------|-----------------------------|------------------------------------|
| `courier_quote_request`    | no                | anywhere (the checkout)     | answer read by courier_quote_reply |
| `courier_quote`            | yes               | a worker: courier_quote_task | LogisticsError on refusal         |
| `courier_delivery_request` | no                | anywhere (web, receivers)   | one open delivery per order        |
| `courier_book`             | yes               | a worker: courier_book_task | books at most once (key stored first) |
| `courier_cancel_request`   | no                | anywhere                    | refuses what is past cancelling    |
| `courier_cancel`           | yes               | a worker: courier_cancel_task | cancels, then applies it         |
| `courier_webhook_receive`  | no                | the webhook request         | stored raw, deduplicated, once     |
| `couriers_poll`            | yes               | beat: couriers_poll_task    | polled news applied like webhooks  |

Every status change goes through `_transition`: forward only (couriers/base.status_may_follow), under the row lock,
`courier_status_changed` sent inside the transaction and the live event published on commit. A notification or a
polled history entry is stored as a `CourierWebhook` under the courier's event id first, so a repeat is seen at the
unique index and applies nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from kernel.tasks import task_send
from shared_apps.live.services import channel_delivery, channel_order, live_publish
from shared_apps.logistics.couriers import courier_for
from shared_apps.logistics.couriers.base import (
    BookingRequest,
    CourierAdapter,
    CourierBooking,
    CourierError,
    CourierErrorKind,
    CourierEvent,
    ManifestItem,
    Quote,
    Stop,
    status_may_follow,
)
from shared_apps.logistics.errors import LogisticsError, LogisticsErrorCode
from shared_apps.logistics.models import (
    OPEN_STATUSES,
    CourierDelivery,
    CourierProvider,
    CourierWebhook,
    DeliveryStatus,
    WebhookStatus,
)
from shared_apps.logistics.signals import courier_arriving, courier_status_changed

logger = logging.getLogger(__name__)

BOOK_TASK = "shared_apps.logistics.tasks.courier_book_task"
CANCEL_TASK = "shared_apps.logistics.tasks.courier_cancel_task"
QUOTE_MARGIN = timedelta(seconds=30)  # a quote this close to its end may expire on the way to the courier
STUCK_AFTER = timedelta(minutes=2)  # a booking not back by then lost its task (broker outage): queue it again
WAITING_WEBHOOK_DAYS = 2  # a notification for a delivery we never booked is kept this long, then let go
CANCELABLE = frozenset({DeliveryStatus.REQUESTED, DeliveryStatus.PENDING, DeliveryStatus.PICKUP})
ENDED = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.CANCELED, DeliveryStatus.RETURNED, DeliveryStatus.FAILED})
REJECTED_BODY_CHARS = 4000  # a forged body is kept for the record, not in full


# ---- values ---------------------------------------------------------------------------------------------------------


def stop_as_json(stop: Stop) -> dict[str, str]:
    return {key: str(value) for key, value in asdict(stop).items()}


def stop_from_json(data: dict[str, Any]) -> Stop:
    return Stop(
        name=str(data.get("name") or ""),
        phone=str(data.get("phone") or ""),
        address=str(data.get("address") or ""),
        latitude=Decimal(str(data.get("latitude") or "0")),
        longitude=Decimal(str(data.get("longitude") or "0")),
        city=str(data.get("city") or ""),
        notes=str(data.get("notes") or ""),
    )


def _items(delivery: CourierDelivery) -> tuple[ManifestItem, ...]:
    return tuple(
        ManifestItem(name=str(item["name"]), quantity=int(item["quantity"]), price=Decimal(str(item.get("price") or 0)))
        for item in delivery.items
    )


def _adapter(provider: str) -> CourierAdapter:
    if provider not in CourierProvider.values:
        raise LogisticsError(LogisticsErrorCode.COURIER_UNKNOWN, field="provider")
    try:
        return courier_for(provider)
    except CourierError as error:
        raise LogisticsError(LogisticsErrorCode.COURIER_UNKNOWN, field="provider") from error


def _domain_error(error: CourierError) -> LogisticsError:
    if error.kind == CourierErrorKind.UNDELIVERABLE:
        return LogisticsError(LogisticsErrorCode.UNDELIVERABLE, field="dropoff")
    if error.kind == CourierErrorKind.NOT_CANCELABLE:
        return LogisticsError(LogisticsErrorCode.NOT_CANCELABLE)
    if error.kind == CourierErrorKind.UNAVAILABLE:
        return LogisticsError(LogisticsErrorCode.QUOTE_UNAVAILABLE)
    return LogisticsError(LogisticsErrorCode.REJECTED)


# ---- quotes ---------------------------------------------------------------------------------------------------------


def courier_quote(*, provider: str, pickup: Stop, dropoff: Stop, cod_amount: Decimal = Decimal("0")) -> Quote:
    """What `provider` charges to carry one parcel from `pickup` to `dropoff`, and until when (calls the courier:
    run it in a worker, `courier_quote_task`). Raises LogisticsError: COURIER_UNKNOWN, UNDELIVERABLE,
    QUOTE_UNAVAILABLE (no answer: try again), REJECTED."""
    try:
        return _adapter(provider).quote(pickup=pickup, dropoff=dropoff, cod_amount=cod_amount)
    except CourierError as error:
        raise _domain_error(error) from error


QUOTE_TASK = "shared_apps.logistics.tasks.courier_quote_task"
QUOTE_REPLY_CACHE = "logistics:quote:{}"
QUOTE_REPLY_SECONDS = 15 * 60  # a quote is valid 15 minutes; its answer is no use longer


def courier_quote_request(*, provider: str, pickup: Stop, dropoff: Stop, cod_amount: Decimal = Decimal("0")) -> str:
    """Ask a worker for a quote (no provider call here: web requests may call this). Returns the reply key that
    `selectors.courier_quote_reply` reads once the worker has answered. Raises LogisticsError(COURIER_UNKNOWN)."""
    if provider not in CourierProvider.values:
        raise LogisticsError(LogisticsErrorCode.COURIER_UNKNOWN, field="provider")
    reply_key = uuid.uuid4().hex
    task_send(
        QUOTE_TASK,
        provider=provider,
        pickup=stop_as_json(pickup),
        dropoff=stop_as_json(dropoff),
        cod_amount=str(cod_amount),
        reply_key=reply_key,
    )
    return reply_key


def courier_quote_answer(
    *, provider: str, pickup: Stop, dropoff: Stop, cod_amount: Decimal, reply_key: str
) -> Quote | None:
    """The worker's half of courier_quote_request: quote, and leave the answer (or the error's code) under
    `reply_key` for QUOTE_REPLY_SECONDS. Returns the quote, None after a refusal."""
    try:
        quote = courier_quote(provider=provider, pickup=pickup, dropoff=dropoff, cod_amount=cod_amount)
    except LogisticsError as error:
        cache.set(QUOTE_REPLY_CACHE.format(reply_key), {"error": str(error.code)}, timeout=QUOTE_REPLY_SECONDS)
        return None
    answer = {key: str(value) if value is not None else None for key, value in asdict(quote).items()}
    cache.set(QUOTE_REPLY_CACHE.format(reply_key), answer, timeout=QUOTE_REPLY_SECONDS)
    return quote


# ---- booking --------------------------------------------------------------------------------------------------------


def courier_delivery_request(
    *,
    provider: str,
    merchant_schema: str,
    merchant_order_id: int,
    pickup: Stop,
    dropoff: Stop,
    items: list[ManifestItem],
    customer_order_id: int | None = None,
    merchant_delivery_id: int | None = None,
    cod_amount: Decimal = Decimal("0"),
    quote: Quote | None = None,
) -> CourierDelivery:
    """Hand a merchant order to a partner courier: the delivery is stored with its idempotency key, and the booking
    is queued for a worker once this transaction commits (no provider call here). Idempotent per merchant order:
    while a delivery of that order is open, the same one is returned. `quote` is the one the customer was shown
    (kept if still valid when the worker books; an expired one is re-quoted there). Raises LogisticsError
    (COURIER_UNKNOWN)."""
    if provider not in CourierProvider.values:
        raise LogisticsError(LogisticsErrorCode.COURIER_UNKNOWN, field="provider")
    values: dict[str, Any] = {
        "provider": provider,
        "idempotency_key": uuid.uuid4().hex,
        "reference": "CD" + secrets.token_hex(8).upper(),
        "merchant_schema": merchant_schema,
        "merchant_order_id": merchant_order_id,
        "customer_order_id": customer_order_id,
        "merchant_delivery_id": merchant_delivery_id,
        "pickup": stop_as_json(pickup),
        "dropoff": stop_as_json(dropoff),
        "items": [{"name": i.name, "quantity": i.quantity, "price": str(i.price)} for i in items],
        "cod_amount": cod_amount,
    }
    if quote is not None:
        values.update(
            quote_id=quote.id,
            quote_fee=quote.fee,
            quote_expires_at=quote.expires_at,
            currency=quote.currency,
            eta=quote.eta,
        )
    try:
        with transaction.atomic():  # a twin request meets the one-open-delivery index here
            delivery = CourierDelivery.objects.create(**values)
    except IntegrityError:
        existing = _open_delivery(merchant_schema, merchant_order_id)
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: task_send(BOOK_TASK, delivery_id=delivery.pk))
    return delivery


def _open_delivery(merchant_schema: str, merchant_order_id: int) -> CourierDelivery | None:
    return (
        CourierDelivery.objects.filter(
            merchant_schema=merchant_schema,
            merchant_order_id=merchant_order_id,
            status__in=[DeliveryStatus.REQUESTED, *OPEN_STATUSES],
        )
        .order_by("-id")
        .first()
    )


def _quote_usable(delivery: CourierDelivery, now: datetime) -> bool:
    if delivery.quote_fee is None:
        return False
    return delivery.quote_expires_at is None or delivery.quote_expires_at > now + QUOTE_MARGIN


def _requote(delivery: CourierDelivery, adapter: CourierAdapter) -> CourierDelivery:
    """A fresh quote stored on the delivery (the one shown at checkout expired or was used)."""
    quote = adapter.quote(
        pickup=stop_from_json(delivery.pickup), dropoff=stop_from_json(delivery.dropoff), cod_amount=delivery.cod_amount
    )
    if delivery.quote_fee is not None and quote.fee != delivery.quote_fee:
        logger.info("courier delivery %s: re-quoted %s -> %s", delivery.pk, delivery.quote_fee, quote.fee)
    CourierDelivery.objects.filter(pk=delivery.pk).update(
        quote_id=quote.id,
        quote_fee=quote.fee,
        quote_expires_at=quote.expires_at,
        currency=quote.currency,
        eta=quote.eta or delivery.eta,
    )
    delivery.refresh_from_db()
    return delivery


def courier_book(*, delivery_id: int) -> CourierDelivery:
    """Book the delivery at its courier (calls the courier: a worker's job, `courier_book_task`). At most once,
    however often it runs: the stored idempotency key goes with every try, a repeat the courier reports as a
    duplicate is attached to the existing booking, and a delivery already booked is returned untouched. An expired
    or used quote is replaced once. An undeliverable or refused booking ends as FAILED (told through the signal).
    Raises CourierError(UNAVAILABLE) when the courier did not answer: the task retries with the same key."""
    delivery = CourierDelivery.objects.get(pk=delivery_id)
    if delivery.provider_id or delivery.status != DeliveryStatus.REQUESTED:
        return delivery
    if delivery.cancel_requested_at is not None:
        _transition(delivery.pk, DeliveryStatus.CANCELED)
        return CourierDelivery.objects.get(pk=delivery_id)
    adapter = courier_for(delivery.provider)
    CourierDelivery.objects.filter(pk=delivery.pk).update(booking_attempts=F("booking_attempts") + 1)
    booking: CourierBooking | None = None
    for _ in range(2):  # the second round only after the courier turned the quote down
        try:
            if not _quote_usable(delivery, timezone.now()):
                delivery = _requote(delivery, adapter)
            booking = adapter.create(_booking_request(delivery))
            break
        except CourierError as error:
            if error.kind in (CourierErrorKind.QUOTE_EXPIRED, CourierErrorKind.QUOTE_USED):
                CourierDelivery.objects.filter(pk=delivery.pk).update(quote_fee=None, quote_expires_at=None)
                delivery.quote_fee = None
                continue
            if error.kind == CourierErrorKind.DUPLICATE and error.provider_id:
                booking = _existing_booking(adapter, error.provider_id)
                break
            if error.kind in (CourierErrorKind.UNDELIVERABLE, CourierErrorKind.REJECTED):
                _fail(delivery, error)
                return CourierDelivery.objects.get(pk=delivery_id)
            _note_error(delivery, error)
            raise
    if booking is None:
        error = CourierError(CourierErrorKind.REJECTED, code="quote_refused", message="The courier refused two quotes.")
        _fail(delivery, error)
        return CourierDelivery.objects.get(pk=delivery_id)
    delivery = _booked(delivery.pk, booking)
    if delivery.cancel_requested_at is not None:
        # Cancelled while the booking was on its way (the customer already sees it cancelled): undo it at the courier.
        try:
            _transition(delivery.pk, DeliveryStatus(adapter.cancel(provider_id=delivery.provider_id).value))
        except CourierError as error:
            logger.warning("courier delivery %s: booked after its cancel, not cancelled: %s", delivery.pk, error)
            _note_error(delivery, error)
        return CourierDelivery.objects.get(pk=delivery_id)
    return delivery


def _booking_request(delivery: CourierDelivery) -> BookingRequest:
    return BookingRequest(
        idempotency_key=delivery.idempotency_key,
        reference=delivery.reference,
        pickup=stop_from_json(delivery.pickup),
        dropoff=stop_from_json(delivery.dropoff),
        items=_items(delivery),
        quote_id=delivery.quote_id,
        cod_amount=delivery.cod_amount,
    )


def _existing_booking(adapter: CourierAdapter, provider_id: str) -> CourierBooking:
    """The booking an earlier try of ours made (the courier reported our key as a duplicate)."""
    state = adapter.status(provider_id=provider_id)
    return CourierBooking(provider_id=provider_id, status=state.status, raw=state.raw)


def _note_error(delivery: CourierDelivery, error: CourierError) -> None:
    CourierDelivery.objects.filter(pk=delivery.pk).update(
        error_code=(error.code or str(error.kind))[:32], error_message=(error.message or str(error))[:255]
    )


def _fail(delivery: CourierDelivery, error: CourierError) -> None:
    _note_error(delivery, error)
    _transition(delivery.pk, DeliveryStatus.FAILED)


def _booked(delivery_id: int, booking: CourierBooking) -> CourierDelivery:
    """Record the courier's booking and its first status; then apply what the courier told us before we knew the
    booking's id (its first notifications can beat the answer to the create call)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = CourierDelivery.objects.select_for_update().get(pk=delivery_id)
        if not delivery.provider_id:
            delivery.provider_id = booking.provider_id[:100]
            delivery.tracking_url = booking.tracking_url[:500]
            delivery.fee = booking.fee if booking.fee is not None else delivery.quote_fee
            delivery.eta = booking.eta or delivery.eta
            delivery.booked_at = now
            delivery.error_code, delivery.error_message = "", ""
            delivery.save(
                update_fields=[
                    "provider_id",
                    "tracking_url",
                    "fee",
                    "eta",
                    "booked_at",
                    "error_code",
                    "error_message",
                    "updated_at",
                ]
            )
        _transition(delivery.pk, DeliveryStatus(booking.status.value))
    waiting = CourierWebhook.objects.filter(
        provider=delivery.provider, provider_delivery_id=delivery.provider_id, status=WebhookStatus.RECEIVED
    ).order_by("occurred_at", "id")
    for webhook_id in waiting.values_list("id", flat=True):
        courier_webhook_process(webhook_id=webhook_id)
    return CourierDelivery.objects.get(pk=delivery_id)


# ---- cancelling -----------------------------------------------------------------------------------------------------


def courier_cancel_request(*, delivery: CourierDelivery) -> CourierDelivery:
    """Ask for the delivery to be cancelled (no provider call here): not booked yet, it is cancelled now and never
    booked; booked, a worker cancels it at the courier. Idempotent. Raises LogisticsError: ALREADY_ENDED,
    NOT_CANCELABLE (the courier has the parcel)."""
    with transaction.atomic():
        locked = CourierDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status in ENDED:
            raise LogisticsError(LogisticsErrorCode.ALREADY_ENDED)
        if locked.status not in CANCELABLE:
            raise LogisticsError(LogisticsErrorCode.NOT_CANCELABLE)
        if locked.cancel_requested_at is None:
            locked.cancel_requested_at = timezone.now()
            locked.save(update_fields=["cancel_requested_at", "updated_at"])
        if locked.status == DeliveryStatus.REQUESTED and not locked.provider_id:
            _transition(locked.pk, DeliveryStatus.CANCELED)
        else:
            transaction.on_commit(lambda: task_send(CANCEL_TASK, delivery_id=locked.pk))
    return CourierDelivery.objects.get(pk=delivery.pk)


def courier_cancel(*, delivery_id: int) -> CourierDelivery:
    """Cancel the booking at the courier and apply it (calls the courier: a worker's job, `courier_cancel_task`).
    Idempotent. Raises LogisticsError(NOT_CANCELABLE) when the courier says it is too late (the delivery goes on),
    CourierError(UNAVAILABLE) when it did not answer (the task retries)."""
    delivery = CourierDelivery.objects.get(pk=delivery_id)
    if not delivery.provider_id or delivery.status in (
        DeliveryStatus.CANCELED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.RETURNED,
    ):
        return delivery
    try:
        after = courier_for(delivery.provider).cancel(provider_id=delivery.provider_id)
    except CourierError as error:
        if error.kind == CourierErrorKind.UNAVAILABLE:
            raise
        _note_error(delivery, error)
        CourierDelivery.objects.filter(pk=delivery.pk).update(cancel_requested_at=None)
        raise _domain_error(error) from error
    _transition(delivery.pk, DeliveryStatus(after.value))
    return CourierDelivery.objects.get(pk=delivery_id)


# ---- transitions ----------------------------------------------------------------------------------------------------


def _may_move(current: str, new: str) -> bool:
    if current == DeliveryStatus.REQUESTED:
        return new != DeliveryStatus.REQUESTED
    if DeliveryStatus.FAILED in (current, new):
        return False
    return status_may_follow(current, new)


def _channels(delivery: CourierDelivery) -> list[str]:
    channels = []
    if delivery.customer_order_id is not None:
        channels.append(channel_order(delivery.customer_order_id))
    if delivery.merchant_delivery_id is not None:
        channels.append(channel_delivery(delivery.merchant_schema, delivery.merchant_delivery_id))
    return channels


def _live_view(delivery: CourierDelivery) -> dict[str, Any]:
    """What every listener of the order and the delivery may see (no phone numbers, no fee)."""
    return {
        "courier_delivery_id": delivery.pk,
        "merchant_order_id": delivery.merchant_order_id,
        "provider": delivery.provider,
        "status": delivery.status,
        "imminent": delivery.courier_imminent,
        "eta": delivery.eta.isoformat() if delivery.eta else None,
        "tracking_url": delivery.tracking_url,
        "courier_name": delivery.courier_name,
        "lat": str(delivery.last_latitude) if delivery.last_latitude is not None else None,
        "lng": str(delivery.last_longitude) if delivery.last_longitude is not None else None,
    }


def _transition(delivery_id: int, to_status: str, *, at: datetime | None = None) -> bool:
    """Move the delivery to `to_status` if that is forward (late and repeated news change nothing): under its row
    lock, `courier_status_changed` sent inside the transaction, the live event published on commit. True if moved."""
    with transaction.atomic():
        delivery = CourierDelivery.objects.select_for_update().get(pk=delivery_id)
        from_status = delivery.status
        if not _may_move(from_status, to_status):
            return False
        delivery.status = to_status
        delivery.status_changed_at = at or timezone.now()
        delivery.save(update_fields=["status", "status_changed_at", "updated_at"])
        courier_status_changed.send(
            sender=CourierDelivery, delivery=delivery, from_status=from_status, to_status=to_status
        )
        live_publish(channels=_channels(delivery), kind="courier.status", data=_live_view(delivery))
    return True


def _position(delivery: CourierDelivery, event: CourierWebhook) -> bool:
    """Keep the courier's newest position (an older one arriving late, or the same place again, is dropped) and
    publish it. Caller holds the row lock."""
    if event.latitude is None or event.longitude is None or delivery.status in ENDED:
        return False
    at = event.occurred_at or event.received_at or timezone.now()
    if delivery.position_at is not None and at <= delivery.position_at:
        return False
    if (event.latitude, event.longitude) == (delivery.last_latitude, delivery.last_longitude):
        return False  # the courier has not moved (a status notification repeats the position of the last update)
    delivery.last_latitude, delivery.last_longitude, delivery.position_at = event.latitude, event.longitude, at
    delivery.save(update_fields=["last_latitude", "last_longitude", "position_at", "updated_at"])
    live_publish(
        channels=_channels(delivery),
        kind="courier.position",
        data={
            "courier_delivery_id": delivery.pk,
            "merchant_order_id": delivery.merchant_order_id,
            "lat": str(event.latitude),
            "lng": str(event.longitude),
            "at": at.isoformat(),
        },
    )
    return True


# ---- notifications --------------------------------------------------------------------------------------------------


def courier_webhook_receive(*, provider: str, headers: dict[str, str], body: bytes) -> list[CourierWebhook]:
    """Verify a courier's notification, store it raw under the courier's event id and apply it: exactly once,
    whatever the number of copies and their order (a repeat only counts `deliveries`). No provider call. A body that
    fails verification is stored as rejected (shortened) and applies nothing. Raises LogisticsError: WEBHOOK_UNSIGNED
    (401: no or wrong signature), WEBHOOK_INVALID (400: signed but unreadable), COURIER_UNKNOWN."""
    adapter = _adapter(provider)
    try:
        events = adapter.webhook_verify_parse(headers=headers, raw_body=body)
    except CourierError as error:
        _webhook_upsert(
            provider=provider,
            key="invalid:" + hashlib.sha256(body).hexdigest(),
            body=body.decode("utf-8", errors="replace")[:REJECTED_BODY_CHARS],
            event=None,
            status=WebhookStatus.REJECTED,
            detail=(error.message or "Verification failed")[:255],
        )
        unsigned = error.code in ("unsigned", "bad_signature")
        raise LogisticsError(
            LogisticsErrorCode.WEBHOOK_UNSIGNED if unsigned else LogisticsErrorCode.WEBHOOK_INVALID
        ) from error
    text = body.decode("utf-8", errors="replace")
    return [_event_take(provider, event, text) for event in events]


def _event_take(provider: str, event: CourierEvent, body: str) -> CourierWebhook:
    """Store one fact (a notification's or a polled history entry's) and, the first time, apply it."""
    webhook, created = _webhook_upsert(
        provider=provider, key=event.event_id[:160], body=body, event=event, status=WebhookStatus.RECEIVED, detail=""
    )
    if created or webhook.status == WebhookStatus.RECEIVED:
        return courier_webhook_process(webhook_id=webhook.pk)
    return webhook


def _webhook_upsert(
    *, provider: str, key: str, body: str, event: CourierEvent | None, status: str, detail: str
) -> tuple[CourierWebhook, bool]:
    """INSERT … ON CONFLICT DO UPDATE deliveries + 1, in one statement: parallel copies of one notification end up as
    one row, and exactly one of them learns it was first (xmax = 0 on a fresh insert)."""
    table = CourierWebhook._meta.db_table
    values = [
        provider,
        key,
        event.provider_id[:100] if event else "",
        body,
        event.kind if event else "",
        event.status.value if event and event.status else "",
        event.latitude if event else None,
        event.longitude if event else None,
        event.occurred_at if event else None,
        event.courier_name if event else "",
        event.courier_phone if event else "",
        event.imminent if event else False,
        status,
        detail,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table}
                    (provider, dedup_key, provider_delivery_id, body, kind, courier_status, latitude, longitude,
                     occurred_at, courier_name, courier_phone, imminent, status, detail, deliveries, received_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, now())
                ON CONFLICT (provider, dedup_key) DO UPDATE SET deliveries = {table}.deliveries + 1
                RETURNING id, (xmax = 0), status""",
            values,
        )
        webhook_id, created, current = cursor.fetchone()
    return CourierWebhook(pk=webhook_id, provider=provider, dedup_key=key, status=current), created


def courier_webhook_process(*, webhook_id: int) -> CourierWebhook:
    """Apply one stored notification to its delivery, once: under the notification's row lock, it is marked applied
    in the same transaction as the change it makes. One whose delivery we do not know yet (the booking's answer is
    still on its way) stays RECEIVED: the booking applies it, or the poller does later."""
    with transaction.atomic():
        webhook = CourierWebhook.objects.select_for_update().get(pk=webhook_id)
        if webhook.status != WebhookStatus.RECEIVED:
            return webhook
        delivery = (
            CourierDelivery.objects.select_for_update()
            .filter(provider=webhook.provider, provider_id=webhook.provider_delivery_id)
            .exclude(provider_id="")
            .first()
        )
        if delivery is None:
            return webhook
        detail = _apply(delivery, webhook)
        webhook.status, webhook.delivery, webhook.processed_at = WebhookStatus.APPLIED, delivery, timezone.now()
        webhook.detail = detail[:255]
        webhook.save(update_fields=["status", "delivery", "processed_at", "detail"])
    return webhook


def _apply(delivery: CourierDelivery, webhook: CourierWebhook) -> str:
    """What one fact changes on the (locked) delivery; the returned text says what happened, for people."""
    changes = []
    if webhook.courier_name and (webhook.courier_name, webhook.courier_phone) != (
        delivery.courier_name,
        delivery.courier_phone,
    ):
        delivery.courier_name, delivery.courier_phone = webhook.courier_name, webhook.courier_phone
        delivery.save(update_fields=["courier_name", "courier_phone", "updated_at"])
    if webhook.kind == "status" and webhook.courier_status:
        moved = _transition(delivery.pk, webhook.courier_status, at=webhook.occurred_at)
        changes.append(f"{webhook.courier_status}: {'applied' if moved else 'no change (late or repeated)'}")
        delivery.refresh_from_db()
        if webhook.imminent and not delivery.courier_imminent:
            delivery.courier_imminent = True  # a fact of the delivery, even when its message came late
            delivery.save(update_fields=["courier_imminent", "updated_at"])
            if delivery.status == DeliveryStatus.DROPOFF:  # told only while it helps: not once it is delivered
                courier_arriving.send(sender=CourierDelivery, delivery=delivery)
                live_publish(channels=_channels(delivery), kind="courier.status", data=_live_view(delivery))
                changes.append("arriving")
    if webhook.latitude is not None and _position(delivery, webhook):
        changes.append("position")
    return "; ".join(changes) or "no change"


# ---- polling and sweeps ---------------------------------------------------------------------------------------------


def couriers_poll(*, now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Beat: ask couriers without webhooks (adapter.polled) about open parcels not asked about for
    COURIER_POLL_INTERVAL_SECONDS, and couriers with webhooks about open deliveries quiet for COURIER_QUIET_SECONDS
    (a notification may be lost), oldest first, `batch` per courier; each answer is stored and applied like a
    notification (once, forward only). Then queue bookings whose task was lost and apply notifications whose
    delivery is now known. Each item on its own: a failure is logged and retried next run."""
    now = now or timezone.now()
    batch = batch or settings.COURIER_POLL_BATCH
    interval = timedelta(seconds=settings.COURIER_POLL_INTERVAL_SECONDS)
    counts = {"polled": 0, "moved": 0, "errors": 0, "requeued": 0, "webhooks": 0}
    quiet = timedelta(seconds=settings.COURIER_QUIET_SECONDS)
    for provider in CourierProvider.values:
        adapter = courier_for(provider)
        due = (
            CourierDelivery.objects.filter(provider=provider, status__in=OPEN_STATUSES)
            .exclude(provider_id="")
            .filter(Q(polled_at__isnull=True) | Q(polled_at__lt=now - (interval if adapter.polled else quiet)))
        )
        if not adapter.polled:  # a courier with webhooks is asked only when it has been quiet (a lost notification)
            due = due.filter(status_changed_at__lt=now - quiet)
        due = due.order_by(F("polled_at").asc(nulls_first=True), "id")[:batch]
        for delivery in due:
            counts["polled"] += 1
            CourierDelivery.objects.filter(pk=delivery.pk).update(polled_at=now)
            try:
                before = delivery.status
                courier_state_apply(delivery=delivery, adapter=adapter)
                counts["moved"] += CourierDelivery.objects.filter(pk=delivery.pk).exclude(status=before).exists()
            except Exception:
                logger.exception("courier delivery %s: poll failed, asked again next run", delivery.pk)
                counts["errors"] += 1
    stuck = CourierDelivery.objects.filter(
        status=DeliveryStatus.REQUESTED, provider_id="", created_at__lt=now - STUCK_AFTER
    ).order_by("id")
    for delivery_id in stuck.values_list("id", flat=True)[:batch]:
        task_send(BOOK_TASK, delivery_id=delivery_id)
        counts["requeued"] += 1
    waiting = CourierWebhook.objects.filter(
        status=WebhookStatus.RECEIVED, received_at__gt=now - timedelta(days=WAITING_WEBHOOK_DAYS)
    ).order_by("id")
    for webhook_id in waiting.values_list("id", flat=True)[:batch]:
        try:
            counts["webhooks"] += courier_webhook_process(webhook_id=webhook_id).status == WebhookStatus.APPLIED
        except Exception:
            logger.exception("courier webhook %s: processing failed, retried next run", webhook_id)
            counts["errors"] += 1
    return counts


def courier_state_apply(*, delivery: CourierDelivery, adapter: CourierAdapter | None = None) -> CourierDelivery:
    """Ask the courier about one booking and apply its history and its status now, each as a stored fact (once,
    forward only). Calls the courier: workers only. Raises CourierError."""
    adapter = adapter or courier_for(delivery.provider)
    state = adapter.status(provider_id=delivery.provider_id)
    for event in state.events:
        _event_take(delivery.provider, event, _event_body(event))
    now_event = CourierEvent(
        event_id=f"{delivery.provider_id}:state:{state.status}",
        kind="status",
        provider_id=delivery.provider_id,
        status=state.status,
        latitude=state.latitude,
        longitude=state.longitude,
        occurred_at=timezone.now() if state.latitude is not None else None,
    )
    _event_take(delivery.provider, now_event, _event_body(now_event))
    return CourierDelivery.objects.get(pk=delivery.pk)


def _event_body(event: CourierEvent) -> str:
    return json.dumps(event.raw or {"status": str(event.status), "event_id": event.event_id}, default=str)
