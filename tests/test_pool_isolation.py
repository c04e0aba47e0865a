"""The web process reuses PostgreSQL sessions across requests — each of granian's WSGI threads keeps its own
(CONN_MAX_AGE, the Procfile), and an ASGI deployment (config.asgi) takes them from psycopg's pool
(DB_POOL_MAX_SIZE). Either way a real server with ONE session serves two merchants' consoles and the marketplace in
turn, and every answer holds only its own tenant's data: a reused session never carries one request's schema (or a
statement prepared under it) into the next."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django_tenants.utils import schema_context

from conftest import database_url_for_subprocess
from shared_apps.accounts.models import User
from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.stores.services import store_create

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVERS = {
    "granian-wsgi-one-thread": (
        {"DB_POOL_MAX_SIZE": "0"},
        [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "wsgi",
            "config.wsgi:application",
            "--workers",
            "1",
            "--blocking-threads",
            "1",
            "--no-ws",
        ],
    ),
    "uvicorn-asgi-pool-of-one": (
        {"DB_POOL_MAX_SIZE": "1"},
        [sys.executable, "-m", "uvicorn", "config.asgi:application"],
    ),
}


@pytest.fixture(params=sorted(SERVERS))
def pooled_server(request):
    port = _free_port()
    extra_env, command = SERVERS[request.param]
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), **extra_env}
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", headers={"Host": "localhost"}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the pooled server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_one_pooled_session_serves_tenants_in_turn_without_leaking(make_merchant, pooled_server):
    owners = {}
    for slug, store in (("pool-alpha", "Alpha Only Store"), ("pool-beta", "Beta Only Store")):
        merchant = make_merchant(slug=slug, owner_phone=f"+9230077{len(owners):05d}")
        with schema_context(merchant.schema_name):
            store_create(name=store)
        owners[slug] = (store, token_pair_issue(user=User.objects.get(phone=f"+9230077{len(owners):05d}")).access)
    with httpx.Client(base_url=pooled_server, timeout=10) as client:
        for _ in range(8):  # past psycopg's prepare threshold (5): prepared statements meet both schemas too
            for slug, (store, access) in owners.items():
                response = client.get(
                    "/api/v1/console/stores",
                    headers={"Host": f"{slug}.localhost", "Authorization": f"Bearer {access}"},
                )
                assert response.status_code == 200, response.text
                assert [s["name"] for s in response.json()] == [store]
                # the other merchant's token on this host: the other schema's membership does not exist here
                other = next(a for s, (_, a) in owners.items() if s != slug)
                denied = client.get(
                    "/api/v1/console/stores", headers={"Host": f"{slug}.localhost", "Authorization": f"Bearer {other}"}
                )
                assert denied.status_code in (403, 404)
                assert client.get("/api/v1/search", headers={"Host": "localhost"}).status_code == 200
