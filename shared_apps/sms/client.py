"""SMS through a Twilio-compatible REST API (the real Twilio, or the local sandbox in `sandboxes/sms.py`).

Which one is a matter of settings alone: SMS_API_BASE (https://api.twilio.com in production), SMS_ACCOUNT_SID,
SMS_AUTH_TOKEN, SMS_FROM or SMS_MESSAGING_SERVICE_SID, SMS_TIMEOUT_SECONDS. Protocol: ../../shared/docs/providers.md.

Failures come in two kinds, so callers (the Celery task) know whether trying again can help:
`SmsRejected` — the provider refused this message (bad number, bad credentials, missing field): permanent;
`SmsUnavailable` — the provider could not be reached or failed on its side (5xx, 429, timeout): transient.
Message bodies carry sign-in codes: they are never logged here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from kernel.http import provider_http

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"


class SmsError(Exception):
    """Base of the adapter's errors. Raised as itself only when the provider accepted the message but its reply
    could not be read: the message may be on its way, so sending again could deliver it twice."""


class SmsRejected(SmsError):
    """The provider refused the message (HTTP 4xx other than 429). Sending it again unchanged will fail again."""

    def __init__(self, *, status: int, code: int | None, message: str, more_info: str | None = None) -> None:
        self.status = status
        self.code = code  # the provider's error code, e.g. 21211 (invalid To), 20003 (authentication)
        self.message = message
        self.more_info = more_info
        super().__init__(f"HTTP {status}, code {code}: {message}")


class SmsUnavailable(SmsError):
    """The provider could not take the message now (connection error, timeout, HTTP 5xx or 429). Worth retrying."""


@dataclass(frozen=True)
class SmsReceipt:
    """What the provider said about an accepted message."""

    sid: str  # "SM" + 32 hex
    status: str  # "queued" (From) or "accepted" (MessagingServiceSid); delivery happens later
    to: str
    sender: str | None  # the `from` field; None until a messaging service has picked a sender
    num_segments: int | None
    date_created: str | None  # RFC 2822, as sent by the provider
    error_code: int | None


def _messages_url() -> str:
    base = str(settings.SMS_API_BASE).rstrip("/")
    return f"{base}/{API_VERSION}/Accounts/{quote(settings.SMS_ACCOUNT_SID, safe='')}/Messages.json"


def phone_masked(phone: str) -> str:
    """A phone number fit for logs: enough to tell numbers apart, not enough to dial."""
    return phone[:5] + "*" * max(len(phone) - 7, 0) + phone[-2:] if len(phone) > 7 else "***"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rejection(response: httpx.Response) -> SmsRejected:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        message = response.text[:200] or response.reason_phrase
        return SmsRejected(status=response.status_code, code=None, message=message)
    return SmsRejected(
        status=response.status_code,
        code=_as_int(payload.get("code")),
        message=str(payload.get("message") or response.reason_phrase),
        more_info=payload.get("more_info"),
    )


def _receipt(response: httpx.Response) -> SmsReceipt:
    try:
        payload = response.json()
        return SmsReceipt(
            sid=str(payload["sid"]),
            status=str(payload.get("status") or ""),
            to=str(payload.get("to") or ""),
            sender=payload.get("from"),
            num_segments=_as_int(payload.get("num_segments")),
            date_created=payload.get("date_created"),
            error_code=_as_int(payload.get("error_code")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SmsError(f"HTTP {response.status_code} with an unreadable body: {response.text[:200]!r}") from exc


def sms_send(*, to: str, body: str) -> SmsReceipt:
    """Hand one message to the provider and return its receipt. One HTTP request, no retries of its own.

    `to` must be E.164 (+923001234567). Raises SmsRejected (permanent: do not retry), SmsUnavailable (transient:
    retry later) or, rarely, SmsError (accepted but unreadable reply: do not retry, it may already be sent).
    """
    data = {"To": to, "Body": body}
    if settings.SMS_MESSAGING_SERVICE_SID:
        data["MessagingServiceSid"] = settings.SMS_MESSAGING_SERVICE_SID
    else:
        data["From"] = settings.SMS_FROM
    try:
        response = provider_http().post(
            _messages_url(),
            data=data,
            auth=(settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN),
            timeout=httpx.Timeout(float(settings.SMS_TIMEOUT_SECONDS)),
            headers={"Accept": "application/json"},
        )
    except httpx.TransportError as exc:  # connect/read/write/pool timeouts, refused connections, broken replies
        logger.warning("sms to %s: provider unreachable: %r", phone_masked(to), exc)
        raise SmsUnavailable(f"provider unreachable: {exc!r}") from exc

    if response.is_success:
        receipt = _receipt(response)
        logger.info("sms to %s: %s %s", phone_masked(to), receipt.sid, receipt.status)
        return receipt
    if response.status_code == 429 or response.status_code >= 500:
        logger.warning("sms to %s: provider answered HTTP %s", phone_masked(to), response.status_code)
        raise SmsUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")
    rejection = _rejection(response)
    logger.warning("sms to %s: rejected: %s", phone_masked(to), rejection)
    raise rejection
