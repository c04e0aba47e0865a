"""Tenant-aware Celery: a task sent inside a tenant's context runs in that schema, in a real worker process."""

import time
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from kernel.logs import request_bind, request_unbind
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.stores.models import Branch, Store
from tenant_apps.stores.tasks import merchant_stats_refresh
from tenants.models import Merchant

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for_stats(merchant: Merchant, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = Merchant.objects.get(pk=merchant.pk).stats
        if stats:
            return stats
        time.sleep(0.1)
    raise AssertionError(f"the worker never refreshed {merchant.slug}")


def test_task_runs_in_the_schema_it_was_sent_from(make_merchant, celery_worker_process):
    a = make_merchant(slug="celery-a")
    b = make_merchant(slug="celery-b")
    with schema_context(a.schema_name):
        store = Store.objects.create(name="A store", slug="a-store")
        Branch.objects.create(store=store, name="One", address="x", latitude=31.5, longitude=74.3)
        Branch.objects.create(store=store, name="Two", address="y", latitude=31.4, longitude=74.2)
        for i in range(4):
            product = Product.objects.create(store=store, name=f"P{i}", slug=f"p{i}", status=ProductStatus.ACTIVE)
            Variant.objects.create(product=product, sku=f"A-{i}", price=Decimal("10.00"))
        merchant_stats_refresh.apply_async(queue=celery_worker_process["queue"])
    with schema_context(b.schema_name):
        merchant_stats_refresh.apply_async(queue=celery_worker_process["queue"])

    assert _wait_for_stats(a) == {"stores": 1, "branches": 2, "products": 4}
    assert _wait_for_stats(b) == {"stores": 0, "branches": 0, "products": 0}


def test_readyz_is_200_with_a_worker(celery_worker_process, host_client):
    response = host_client("localhost").get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "celery": "ok"}


def test_readyz_names_what_failed(host_client, settings, monkeypatch):
    from config import views

    monkeypatch.setattr(views, "_check_celery", lambda: "no worker answered")
    response = host_client("localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["celery"]


def test_a_task_logs_with_its_id_its_tenant_and_the_request_that_queued_it(make_merchant, celery_worker_process):
    """The worker's lines (here the console format of PLANCKLY_DEV; JSON keys in production) carry the task's id,
    its tenant and the id of the request it was queued from, carried in the message's headers."""
    merchant = make_merchant(slug="celery-logged")
    request = SimpleNamespace(request_id=f"req-{uuid.uuid4().hex[:12]}")
    token = request_bind(request)  # as while serving that request
    try:
        with schema_context(merchant.schema_name):
            sent = merchant_stats_refresh.apply_async(queue=celery_worker_process["queue"])
    finally:
        request_unbind(token)
    _wait_for_stats(merchant)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in celery_worker_process["log"].read_text().splitlines() if "succeeded in" in line]
        done = [line for line in lines if f"task_id={sent.id}" in line]
        if done:
            break
        time.sleep(0.2)
    assert done, lines[-3:]
    assert f"request_id={request.request_id}" in done[0]
    assert f"tenant={merchant.schema_name}" in done[0]
