"""Shared fixtures. Tests run on real PostgreSQL schemas and real Redis (DATABASE_URL/REDIS_URL or embedded ones)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tenants.models import Merchant

pytest_plugins = ["sandboxes.testing"]  # the `sandbox_server` fixture: the real sandboxes process on a free port

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


@pytest.fixture(autouse=True)
def _rate_limits_reset():
    """Each test starts with no OTP/TOTP rate-limit counters. Only those keys: the same Redis database may hold the
    Celery broker's queues (CI uses one REDIS_URL), so a FLUSHDB here would drop a running worker's tasks."""
    from django.core.cache import cache

    client = cache._cache.get_client(None, write=True)
    for key in client.scan_iter(match=cache.make_key("rl:") + "*", count=500):  # this worker's namespace only
        client.delete(key)
    yield


@pytest.fixture
def host_cache_held():
    """The host -> merchant cache never expires during the test: a query count taken after a warm-up request must not
    see the host lookup again because a slow machine let the cache's seconds run out in between."""
    from unittest import mock

    with mock.patch("tenants.middleware.HOST_CACHE_SECONDS", float("inf")):
        yield


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
    """A platform Admin with a confirmed TOTP device (the admin panel's second factor)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shared_apps.accounts.models import User

    admin = User.objects.create_superuser(phone="+923000000099")
    TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    return admin


@pytest.fixture
def admin_client(platform_admin, host_client) -> Client:
    """The marketplace host, signed in as a platform Admin who passed TOTP in this session."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client = host_client("localhost")
    client.force_login(platform_admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = platform_admin.totpdevice_set.get().persistent_id
    session.save()
    return client


def database_url_for_subprocess() -> str:
    """The test database as a DATABASE_URL, for processes we start (Celery workers, servers)."""
    from urllib.parse import quote

    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    auth = s["USER"] + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


@pytest.fixture(scope="session", autouse=True)
def _celery_queue_of_this_session():
    """Tasks sent by this test session go to a queue of its own: never to a `make run` worker on the dev database,
    and only to the worker that `celery_worker_process` starts against the test database. Emptied at the end."""
    import uuid

    from config.celery import app

    previous = app.conf.task_default_queue
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    yield queue
    with app.connection_for_write() as conn:
        for name in (queue, f"{queue}-unheard"):
            conn.default_channel.queue_delete(name)
    app.conf.task_default_queue = previous


@pytest.fixture(autouse=True)
def _tasks_reach_the_worker_only_when_asked(request, _celery_queue_of_this_session):
    """A test's tasks (e.g. the listing publish kicked on commit) go to the session worker only if the test asked
    for the worker; otherwise to a queue nobody consumes, so no worker writes while a test tears down its data.
    A test that used the worker waits for it to go idle before the teardown flushes the database."""
    from config.celery import app

    uses_worker = "celery_worker_process" in request.fixturenames
    app.conf.task_default_queue = _celery_queue_of_this_session + ("" if uses_worker else "-unheard")
    yield
    app.conf.task_default_queue = _celery_queue_of_this_session
    if uses_worker:
        _worker_idle(app, _celery_queue_of_this_session)


def _worker_idle(app, queue: str, timeout: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.connection_for_write() as conn:
            waiting = conn.default_channel.client.llen(queue)
        active = app.control.inspect(timeout=0.5).active() or {}
        if not waiting and not any(active.values()):
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on a queue of its own, against the test database and the real Redis broker."""
    import os
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    from config.celery import app

    queue = app.conf.task_default_queue  # the session's own queue (_celery_queue_of_this_session)
    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "CELERY_QUEUE": queue}
    hostname = f"{queue}@%h"
    log = Path(tempfile.gettempdir()) / f"celery-{queue}.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-n",
                hostname,
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90  # Django and Celery take well over 30 s to start on a loaded machine
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
