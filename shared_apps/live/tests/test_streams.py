"""The live streams as a browser meets them: served by the ASGI process (Procfile `live`) against the test database
and Redis, read by an EventSource-like client. What is committed arrives with its id; what is rolled back never
does; a reconnect replays after Last-Event-ID; a heartbeat keeps an idle stream open; and a Redis restart loses
nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from decimal import Decimal

import pytest
import redis
from django.db import connection, transaction

from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.tokens import guest_token_issue
from shared_apps.live import services as live_services
from shared_apps.live.models import LiveEvent
from shared_apps.live.services import channel_order, live_publish
from shared_apps.live.tests.sse import EventSourceClient, free_port, stream_server

pytestmark = pytest.mark.django_db(transaction=True)


def _guest_order() -> tuple[CustomerOrder, dict[str, str]]:
    guest = guest_create()
    order = CustomerOrder.objects.create(
        number=f"T{uuid.uuid4().hex[:8].upper()}",
        guest=guest,
        status="placed",
        contact_phone="03001234567",
        subtotal=Decimal("100.00"),
        total=Decimal("100.00"),
        payment_method="cod",
        owner_key=f"g:{guest.pk}",
        idempotency_key=uuid.uuid4().hex,
        request_hash="0" * 64,
    )
    return order, {"Host": "localhost", "Authorization": f"Bearer {guest_token_issue(guest=guest)}"}


def _publish(order: CustomerOrder, n: int) -> int:
    with transaction.atomic():
        (event,) = live_publish(channels=[channel_order(order.pk)], kind="status", data={"n": n})
    return event.pk


@pytest.fixture(scope="module")
def server(django_db_setup):
    with stream_server() as base:
        yield base


def test_a_committed_event_arrives_with_its_id_and_kind_and_a_rolled_back_one_never(server):
    order, headers = _guest_order()
    client = EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", headers).start()
    client.wait_open()
    time.sleep(0.3)  # the hub subscribes when the first stream opens

    with pytest.raises(RuntimeError), transaction.atomic():
        live_publish(channels=[channel_order(order.pk)], kind="status", data={"n": "rolled back"})
        raise RuntimeError
    committed = _publish(order, 1)

    client.wait_for(lambda c: len(c.events) >= 1)
    time.sleep(0.3)
    client.stop()
    assert [(e.id, e.kind, json.loads(e.data)) for e in client.events] == [(committed, "status", {"n": 1})]
    assert not LiveEvent.objects.filter(data__n="rolled back").exists()


def test_an_idle_stream_gets_heartbeats(server):
    order, headers = _guest_order()
    client = EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", headers).start()
    client.wait_for(lambda c: any("heartbeat" in line for line in c.comments), timeout=5)
    client.stop()
    assert client.connects == 1 and not client.events


def test_a_reconnect_replays_after_last_event_id_and_then_goes_on_live(server):
    order, headers = _guest_order()
    seen = _publish(order, 1)
    missed = [_publish(order, n) for n in (2, 3)]
    client = EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", headers, last_id=seen).start()
    client.wait_for(lambda c: len(c.events) >= 2)
    time.sleep(0.3)
    live = _publish(order, 4)
    client.wait_for(lambda c: len(c.events) >= 3)
    client.stop()
    assert [e.id for e in client.events] == [*missed, live]


def test_another_customers_order_is_404_before_any_stream(server):
    order, _ = _guest_order()
    _, someone_else = _guest_order()
    client = EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", someone_else).start()
    client.wait_for(lambda c: c.statuses)
    assert client.statuses == [404] and client.connects == 0


@pytest.fixture
def throwaway_redis():
    """A redis-server of our own on a free port, which the test may stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary")
    port = free_port()

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    def restart(down_while) -> None:
        state["process"].terminate()
        state["process"].wait(timeout=10)
        down_while()
        state["process"] = start()

    yield f"redis://127.0.0.1:{port}/0", restart
    state["process"].terminate()
    state["process"].wait(timeout=10)


def test_a_redis_restart_while_streams_are_open_loses_no_event(throwaway_redis, monkeypatch):
    url, restart = throwaway_redis
    monkeypatch.setattr(live_services, "redis_client", lambda: redis.Redis.from_url(url))
    orders = [_guest_order() for _ in range(3)]
    with stream_server(REDIS_URL=url) as base:
        clients = [
            EventSourceClient(f"{base}/api/v1/orders/{order.pk}/events", headers).start() for order, headers in orders
        ]
        for client in clients:
            client.wait_open()
        time.sleep(0.3)
        before = {order.pk: [_publish(order, 1)] for order, _ in orders}
        for client in clients:
            client.wait_for(lambda c: len(c.events) >= 1)

        # committed while Redis is down: the publish fails (logged), the log keeps them
        during = {order.pk: [] for order, _ in orders}
        restart(lambda: [during[o.pk].extend([_publish(o, 2), _publish(o, 3)]) for o, _ in orders])

        for client in clients:
            client.wait_for(lambda c: len(c.events) >= 3, timeout=15)
        for client in clients:  # back on Redis: live again
            client.wait_for(lambda c: c.connects >= 2)
        time.sleep(0.5)
        after = {order.pk: [_publish(order, 4)] for order, _ in orders}
        for client in clients:
            client.wait_for(lambda c: len(c.events) >= 4, timeout=15)
            client.stop()

    for (order, _), client in zip(orders, clients, strict=True):
        assert [e.id for e in client.events] == before[order.pk] + during[order.pk] + after[order.pk]


def test_open_streams_hold_no_database_session_each(server):
    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    order, headers = _guest_order()
    client = EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", headers).start()
    client.wait_open()
    before = sessions()
    clients = [EventSourceClient(f"{server}/api/v1/orders/{order.pk}/events", headers).start() for _ in range(12)]
    for each in clients:
        each.wait_open()
    after = sessions()
    for each in [client, *clients]:
        each.stop()
    assert after - before <= 1, f"{after - before} more PostgreSQL sessions for 12 more open streams"
