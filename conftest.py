"""Shared fixtures. Tests run on real PostgreSQL schemas and real Redis (DATABASE_URL/REDIS_URL or embedded ones)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tenants.models import Merchant

_counter = itertools.count(1)


def _drop_tenant_schemas() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') "
            "AND nspname NOT LIKE 'pg\\_%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
    Merchant.objects.exclude(schema_name="public").delete()


@pytest.fixture(autouse=True)
def _tenant_schemas_dropped_after_transactional_tests(request):
    """Django's flush truncates public tables only, and fails while tenant tables still reference them: after a
    transactional test, drop every schema it created (before the flush, as this fixture is set up after it)."""
    connection.set_schema_to_public()  # a request in the previous test may have left a tenant's search path
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        yield
        connection.set_schema_to_public()
        return
    request.getfixturevalue("transactional_db")
    yield
    _drop_tenant_schemas()


@pytest.fixture
def make_merchant(db) -> Callable[..., Merchant]:
    """Provision merchants through the real service (schemas vanish with the test: rollback or the fixture above)."""
    from tenants.services import merchant_provision

    def make(*, slug: str | None = None, name: str | None = None, owner_phone: str | None = None, **kw) -> Merchant:
        n = next(_counter)
        slug = slug or f"shop-{n}"
        return merchant_provision(
            name=name or f"Shop {n}", slug=slug, owner_phone=owner_phone or f"+92300{5000000 + n:07d}", **kw
        )

    return make


@pytest.fixture
def host_client() -> Callable[[str], Client]:
    """A Django test client that talks to one host: 'localhost' (marketplace) or '<slug>.localhost' (console)."""

    def client_for(host: str) -> Client:
        return Client(HTTP_HOST=host)

    return client_for


@pytest.fixture
def platform_admin(db):
    from shared_apps.accounts.models import User

    return User.objects.create_superuser(phone="+923000000099", password="admin-pass-123")


def database_url_for_subprocess() -> str:
    """The test database as a DATABASE_URL, for processes we start (Celery workers, servers)."""
    from urllib.parse import quote

    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    auth = s["USER"] + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on a queue of its own, against the test database and the real Redis broker."""
    import os
    import subprocess
    import sys
    import tempfile
    import time
    import uuid
    from pathlib import Path

    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "CELERY_QUEUE": queue}
    hostname = f"{queue}@%h"
    log = Path(tempfile.gettempdir()) / f"celery-{queue}.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", hostname, "--pool", "solo",
             "--without-gossip", "--without-mingle", "-l", "INFO"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited: {log.read_text()[-2000:]}")
            if app.control.ping(timeout=0.5, destination=[hostname.replace("%h", os.uname().nodename)]):
                break
        else:
            raise RuntimeError(f"celery worker did not answer: {log.read_text()[-2000:]}")
        yield {"queue": queue, "process": process, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
