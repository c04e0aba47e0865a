"""For tests of services that text people: what they handed to the SMS outbox, read at the task boundary."""

from __future__ import annotations

from typing import Any

from shared_apps.sms.models import SmsMessage
from shared_apps.sms.tasks import sms_message_deliver


def sms_kicks_recorded(monkeypatch: Any) -> list[tuple[str, str]]:
    """(to, body) of every message whose delivery task is queued after commit (nothing reaches a broker). Only
    callbacks that run (a committed transaction, or `django_capture_on_commit_callbacks(execute=True)`) count."""
    sent: list[tuple[str, str]] = []

    def record(message_id: int) -> None:
        message = SmsMessage.objects.get(pk=message_id)
        sent.append((message.to, message.body))

    monkeypatch.setattr(sms_message_deliver, "delay", record)
    return sent
