"""Delivery through the SMS outbox: once per message, retries with backoff, nothing lost when the broker is down,
and the whole path through a real worker process."""

from __future__ import annotations

import logging
import secrets
import socket
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from shared_apps.sms.models import SmsMessage, SmsStatus
from shared_apps.sms.services import (
    SMS_BACKOFF_MAX_S,
    SMS_MAX_ATTEMPTS,
    sms_enqueue,
    sms_message_send,
    sms_messages_due,
)
from shared_apps.sms.tasks import sms_deliver, sms_message_deliver, sms_messages_sweep, sms_send_on_commit


def test_tasks_are_registered_under_their_explicit_names(settings):
    from config.celery import app
    from workers.schedules import SCHEDULE

    assert "shared_apps.sms" in settings.INSTALLED_APPS  # what lets the worker's autodiscovery import tasks.py
    for task in (sms_message_deliver, sms_messages_sweep, sms_deliver):
        assert app.tasks[task.name].name == task.name
    assert SCHEDULE["sms-sweep"]["task"] == sms_messages_sweep.name


@pytest.mark.django_db
def test_deliver_sends_the_message_once_and_erases_its_body(sms_settings, phone):
    message = sms_enqueue(to=phone, body="hello")

    assert sms_message_deliver.apply(args=(message.pk,)).get() == SmsStatus.SENT
    message.refresh_from_db()
    assert (message.status, message.body, message.attempts) == (SmsStatus.SENT, "", 1)
    assert message.provider_sid.startswith("SM")
    assert sms_message_send(message_id=message.pk) == "skipped"  # a second kick, or the sweep: nothing more


@pytest.mark.django_db
def test_the_by_name_task_of_lower_floors_records_then_sends(sms_settings, phone):
    assert sms_deliver.apply(args=(phone, "hello")).get() == SmsStatus.SENT
    assert SmsMessage.objects.get(to=phone).status == SmsStatus.SENT


@pytest.mark.django_db
def test_rejected_message_is_logged_and_not_retried(sms_settings, phone, caplog):
    sms_settings.SMS_AUTH_TOKEN = "not-the-token"
    message = sms_enqueue(to=phone, body="hello")

    with caplog.at_level(logging.ERROR, logger="shared_apps.sms.services"):
        assert sms_message_send(message_id=message.pk) == SmsStatus.REFUSED

    assert "refused by the provider" in caplog.text
    assert phone not in caplog.text  # numbers are masked in logs
    assert sms_messages_due(now=timezone.now() + timedelta(hours=1), grace_s=0) == []


@pytest.mark.django_db
def test_unavailable_provider_is_retried_with_backoff_then_given_up(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.SMS_API_BASE = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nobody listens there
    message = sms_enqueue(to="+923001234567", body="hello")
    now = timezone.now()
    outcomes = []
    for _ in range(SMS_MAX_ATTEMPTS):
        now += timedelta(seconds=SMS_BACKOFF_MAX_S + 1)  # past any backoff
        assert sms_messages_due(now=now, grace_s=0) == [message.pk]
        outcomes.append(sms_message_send(message_id=message.pk, now=now))
    assert outcomes == [SmsStatus.PENDING] * (SMS_MAX_ATTEMPTS - 1) + [SmsStatus.FAILED]
    message.refresh_from_db()
    assert (message.status, message.body) == (SmsStatus.FAILED, "")


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_by_another_worker_until_its_claim_expires(sms_settings, phone, monkeypatch):
    message = sms_enqueue(to=phone, body="hello")
    now = timezone.now()
    SmsMessage.objects.filter(pk=message.pk).update(claimed_until=now + timedelta(seconds=30))  # a worker holds it

    assert sms_message_send(message_id=message.pk, now=now) == "skipped"
    assert sms_messages_due(now=now, grace_s=0) == []
    later = now + timedelta(seconds=31)  # that worker died: its claim ran out
    assert sms_messages_due(now=later, grace_s=0) == [message.pk]
    assert sms_message_send(message_id=message.pk, now=later) == SmsStatus.SENT


@pytest.mark.django_db
def test_on_commit_records_the_message_and_queues_it_once_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(sms_message_deliver, "delay", lambda message_id: queued.append(message_id))

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                sms_send_on_commit(to="+923001234567", body="rolled back")
                raise RuntimeError
        except RuntimeError:
            pass
    assert queued == [] and not SmsMessage.objects.filter(body="rolled back").exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms_send_on_commit(to="+923001234567", body="committed")
        assert queued == []  # nothing before the commit
    assert len(callbacks) == 1
    assert queued == [SmsMessage.objects.get(body="committed").pk]


@pytest.mark.django_db
def test_a_broker_that_is_down_never_reaches_the_request_and_the_sweep_sends_later(
    django_capture_on_commit_callbacks, monkeypatch, sms_settings, phone
):
    def broker_down(*args: object) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr(sms_message_deliver, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        sms_send_on_commit(to=phone, body="not lost")

    message = SmsMessage.objects.get(to=phone)
    assert message.status == SmsStatus.PENDING
    assert sms_messages_due() == []  # the kick's grace: a sweep does not race a task on its way
    SmsMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=10))
    assert sms_messages_due() == [message.pk]
    assert sms_messages_sweep.apply().get() == 1
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_message_sent_on_commit_reaches_the_sandbox_through_a_real_worker(sandbox_server, celery_worker_process, phone):
    code = f"{secrets.randbelow(10**6):06d}"

    with pytest.raises(RuntimeError), transaction.atomic():
        sms_send_on_commit(to=phone, body="never sent: rolled back")
        raise RuntimeError
    with transaction.atomic():
        sms_send_on_commit(to=phone, body=f"{code} is your Planckly code.")
        assert sandbox_server.messages(phone) == []  # not before the commit

    deadline = time.monotonic() + 15
    while not (messages := sandbox_server.messages(phone)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert messages, f"no SMS arrived; worker log: {celery_worker_process['log'].read_text()[-2000:]}"
    time.sleep(0.5)  # the worker is solo and FIFO: a rolled-back message, had it been queued, would be here by now
    messages = sandbox_server.messages(phone)
    assert [m["body"] for m in messages] == [f"{code} is your Planckly code."]
    assert messages[0]["status"] == "delivered"
