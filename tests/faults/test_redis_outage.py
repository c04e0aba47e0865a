"""Redis stops under the Procfile's processes (a private redis-server: the machine's is shared) and starts again.
Search and cart keep answering; a checkout answers or fails with the 503 envelope and is never half-made; a sign-in
code request is a clear 503 (rate limits fail closed, ADR 0012); the order placed while Redis was down gets its SMS
once Redis is back (the SMS outbox row, swept) — exactly one; and every process serves again without a restart."""

from __future__ import annotations

import secrets
import shutil
import time
import uuid

import httpx
import pytest
from django.test import Client

from marketplace.checkout.tests.conftest import Buyer, listing
from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.payments.testing import payments_delete_all
from shared_apps.sms.models import SmsMessage, SmsStatus
from shared_apps.sms.tasks import sms_messages_sweep
from tests.faults.stack import PrivateRedis, process_env, procfile_process, serving_stack

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.faults,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server binary"),
]

LIBERTY = {"lat": "31.5102", "lng": "74.3443"}


@pytest.fixture
def market(make_merchant):
    yield build_market(make_merchant)
    payments_delete_all()
    CustomerOrder.objects.all().delete()


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _buyer() -> Buyer:
    client = Client(HTTP_HOST="localhost")
    return Buyer(client, client.post("/api/v1/auth/guest").json()["access"])


def _answers_or_503(response: httpx.Response, ok: int) -> bool:
    """True when it answered `ok`; False for the clear 503 envelope; fails on anything else (a 500, HTML...)."""
    if response.status_code == ok:
        return True
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.json()["code"] in ("unavailable", "rate_limit_unavailable") and response.headers["Retry-After"]
    return False


def test_redis_down_then_up_serves_or_fails_clearly_and_loses_no_text(
    market, private_redis, sms_settings, sandbox_server
):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    buyers = [_buyer() for _ in range(2)]
    for buyer in buyers:
        assert buyer.add(rice.pk).status_code == 201
    local = f"0300{secrets.randbelow(10**7):07d}"  # this test's customer: the sandbox's inbox is the session's
    cod = {"payment_method": "cod", "contact_phone": local}
    env = process_env(REDIS_URL=private_redis.url, CELERY_QUEUE=f"faults-{uuid.uuid4().hex[:8]}")
    with serving_stack(env=env) as stack, procfile_process("worker", env=env):
        api = httpx.Client(base_url=stack.base, headers={"Host": "localhost"}, timeout=30)

        def search() -> httpx.Response:
            return api.get("/api/v1/search", params={**LIBERTY, "q": "rice"})

        def cart(buyer: Buyer) -> httpx.Response:
            return api.get("/api/v1/cart", params=LIBERTY, headers={"Authorization": f"Bearer {buyer.token}"})

        def checkout(buyer: Buyer, key: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": key}
            return api.post("/api/v1/checkout", json=cod, headers=headers)

        assert search().status_code == 200 and cart(buyers[0]).status_code == 200

        private_redis.stop()
        assert search().status_code == 200
        assert cart(buyers[0]).status_code == 200
        key = uuid.uuid4().hex
        placed_while_down = _answers_or_503(checkout(buyers[0], key), 201)
        code_request = api.post("/api/v1/auth/otp/request", json={"phone": "03001234568"})
        assert not _answers_or_503(code_request, 202)  # no counter, no code: fail closed

        private_redis.start()
        if not placed_while_down:  # the client retries with the same key, as the 503 invites it to
            assert checkout(buyers[0], key).status_code == 201
        assert checkout(buyers[0], key).status_code == 201  # a replay: still one order
        assert checkout(buyers[1], uuid.uuid4().hex).status_code == 201  # web and worker serve again, unrestarted
        deadline = time.monotonic() + 20
        while api.post("/api/v1/auth/otp/request", json={"phone": "03001234568"}).status_code != 202:
            assert time.monotonic() < deadline, "sign-in codes did not come back with Redis"
            time.sleep(0.5)
        api.close()

        phone = "+92" + local[1:]
        assert CustomerOrder.objects.filter(contact_phone__in=(local, phone)).count() == 2
        # The "placed" text of the order placed while the broker was down waits as an outbox row; beat's sweep
        # (run here) sends it; the other order's went through the worker at once. One text per order.
        deadline = time.monotonic() + 30
        while SmsMessage.objects.filter(status=SmsStatus.PENDING).exists():
            assert time.monotonic() < deadline, "an SMS stayed pending"
            sms_messages_sweep.apply(kwargs={})
            time.sleep(0.5)
        texts = [m["body"] for m in sandbox_server.messages(phone)]
        assert sum(" is placed." in body for body in texts) == 2, texts  # one per order, none lost or doubled
