"""Logs: one JSON object per line with the request id, tenant and user (requests and the tasks they queue), nothing
secret in them. Metrics: requests per route pattern, task outcomes, queue depth, outbox lag and webhook backlog, on a
/metrics only its scraper reads."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
import structlog
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import _request_id_travels, _task_done, _task_observed
from config.metrics import BacklogCollector
from config.observability import RequestObservedMiddleware
from kernel.logs import context_bind, context_unbind, formatter, secret_literals_forget
from shared_apps.accounts.services import guest_create, user_get_or_create_by_phone
from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
from shared_apps.payments.models import WebhookEvent
from tenant_apps.outbox.models import OutboxEvent


@pytest.fixture
def lines():
    """Every log line written while the test runs, as the production (JSON) formatter renders it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(dev=False))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a /metrics body, or None when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            series, _, value = line.rpartition(" ")
            found = ",".join(sorted(series[len(name) + 1 : -1].split(",")))
            if found == wanted:
                return float(value)
    return None


def _scrape(**headers: str) -> str:
    BacklogCollector.forget()
    response = Client(HTTP_HOST="localhost").get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---- request id and log context -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_incoming_request_id_is_honoured_and_echoed_and_a_bad_one_replaced():
    client = Client(HTTP_HOST="localhost")
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.1")["X-Request-ID"] == "edge-7f3a.1"
    made = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{24,}", made)
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" level="critical')["X-Request-ID"]
    assert forged != 'x" level="critical' and re.fullmatch(r"[0-9a-f]{24,}", forged)
    assert forged != made


def test_every_line_written_while_serving_carries_the_request_id_tenant_and_user(lines):
    user = SimpleNamespace(pk=42, is_authenticated=True)

    def view(request):
        logging.getLogger("tenant_apps.orders").info("order %s accepted", 7)
        request.tenant = SimpleNamespace(schema_name="shop_1")  # the host middleware resolved the merchant
        request.auth = user  # a Bearer token was accepted inside the view
        structlog.get_logger("tenant_apps.orders").info("order moved", order_id=7)
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/orders/7/", HTTP_X_REQUEST_ID="req-abc")
    response = RequestObservedMiddleware(view)(request)
    assert response["X-Request-ID"] == "req-abc"
    first, second = lines()
    assert first["request_id"] == "req-abc" and first["event"] == "order 7 accepted"
    assert second == {
        **second,
        "request_id": "req-abc",
        "tenant": "shop_1",
        "user": "user:42",
        "order_id": 7,
        "level": "info",
    }
    logging.getLogger("after").info("outside any request")
    assert "request_id" not in lines()[-1]


def test_a_guest_is_named_by_its_id_and_a_user_never_loaded_is_not_queried(lines):
    guest_id = uuid.uuid4()

    def view(request):
        request.user = SimpleNamespace(_wrapped=object())  # a lazy user nobody evaluated: logging must not load it
        logging.getLogger("x").info("before auth")
        request.auth = SimpleNamespace(guest=SimpleNamespace(pk=guest_id))
        logging.getLogger("x").info("after auth")
        from django.http import HttpResponse

        return HttpResponse("ok")

    RequestObservedMiddleware(view)(RequestFactory().get("/"))
    before, after = lines()
    assert "user" not in before
    assert after["user"] == f"guest:{guest_id}"


def test_a_task_logs_with_its_id_and_the_request_that_queued_it(lines):
    headers: dict = {}
    tokens = context_bind(request_id="req-from-web")
    try:
        _request_id_travels(headers=headers)  # what Celery calls while publishing from the request
    finally:
        context_unbind(tokens)
    assert headers == {"request_id": "req-from-web"}

    task = SimpleNamespace(
        name="shared_apps.sms.tasks.sms_send", request=SimpleNamespace(request_id="req-from-web", _schema_name="shop_9")
    )
    _task_observed(task_id="task-1", task=task)
    logging.getLogger("shared_apps.sms").info("sms sent")
    _task_done(task_id="task-1", task=task, state="SUCCESS")
    logging.getLogger("shared_apps.sms").info("after the task")
    during, after = lines()
    assert during == {
        **during,
        "request_id": "req-from-web",
        "task_id": "task-1",
        "task": "shared_apps.sms.tasks.sms_send",
        "tenant": "shop_9",
    }
    assert not {"request_id", "task_id", "tenant"} & set(after)


# ---- redaction ----------------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("dev", [False, True], ids=["json", "console"])
def test_phone_numbers_tokens_codes_secrets_and_signatures_never_reach_a_log_line(dev):
    secret_literals_forget()
    user = user_get_or_create_by_phone(phone="+923001234567")
    access = token_pair_issue(user=user).access
    guest_token = guest_token_issue(guest=guest_create())
    signature = hmac.new(b"k", b"body", hashlib.sha256).hexdigest()
    jazzcash_hash = signature.upper()
    secrets = {
        "phone (E.164)": "+923001234567",
        "phone (spaced)": "+92 300 1234567",
        "phone (local)": "0300-1234567",
        "access token": access,
        "guest token": guest_token,
        "one-time code": "482913",
        "Foree key": settings.FOREE_API_KEY,
        "SMS auth token": settings.SMS_AUTH_TOKEN,
        "Uber client secret": settings.UBER_DIRECT_CLIENT_SECRET,
        "Uber signing key": settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY,
        "PostEx token": settings.POSTEX_API_TOKEN,
        "JazzCash salt": settings.JAZZCASH_INTEGRITY_SALT,
        "signature": signature,
        "JazzCash hash": jazzcash_hash,
        "tracking link token": "tk_9Fh2LmQ0pX",
    }
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(dev=dev))
    log = logging.getLogger("redaction.check")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("sms to %s: your Planckly code is %s", "+923001234567", "482913")
        log.warning("calling +92 300 1234567 and 0300-1234567 back")
        log.warning("sms %r", {"to": "+923001234567", "body": "482913 is your Planckly code. It expires in 5 minutes."})
        log.warning("GET /api/v1/cart Authorization: Bearer %s", access)
        log.warning("claimed guest token %s", guest_token)
        log.warning("POST /verify {'phone': '+923001234567', 'code': '482913'}")
        log.warning("foree answered 401 for X-API-KEY %s", settings.FOREE_API_KEY)
        log.warning("twilio auth %s, uber %s", settings.SMS_AUTH_TOKEN, settings.UBER_DIRECT_CLIENT_SECRET)
        log.warning("webhook x-uber-signature=%s refused", signature)
        log.warning("jazzcash pp_SecureHash=%s&pp_Amount=100", jazzcash_hash)
        log.warning("sms body: track your order at http://localhost:8000/track/tk_9Fh2LmQ0pX")
        log.warning(
            "courier",
            extra={
                "courier_phone": "+923001234567",
                "headers": {"Authorization": f"Bearer {access}", "X-Uber-Signature": signature},
                "salt": settings.JAZZCASH_INTEGRITY_SALT,
                "token": settings.POSTEX_API_TOKEN,
            },
        )
        structlog.get_logger("redaction.check").warning(
            "otp requested", to="+923001234567", otp="482913", note=f"key {settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY}"
        )
        try:
            raise RuntimeError(f"provider refused key {settings.FOREE_API_KEY} for +923001234567")
        except RuntimeError:
            log.exception("payment start failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    written = stream.getvalue()
    assert written.count("\n") >= 14, written
    leaked = {name: value for name, value in secrets.items() if value in written}
    assert not leaked, f"{leaked}\n{written}"
    assert "[phone]" in written and "[redacted]" in written
    assert "payment start failed" in written and "RuntimeError" in written  # the facts stay, only secrets go


def test_ordinary_numbers_and_error_codes_are_left_alone(lines):
    logging.getLogger("x").info("order 1042 of Rs 1,365 at 2026-12-07T10:00:00Z: code=not_found, HTTP 404")
    assert lines()[0]["event"] == "order 1042 of Rs 1,365 at 2026-12-07T10:00:00Z: code=not_found, HTTP 404"


# ---- metrics --------------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_requests_are_counted_by_route_pattern_not_by_raw_path(make_merchant):
    merchant = make_merchant()
    console = Client(HTTP_HOST=f"{merchant.slug}.localhost")
    assert console.get("/api/v1/console/orders/987654").status_code == 401
    assert Client(HTTP_HOST="unknown-host.example").get("/anything/123").status_code in (400, 404)
    text = _scrape()
    assert "987654" not in text and "/anything/123" not in text
    route = "/api/v1/console/orders/<order_id>"  # ninja writes its path parameters without a converter
    assert _sample(text, "planckly_http_requests_total", method="GET", route=route, status="401") >= 1
    assert _sample(text, "planckly_http_request_duration_seconds_count", method="GET", route=route) >= 1
    assert _sample(text, "planckly_http_requests_total", method="GET", route="unmatched", status="404") or _sample(
        text, "planckly_http_requests_total", method="GET", route="unmatched", status="400"
    )


@pytest.mark.django_db
def test_task_outcomes_and_run_time_are_counted():
    task = SimpleNamespace(name="tests.metrics_probe", request=SimpleNamespace())
    before = _sample(_scrape(), "planckly_celery_tasks_total", task="tests.metrics_probe", state="failure") or 0
    _task_observed(task_id="t-1", task=task)
    _task_done(task_id="t-1", task=task, state="FAILURE")
    text = _scrape()
    assert _sample(text, "planckly_celery_tasks_total", task="tests.metrics_probe", state="failure") == before + 1
    assert _sample(text, "planckly_celery_task_duration_seconds_count", task="tests.metrics_probe") >= 1


@pytest.mark.django_db
def test_queue_depth_outbox_lag_and_webhook_backlog_are_read_at_scrape_time(make_merchant, settings):
    queue = f"metrics-probe-{uuid.uuid4().hex[:8]}"
    settings.METRICS_EXTRA_QUEUES = [queue]
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.lpush(queue, "a", "b")
    broker.lpush(f"{queue}\x06\x163", "c")  # a priority step's list counts too
    merchant = make_merchant()
    with schema_context(merchant.schema_name):
        OutboxEvent.objects.filter(published_at__isnull=True).update(published_at=timezone.now())
        event = OutboxEvent.objects.create(entity="product", entity_id=1)
        OutboxEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    WebhookEvent.objects.create(gateway="foree", dedupe_key=f"probe-{uuid.uuid4().hex}", body="{}")
    try:
        text = _scrape()
    finally:
        broker.delete(queue, f"{queue}\x06\x163")
    assert _sample(text, "planckly_celery_queue_depth", queue=queue) == 3
    assert _sample(text, "planckly_outbox_pending", entity="product") >= 1
    assert _sample(text, "planckly_outbox_lag_seconds", entity="product") >= 600
    assert _sample(text, "planckly_outbox_lag_seconds", entity="store") is not None
    assert _sample(text, "planckly_webhook_backlog", source="payments", provider="foree") >= 1
    assert _sample(text, "planckly_webhook_backlog_oldest_seconds", source="payments", provider="foree") >= 0
    assert _sample(text, "planckly_metrics_source_up", source="redis") == 1
    assert _sample(text, "planckly_metrics_source_up", source="database") == 1


@pytest.mark.django_db
def test_metrics_answer_only_a_local_scraper_or_the_token(settings):
    market = Client(HTTP_HOST="localhost")
    assert market.get("/metrics").status_code == 200  # the test client is 127.0.0.1, talking to us directly
    assert market.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404  # came through the front
    assert market.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert market.get("/metrics").status_code == 404  # with a token, being local is not enough
    assert market.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    ok = market.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789", REMOTE_ADDR="203.0.113.9")
    assert ok.status_code == 200 and b"planckly_" in ok.content
