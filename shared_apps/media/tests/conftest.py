"""Fixtures for the media tests: the SDK pointed at the test sandbox, a merchant, signed notifications, and a
scriptable HTTP server for the provider failures the sandbox does not produce."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import cloudinary
import httpx
import pytest

from sandboxes.testing import local_http_server
from tenants.models import Merchant


@pytest.fixture
def cloudinary_sandbox(sandbox_server, settings):
    """The sandbox process, with this process's SDK configured for it (sandbox_server exports CLOUDINARY_URL) and no
    notification URL in the app's settings."""
    assert cloudinary.config().upload_prefix == sandbox_server.base_url
    settings.CLOUDINARY_NOTIFICATION_URL = ""
    return sandbox_server


@pytest.fixture
def merchant(make_merchant) -> Merchant:
    return make_merchant()


def folder_of(merchant: Merchant, name: str = "products") -> str:
    return f"merchants/{merchant.schema_name}/{name}"


def signed_headers(body: str, *, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
    """X-Cld-Timestamp and X-Cld-Signature as Cloudinary computes them (sha1 of body, timestamp, secret)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = cloudinary.config().api_secret if secret is None else secret
    digest = hashlib.sha1(f"{body}{timestamp}{secret}".encode()).hexdigest()  # noqa: S324 - Cloudinary's scheme
    return {"HTTP_X_CLD_TIMESTAMP": str(timestamp), "HTTP_X_CLD_SIGNATURE": digest}


def closed_port_url(path: str = "/") -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}{path}"


def sandbox_notification(sandbox_server, public_id: str, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The notification the sandbox sent about `public_id` (from its log: delivery itself may have failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = httpx.get(f"{sandbox_server.base_url}/cloudinary/notifications", timeout=5).json()["notifications"]
        for entry in log:
            body = json.loads(entry["body"])
            ids = [body.get("public_id")] + [r.get("public_id") for r in body.get("resources", [])]
            if body.get("notification_type") == kind and public_id in ids:
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no {kind} notification about {public_id}")


def sandbox_has(sandbox_server, public_id: str) -> bool:
    url = f"{sandbox_server.base_url}/cloudinary/resources"
    resources = httpx.get(url, params={"prefix": public_id}, timeout=5).json()["resources"]
    return any(r["public_id"] == public_id for r in resources)


@dataclass
class Reply:
    status: int = 500
    body: bytes = b'{"error": {"message": "General Error"}}'
    content_type: str = "application/json"


@dataclass
class FakeProvider:
    base_url: str
    reply: Reply
    calls: int = 0


@pytest.fixture
def fake_provider(monkeypatch) -> Iterator[FakeProvider]:
    """An HTTP server answering every POST with `reply`, with the SDK's upload_prefix pointed at it."""
    provider = FakeProvider(base_url="", reply=Reply())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            provider.calls += 1
            self.send_response(provider.reply.status)
            self.send_header("Content-Type", provider.reply.content_type)
            self.send_header("Content-Length", str(len(provider.reply.body)))
            self.end_headers()
            self.wfile.write(provider.reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with local_http_server(Handler) as base_url:
        provider.base_url = base_url
        monkeypatch.setattr(cloudinary.config(), "upload_prefix", provider.base_url)
        yield provider


@pytest.fixture
def unreachable_provider(monkeypatch) -> Callable[[], None]:
    monkeypatch.setattr(cloudinary.config(), "upload_prefix", closed_port_url("").rstrip("/"))
    return lambda: None
