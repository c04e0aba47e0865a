"""Shared fixtures. Tests run on real PostgreSQL schemas and real Redis (DATABASE_URL / REDIS_URL or the embedded ones)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client

from tenants.models import Merchant

_counter = itertools.count(1)


def _drop_schemas(names: list[str]) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    Merchant.objects.filter(schema_name__in=names).delete()


@pytest.fixture
def make_merchant(db) -> Iterator[Callable[..., Merchant]]:
    """Provision merchants through the real service. Schemas made in a transactional test are dropped afterwards
    (Django's flush only truncates public tables); in an ordinary test the rollback removes them."""
    from tenants.services import merchant_provision

    created: list[Merchant] = []

    def make(*, slug: str | None = None, name: str | None = None, owner_phone: str | None = None, **kw) -> Merchant:
        n = next(_counter)
        slug = slug or f"shop-{n}"
        merchant = merchant_provision(
            name=name or f"Shop {n}", slug=slug, owner_phone=owner_phone or f"+92300{5000000 + n:07d}", **kw
        )
        created.append(merchant)
        return merchant

    yield make
    connection.set_schema_to_public()
    if created and not connection.in_atomic_block:
        _drop_schemas([m.schema_name for m in Merchant.objects.filter(pk__in=[m.pk for m in created])])


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
    import time
    import uuid
    from pathlib import Path

    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "CELERY_QUEUE": queue}
    hostname = f"{queue}@%h"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-{queue}.log"
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
