"""SMS delivery off the request path: a Celery task that retries while the provider is unavailable."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from shared_apps.sms.client import SmsError, SmsRejected, SmsUnavailable, phone_masked, sms_send

logger = logging.getLogger(__name__)


@shared_task(
    name="shared_apps.sms.tasks.sms_deliver",
    autoretry_for=(SmsUnavailable,),
    max_retries=5,
    retry_backoff=True,  # waits of up to 1, 2, 4, 8, 16 s (full jitter: a random time up to each), then give up
    retry_backoff_max=300,
    retry_jitter=True,
)
def sms_deliver(to: str, body: str) -> str | None:
    """Send one SMS; return the provider's message sid, or None when it was refused.

    Retries SmsUnavailable with exponential backoff (at most 5 times, then the task fails in the worker's log).
    SmsRejected is logged and not retried, as is an accepted-but-unreadable reply (retrying could send it twice).
    At least once while the provider is flaky: a reply lost to a timeout is retried and may deliver twice.
    """
    try:
        return sms_send(to=to, body=body).sid
    except SmsUnavailable:
        raise  # autoretry_for
    except SmsRejected as exc:
        logger.error("sms to %s refused by the provider, not retried: %s", phone_masked(to), exc)
    except SmsError as exc:
        logger.error("sms to %s: unreadable reply, not retried: %s", phone_masked(to), exc)
    return None


def sms_send_on_commit(*, to: str, body: str) -> None:
    """Queue an SMS to `to` (E.164) once the current transaction commits; nothing is sent if it rolls back.

    Never raises into the caller's request: if the broker cannot take the task, the failure is logged and the
    message is lost (callers let the person ask again). Outside a transaction the task is queued at once.
    """

    def enqueue() -> None:
        try:
            sms_deliver.delay(to, body)
        except Exception:
            logger.exception("sms to %s could not be queued, it is lost", phone_masked(to))

    transaction.on_commit(enqueue)
