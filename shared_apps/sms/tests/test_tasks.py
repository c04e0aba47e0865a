"""Delivery through Celery: retry policy, on-commit queuing, and the whole path through a real worker process."""

from __future__ import annotations

import logging
import secrets
import socket
import time

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from shared_apps.sms import tasks
from shared_apps.sms.client import SmsUnavailable
from shared_apps.sms.tasks import sms_deliver, sms_send_on_commit


def test_task_is_registered_under_its_explicit_name_with_the_retry_policy(settings):
    from config.celery import app

    assert "shared_apps.sms" in settings.INSTALLED_APPS  # what lets the worker's autodiscovery import tasks.py
    name = "shared_apps.sms.tasks.sms_deliver"
    assert app.tasks[name].name == sms_deliver.name == name
    assert sms_deliver.autoretry_for == (SmsUnavailable,)
    assert (sms_deliver.max_retries, sms_deliver.retry_backoff, sms_deliver.retry_jitter) == (5, True, True)


def test_deliver_returns_the_sid(sms_settings, phone):
    assert sms_deliver.apply(args=(phone, "hello")).get().startswith("SM")


def test_rejected_message_is_logged_and_not_retried(sms_settings, phone, caplog):
    sms_settings.SMS_AUTH_TOKEN = "not-the-token"

    with caplog.at_level(logging.ERROR, logger="shared_apps.sms.tasks"):
        result = sms_deliver.apply(args=(phone, "hello"))

    assert result.successful() and result.get() is None
    assert "refused by the provider" in caplog.text
    assert phone not in caplog.text  # numbers are masked in logs


def test_unavailable_provider_is_retried_five_times_then_fails(settings, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.SMS_API_BASE = f"http://127.0.0.1:{sock.getsockname()[1]}"
    calls = []
    real_send = tasks.sms_send
    monkeypatch.setattr(tasks, "sms_send", lambda **kw: calls.append(1) or real_send(**kw))

    result = sms_deliver.apply(args=("+923001234567", "hello"))  # eager: retries run at once, without the waits

    assert isinstance(result.result, SmsUnavailable)
    assert len(calls) == 6  # the first try and 5 retries


@pytest.mark.django_db
def test_on_commit_queues_once_after_commit_and_never_after_rollback(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(sms_deliver, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                sms_send_on_commit(to="+923001234567", body="rolled back")
                raise RuntimeError
        except RuntimeError:
            pass
    assert queued == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms_send_on_commit(to="+923001234567", body="committed")
        assert queued == []  # nothing before the commit
    assert len(callbacks) == 1
    assert queued == [("+923001234567", "committed")]


@pytest.mark.django_db
def test_broker_failure_never_reaches_the_request(django_capture_on_commit_callbacks, monkeypatch, caplog):
    def broker_down(*args: object) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr(sms_deliver, "delay", broker_down)

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        sms_send_on_commit(to="+923001234567", body="lost")

    assert "could not be queued" in caplog.text


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
