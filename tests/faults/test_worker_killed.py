"""A Celery worker (the Procfile's `worker` line) killed with SIGKILL while it waits on the SMS provider. The message
is neither lost nor sent twice: the row stays claimed while the dead worker's claim lasts (a redelivered task skips
it), and the sweep after the claim runs out sends it once. The provider here never accepted the first try (it hung);
had it accepted, the one duplicate in that window is the documented price (shared_apps/sms/services.py).
The listings outbox's publisher killed mid-batch is tests/test_outbox_failure.py; payments recover by beat's
reconcile (ADR 0006), whose effects are keyed ledger rows."""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from django.utils import timezone

from config.celery import app
from sandboxes.testing import local_http_server
from shared_apps.sms.models import SmsMessage, SmsStatus
from shared_apps.sms.services import sms_enqueue, sms_message_send
from tests.faults.stack import process_env, procfile_process

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

DELIVER = "shared_apps.sms.tasks.sms_message_deliver"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def test_a_worker_killed_while_sending_an_sms_leaves_it_to_be_sent_exactly_once(sandbox_server, settings):
    first_try = threading.Event()
    tries = []

    class HangsOnceThenForwards(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            tries.append(body)
            if len(tries) == 1:
                first_try.set()
                time.sleep(30)  # the worker is killed meanwhile
                return
            upstream = httpx.post(
                f"{sandbox_server.base_url}{self.path}",
                content=body,
                headers={k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")},
            )
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    phone = f"+92302{secrets.randbelow(10**7):07d}"
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    with local_http_server(HangsOnceThenForwards) as provider:
        settings.SMS_API_BASE = provider  # this process's sweep, below
        env = process_env(CELERY_QUEUE=queue, SMS_API_BASE=provider, SMS_TIMEOUT_SECONDS="20")
        message = sms_enqueue(to=phone, body="Planckly: killed once, sent once.")
        with procfile_process("worker", env=env, args=("-Q", queue)) as worker:
            app.send_task(DELIVER, args=(message.pk,), queue=queue)
            assert first_try.wait(60), worker.output()
            for pid in (*_children(worker.proc.pid), worker.proc.pid):
                os.kill(pid, signal.SIGKILL)
            worker.proc.wait(10)

            claimed = SmsMessage.objects.get(pk=message.pk)
            assert (claimed.status, claimed.attempts) == (SmsStatus.PENDING, 1)
            assert claimed.claimed_until > timezone.now()

            worker.restart()  # what the broker hands out again after a crash reaches a claimed row: skipped
            app.send_task(DELIVER, args=(message.pk,), queue=queue)
            deadline = time.monotonic() + 60
            while "succeeded" not in worker.output() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "'skipped'" in worker.output(), worker.output()

        # beat's sweep, once the dead worker's claim ran out
        later = claimed.claimed_until + timedelta(seconds=1)
        assert sms_message_send(message_id=message.pk, now=later) == SmsStatus.SENT
        assert sms_message_send(message_id=message.pk, now=later + timedelta(minutes=5)) == "skipped"

    sent = SmsMessage.objects.get(pk=message.pk)
    assert (sent.status, sent.attempts, sent.body) == (SmsStatus.SENT, 2, "")
    assert [m["body"] for m in sandbox_server.messages(phone)] == ["Planckly: killed once, sent once."]
