"""The SMS outbox's writes: a message is recorded in the caller's transaction (`sms_enqueue`), delivered once by
whichever worker claims it first (`sms_message_send`: the kick after commit, or the beat sweep), retried with
backoff while the provider is unavailable, and given up after SMS_MAX_ATTEMPTS tries or SMS_MAX_AGE_S (a sign-in
code an hour late is noise).

Exactly once, as far as the provider allows: the claim is one conditional UPDATE, so two workers never send one
row; a worker killed after the provider accepted but before the row was marked leaves a claim that expires, and
the sweep sends that message again — the provider has no idempotency key, so a duplicate in that window is the
price of never losing one."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from shared_apps.sms.client import SmsError, SmsRejected, SmsUnavailable, phone_masked, sms_send
from shared_apps.sms.models import SmsMessage, SmsStatus

logger = logging.getLogger(__name__)

SMS_MAX_ATTEMPTS = 6  # the first try and five retries
SMS_MAX_AGE_S = 3600
SMS_BACKOFF_MAX_S = 300


def sms_enqueue(*, to: str, body: str) -> SmsMessage:
    """Record a message to `to` (E.164) in the caller's transaction: it exists if and only if that commits."""
    return SmsMessage.objects.create(to=to, body=body)


def _lease() -> timedelta:
    return timedelta(seconds=settings.SMS_TIMEOUT_SECONDS + 30)  # past the provider call's own timeout


def _claim(message_id: int, now) -> SmsMessage | None:
    claimed = SmsMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        status=SmsStatus.PENDING,
        next_try_at__lte=now,
    ).update(claimed_until=now + _lease(), attempts=F("attempts") + 1)
    return SmsMessage.objects.get(pk=message_id) if claimed else None


def _end(message: SmsMessage, status: str, **fields) -> None:
    SmsMessage.objects.filter(pk=message.pk).update(status=status, body="", claimed_until=None, **fields)


def sms_message_send(*, message_id: int, now=None) -> str:
    """Send one outbox message unless another worker holds it, it is not due, or it is over; returns its status
    ("skipped" when this call did nothing). Never raises for the provider's answers: refused and unreadable replies
    end the message (sending again could deliver it twice), unavailable ones schedule the next try."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return "skipped"
    if message.created_at < now - timedelta(seconds=SMS_MAX_AGE_S):
        _end(message, SmsStatus.FAILED)
        logger.error("sms #%s to %s given up: older than %s s", message.pk, phone_masked(message.to), SMS_MAX_AGE_S)
        return SmsStatus.FAILED
    try:
        receipt = sms_send(to=message.to, body=message.body)
    except SmsUnavailable as exc:
        if message.attempts >= SMS_MAX_ATTEMPTS:
            _end(message, SmsStatus.FAILED)
            logger.error(
                "sms #%s to %s given up after %s tries: %s", message.pk, phone_masked(message.to), message.attempts, exc
            )
            return SmsStatus.FAILED
        wait = random.uniform(0, min(SMS_BACKOFF_MAX_S, 2**message.attempts))  # full jitter
        SmsMessage.objects.filter(pk=message.pk).update(claimed_until=None, next_try_at=now + timedelta(seconds=wait))
        logger.warning(
            "sms #%s to %s: provider unavailable, next try in %.0f s", message.pk, phone_masked(message.to), wait
        )
        return SmsStatus.PENDING
    except SmsRejected as exc:
        _end(message, SmsStatus.REFUSED)
        logger.error("sms to %s refused by the provider, not retried: %s", phone_masked(message.to), exc)
        return SmsStatus.REFUSED
    except SmsError as exc:
        _end(message, SmsStatus.FAILED)
        logger.error("sms to %s: unreadable reply, not retried: %s", phone_masked(message.to), exc)
        return SmsStatus.FAILED
    _end(message, SmsStatus.SENT, sent_at=timezone.now(), provider_sid=receipt.sid)
    return SmsStatus.SENT


def sms_messages_due(*, now=None, grace_s: float = 5.0, limit: int = 100) -> list[int]:
    """Ids of pending messages due and unclaimed, older than `grace_s` (their kick after commit had its chance)."""
    now = now or timezone.now()
    return list(
        SmsMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status=SmsStatus.PENDING,
            next_try_at__lte=now,
            created_at__lte=now - timedelta(seconds=grace_s),
        )
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
