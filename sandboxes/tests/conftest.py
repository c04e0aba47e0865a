"""Fixtures for the sandbox tests: the Cloudinary account the sandbox process accepts, and a webhook receiver."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from sandboxes.testing import local_http_server


@dataclass(frozen=True)
class CloudinaryAccount:
    """The credentials the test sandbox was started with (from the CLOUDINARY_URL that `sandbox_server` exports)."""

    base_url: str
    cloud: str
    api_key: str
    api_secret: str

    def api(self, resource_type: str, action: str) -> str:
        return f"{self.base_url}/v1_1/{self.cloud}/{resource_type}/{action}"


@pytest.fixture
def account(sandbox_server) -> CloudinaryAccount:
    parts = urlsplit(os.environ["CLOUDINARY_URL"])
    return CloudinaryAccount(
        base_url=sandbox_server.base_url, cloud=parts.hostname, api_key=parts.username, api_secret=parts.password
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str
    requests: queue.Queue[Received] = field(default_factory=queue.Queue)

    def next(self, timeout: float = 10) -> Received:
        return self.requests.get(timeout=timeout)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An HTTP server that records every POST it receives and answers 200."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.put(Received(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with local_http_server(Handler) as base_url:
        receiver.url = f"{base_url}/hooks/cloudinary"
        yield receiver
