"""Outbox under failure: a publisher process killed in the middle of a batch leaves nothing half-done; after a
restart every event is applied exactly once and the index equals a full rebuild. Also: the real worker path."""

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from conftest import database_url_for_subprocess
from marketplace.listings.models import Listing
from marketplace.listings.sync import listings_rebuild
from tenant_apps.catalog.services import product_update
from tenant_apps.outbox.models import OutboxEvent
from tests.shop_factory import build_shop

pytestmark = pytest.mark.django_db(transaction=True)

PUBLISH = "from marketplace.listings.sync import listings_publish; print(listings_publish(schema={schema!r}))"


def _publisher(schema: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = f"import django; django.setup(); {PUBLISH.format(schema=schema)}"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _dsn() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"] or None
    )


def _rows(merchant) -> list[tuple]:
    return sorted(Listing.objects.filter(merchant=merchant).values_list("branch_id", "variant_id", "title", "price"))


def test_publisher_killed_mid_batch_then_restarted_applies_every_event_once(make_merchant):
    from config.celery import app

    session_queue = app.conf.task_default_queue
    app.conf.task_default_queue = f"{session_queue}-unheard"  # the kicks of this setup must not reach a worker
    try:
        shop = build_shop(make_merchant, slug="crashy-shop", products=20, variants=2)
    finally:
        app.conf.task_default_queue = session_queue
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(f"{session_queue}-unheard")
    with schema_context(shop.schema):
        pending = OutboxEvent.objects.filter(published_at__isnull=True).count()
    assert pending > 20

    blocker = psycopg.connect(_dsn(), autocommit=False)
    blocker.execute("LOCK TABLE public.listings_listing IN SHARE MODE")  # the publisher's upsert will wait here
    watcher = psycopg.connect(_dsn(), autocommit=True)  # pg_stat_activity is a snapshot per transaction
    process = _publisher(shop.schema)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the publisher is inside its batch, blocked on the upsert
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                ["%listings_listing%"],
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
            if process.poll() is not None:
                pytest.fail(f"the publisher exited early: {process.stdout.read().decode()[-2000:]}")
        else:
            pytest.fail("the publisher never reached its upsert")
        os.kill(process.pid, signal.SIGKILL)  # a worker dying mid-batch
        process.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()

    with schema_context(shop.schema):
        assert OutboxEvent.objects.filter(published_at__isnull=True).count() == pending  # nothing half-published
    assert not Listing.objects.filter(merchant=shop.merchant).exists()

    restarted = _publisher(shop.schema)
    output = restarted.communicate(timeout=60)[0].decode()
    assert restarted.returncode == 0, output
    assert f"events={pending}" in output  # every event applied, once
    with schema_context(shop.schema):
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    incremental = _rows(shop.merchant)
    assert len(incremental) == 20 * 2 * 2
    listings_rebuild(schema=shop.schema)
    assert _rows(shop.merchant) == incremental


@pytest.mark.worker
def test_a_change_reaches_the_index_through_the_real_worker(make_merchant, celery_worker_process):
    """The kick-on-commit path end to end (the lag itself is measured by benchmarks/listing_sync.py)."""
    shop = build_shop(make_merchant, slug="live-shop", products=2, variants=1, branches=("gulberg",))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and Listing.objects.filter(merchant=shop.merchant).count() < 2:
        time.sleep(0.05)
    assert Listing.objects.filter(merchant=shop.merchant).count() == 2
    with schema_context(shop.schema):
        product_update(product=shop.products[0], name="Super Kernel Basmati")
    changed_at = time.monotonic()
    while time.monotonic() - changed_at < 15:
        if Listing.objects.filter(merchant=shop.merchant, title="Super Kernel Basmati").exists():
            break
        time.sleep(0.02)
    assert Listing.objects.filter(merchant=shop.merchant, title="Super Kernel Basmati").exists()
