"""SMS delivery off the request path: the outbox row is written in the caller's transaction (`sms_send_on_commit`),
a task sends it after commit, and beat's sweep sends whatever no task did (a broker that was down, a worker that
died). See shared_apps/sms/services.py for the once-only claim."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from shared_apps.sms.client import phone_masked
from shared_apps.sms.services import sms_enqueue, sms_message_send, sms_messages_due

logger = logging.getLogger(__name__)


@shared_task(name="shared_apps.sms.tasks.sms_message_deliver")
def sms_message_deliver(message_id: int) -> str:
    """Send outbox message `message_id` (a no-op when another worker holds it or it is over)."""
    return sms_message_send(message_id=message_id)


@shared_task(name="shared_apps.sms.tasks.sms_messages_sweep")
def sms_messages_sweep() -> int:
    """Beat: send the messages no kick delivered (broker down at commit, worker killed, provider retry due)."""
    due = sms_messages_due()
    for message_id in due:
        sms_message_send(message_id=message_id)
    return len(due)


@shared_task(name="shared_apps.sms.tasks.sms_deliver")
def sms_deliver(to: str, body: str) -> str:
    """For floors below this one, which send tasks by name (tenants): record the message, then send it here."""
    return sms_message_send(message_id=sms_enqueue(to=to, body=body).pk)


def sms_send_on_commit(*, to: str, body: str) -> None:
    """Send an SMS to `to` (E.164) if and only if the current transaction commits: the message is an outbox row
    written now; after commit a task is queued for it. Never raises into the caller's request: if the broker cannot
    take the task, beat's sweep sends the message once Celery runs again. Outside a transaction it is queued at once."""
    message = sms_enqueue(to=to, body=body)

    def kick() -> None:
        try:
            sms_message_deliver.delay(message.pk)
        except Exception:
            logger.warning("sms #%s to %s not queued now: the sweep sends it", message.pk, phone_masked(to))

    transaction.on_commit(kick)
