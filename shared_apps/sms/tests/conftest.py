"""Fixtures for the SMS tests: unique phone numbers, and a scriptable HTTP server for provider failures."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import pytest

from sandboxes.testing import local_http_server

_numbers = itertools.count(secrets.randbelow(5_000_000))


@pytest.fixture
def phone() -> str:
    """A valid Pakistani mobile number no other test in this session uses, so inbox filters see only ours."""
    return f"+92301{next(_numbers):07d}"


@dataclass
class Reply:
    status: int = 500
    body: bytes = b'{"code": 20500, "message": "Internal Server Error"}'
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass
class FakeProvider:
    """An HTTP server that answers every POST with `reply`: for the failures the sandbox does not produce."""

    base_url: str
    reply: Reply


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider(base_url="", reply=Reply())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = provider.reply
            time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:  # the client gave up (timeout tests)
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    with local_http_server(Handler) as base_url:
        provider.base_url = base_url
        yield provider
