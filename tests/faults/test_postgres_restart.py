"""PostgreSQL restarted (fast: sessions cut mid-transaction) under checkout load, against the Procfile's front, web
and worker on a private cluster holding a copy of the test database. Every checkout ends as exactly one order —
clients retry the 503 envelope (or a cut connection) with the same Idempotency-Key — and web and worker serve again
without being restarted: later checkouts are placed and the worker publishes their stock to the listing index."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import psycopg
import pytest
from django.test import Client

from conftest import database_url_for_subprocess
from marketplace.checkout.tests.conftest import Buyer, listing
from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.payments.testing import payments_delete_all
from tenant_apps.outbox.models import OutboxEvent
from tenant_apps.outbox.services import outbox_kick_taken
from tests.faults.stack import PrivatePostgres, process_env, procfile_process, serving_stack

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.faults,
    pytest.mark.skipif(not PrivatePostgres.available(), reason="no initdb/pg_ctl/pg_dump"),
]

BUYERS = 8
COD = {"payment_method": "cod", "contact_phone": "03001234567"}


@pytest.fixture
def market(make_merchant):
    yield build_market(make_merchant)
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def _buyer() -> Buyer:
    client = Client(HTTP_HOST="localhost")
    return Buyer(client, client.post("/api/v1/auth/guest").json()["access"])


def test_a_postgres_restart_under_checkouts_loses_and_doubles_no_order_and_every_process_recovers(market):
    grocer = market.shops["gulberg-grocer"].merchant.schema_name
    lines = [listing("gulberg-grocer", "Sunridge Chakki Atta", s, branch="Liberty Market") for s in ("5 kg", "10 kg")]
    buyers = [_buyer() for _ in range(BUYERS)]
    for i, buyer in enumerate(buyers):
        assert buyer.add(lines[i % 2].pk).status_code == 201
    postgres = PrivatePostgres()
    try:
        postgres.start(copy_of=database_url_for_subprocess().replace("postgres://", "postgresql://", 1))
        env = process_env(DATABASE_URL=postgres.url, CELERY_QUEUE=f"faults-{uuid.uuid4().hex[:8]}")
        # Building the market kicked a publish onto this process's queue, which no worker of the stack reads; its
        # mark (shared Redis) would hold back the stack's own kicks for a while, and no beat runs here to sweep.
        outbox_kick_taken(grocer)
        with serving_stack(env=env) as stack, procfile_process("worker", env=env):
            keys = {buyer.token: uuid.uuid4().hex for buyer in buyers}
            answers: dict[str, list[int]] = {token: [] for token in keys}

            def checkout_until_placed(buyer: Buyer) -> None:
                headers = {"Host": "localhost", "Authorization": f"Bearer {buyer.token}"}
                headers["Idempotency-Key"] = keys[buyer.token]
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        response = httpx.post(f"{stack.base}/api/v1/checkout", json=COD, headers=headers, timeout=30)
                    except httpx.TransportError:
                        answers[buyer.token].append(0)
                        time.sleep(0.5)
                        continue
                    answers[buyer.token].append(response.status_code)
                    if response.status_code == 201:
                        return
                    assert response.status_code in (502, 503), response.text  # 502: the front saw a cut answer
                    time.sleep(0.5)

            def load(share: list[Buyer]) -> None:
                for buyer in share:
                    checkout_until_placed(buyer)
                    time.sleep(0.3)

            clients = [threading.Thread(target=load, args=(buyers[i::2],)) for i in range(2)]
            for client in clients:
                client.start()
            time.sleep(0.6)  # some orders placed, some on their way
            postgres.restart()
            for client in clients:
                client.join()

            assert all(codes and codes[-1] == 201 for codes in answers.values()), answers
            with psycopg.connect(postgres.url.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
                deadline = time.monotonic() + 30
                while True:  # the worker, never restarted, publishes the stock the orders took
                    unpublished = db.execute(
                        f'SELECT count(*) FROM "{grocer}"."{OutboxEvent._meta.db_table}" WHERE published_at IS NULL'
                    ).fetchone()[0]
                    if unpublished == 0:
                        break
                    assert time.monotonic() < deadline, f"{unpublished} outbox events left unpublished"
                    time.sleep(0.5)
                per_key = db.execute(
                    f'SELECT idempotency_key, count(*) FROM "{CustomerOrder._meta.db_table}" GROUP BY 1'
                ).fetchall()
        assert sorted(per_key) == sorted((key, 1) for key in keys.values())
    finally:
        postgres.stop()
