"""Pytest fixtures for the sandboxes process (a plugin: the root conftest lists it in `pytest_plugins`).

`sandbox_server` runs the real `uvicorn sandboxes.app:app` on a free port with an inbox of its own, and exports
SMS_API_BASE and CLOUDINARY_URL (and the credentials it accepts) to os.environ, so processes started afterwards — the
Celery worker of `celery_worker_process` — talk to it (and so does this process's Cloudinary SDK, reconfigured). The
worker is always started after the sandbox (see `pytest_fixture_setup`), so no test ever sends a text or a file to the
developer's own sandbox on port 8100 or to a real provider.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass
class SandboxServer:
    """A running sandboxes process. `messages(to)` reads its SMS inbox (newest first); `sms_clear()` empties it."""

    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        params = {"to": to} if to else {}
        response = httpx.get(f"{self.base_url}/sms/messages", params=params, timeout=5)
        response.raise_for_status()
        return response.json()["messages"]

    def sms_clear(self) -> None:
        httpx.delete(f"{self.base_url}/sms/messages", timeout=5).raise_for_status()


def _cloudinary_for(base_url: str) -> tuple[str, dict[str, str]]:
    """The app's CLOUDINARY_URL with Upload API and delivery (cname) at `base_url`, and the sandbox's credentials."""
    parts = urlsplit(os.environ["CLOUDINARY_URL"])  # config/settings.py sets the default
    moved = ("upload_prefix", "cname", "secure", "secure_distribution")
    query = [*((k, v) for k, v in parse_qsl(parts.query) if k not in moved), ("upload_prefix", base_url)]
    query.append(("cname", base_url.split("://", 1)[1]))
    url = f"cloudinary://{parts.netloc}?{urlencode(query, safe=':/')}"
    credentials = {
        "SANDBOX_CLOUDINARY_API_KEY": parts.username or "",  # as the SDK reads them: not unquoted
        "SANDBOX_CLOUDINARY_API_SECRET": parts.password or "",
        "SANDBOX_CLOUDINARY_CLOUD": parts.hostname or "",
    }
    return url, credentials


def _cloudinary_reconfigure() -> None:
    import cloudinary  # the SDK only where a test points it at the sandbox

    cloudinary.reset_config()  # the SDK reads CLOUDINARY_URL from os.environ: read it again in this process


def _payment_urls(base_url: str) -> dict[str, str]:
    """The payment gateways' settings pointed at the sandbox at `base_url` (same paths as the defaults)."""
    return {
        "FOREE_API_BASE": f"{base_url}/foree",
        "JAZZCASH_FORM_URL": f"{base_url}/jazzcash/CustomerPortal/transactionmanagement/merchantform/",
        "JAZZCASH_API_BASE": f"{base_url}/jazzcash",
    }


def _courier_urls(base_url: str) -> dict[str, str]:
    """The couriers' settings pointed at the sandbox at `base_url` (same paths as the defaults)."""
    return {
        "UBER_DIRECT_TOKEN_URL": f"{base_url}/uber/oauth/v2/token",
        "UBER_DIRECT_API_BASE": f"{base_url}/uber",
        "POSTEX_API_BASE": f"{base_url}/postex/services/integration/api/order",
    }


def _courier_credentials() -> dict[str, str]:
    """The courier sandboxes accept whatever courier credentials the app is configured with."""
    from django.conf import settings  # this plugin loads before pytest-django configures settings

    return {
        "SANDBOX_UBER_CLIENT_ID": settings.UBER_DIRECT_CLIENT_ID,
        "SANDBOX_UBER_CLIENT_SECRET": settings.UBER_DIRECT_CLIENT_SECRET,
        "SANDBOX_UBER_CUSTOMER_ID": settings.UBER_DIRECT_CUSTOMER_ID,
        "SANDBOX_UBER_SIGNING_KEY": settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY,
        "SANDBOX_POSTEX_TOKEN": settings.POSTEX_API_TOKEN,
    }


def _payment_credentials() -> dict[str, str]:
    """The sandbox accepts whatever payment credentials the app is configured with."""
    from django.conf import settings  # this plugin loads before pytest-django configures settings

    return {
        "SANDBOX_FOREE_API_KEY": settings.FOREE_API_KEY,
        "SANDBOX_JAZZCASH_MERCHANT_ID": settings.JAZZCASH_MERCHANT_ID,
        "SANDBOX_JAZZCASH_PASSWORD": settings.JAZZCASH_PASSWORD,
        "SANDBOX_JAZZCASH_INTEGRITY_SALT": settings.JAZZCASH_INTEGRITY_SALT,
        "SANDBOX_JAZZCASH_MPIN": settings.JAZZCASH_MPIN,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """The real sandboxes process for the whole session; SMS_API_BASE points at it in os.environ until the end."""
    from django.conf import settings  # this plugin loads before pytest-django configures settings

    data_dir = tmp_path_factory.mktemp("sandboxes")
    log = data_dir / "uvicorn.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    # The sandbox accepts whatever credentials the app is configured with, so the suite runs whatever SMS_* says.
    cloudinary_url, cloudinary_credentials = _cloudinary_for(base_url)
    exported = {
        "CLOUDINARY_URL": cloudinary_url,
        "SMS_API_BASE": base_url,
        "SMS_ACCOUNT_SID": settings.SMS_ACCOUNT_SID,
        "SMS_AUTH_TOKEN": settings.SMS_AUTH_TOKEN,
        **_payment_urls(base_url),
        **_courier_urls(base_url),
    }
    env = {
        **os.environ,
        "SANDBOX_DATA_DIR": str(data_dir),
        "SANDBOX_SMS_ACCOUNT_SID": settings.SMS_ACCOUNT_SID,
        "SANDBOX_SMS_AUTH_TOKEN": settings.SMS_AUTH_TOKEN,
        **cloudinary_credentials,
        **_payment_credentials(),
        **_courier_credentials(),
        # A simulated courier's hour takes about seven seconds: its whole route fits in a test.
        "SANDBOX_COURIER_TIME_SCALE": "0.002",
        # Nobody listens here: a test that wants the notifications points the sandbox at its live server.
        "SANDBOX_FOREE_NOTIFICATION_URL": "http://127.0.0.1:9/nobody",
        "SANDBOX_JAZZCASH_IPN_URL": "http://127.0.0.1:9/nobody",
        "SANDBOX_UBER_WEBHOOK_URL": "http://127.0.0.1:9/nobody",
    }
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "sandboxes.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--timeout-graceful-shutdown",
                "1",
            ],  # keep-alive clients (kernel/http.py) must not hold the stop
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    saved = {name: os.environ.get(name) for name in exported}
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the sandboxes process exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandboxes process did not answer /healthz: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        os.environ.update(exported)
        _cloudinary_reconfigure()
        yield SandboxServer(base_url=base_url, data_dir=data_dir, process=process, log=log)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _cloudinary_reconfigure()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sms_settings(settings: Any, sandbox_server: SandboxServer) -> Any:
    """Django settings for this test pointed at the sandbox process (restored afterwards by pytest-django)."""
    settings.SMS_API_BASE = sandbox_server.base_url
    return settings


@pytest.fixture
def payment_settings(settings: Any, sandbox_server: SandboxServer) -> Any:
    """Django settings for this test with both payment gateways pointed at the sandbox process."""
    for name, value in _payment_urls(sandbox_server.base_url).items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def courier_settings(settings: Any, sandbox_server: SandboxServer) -> Any:
    """Django settings for this test with both couriers pointed at the sandbox process."""
    for name, value in _courier_urls(sandbox_server.base_url).items():
        setattr(settings, name, value)
    return settings


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """Start the sandbox before any Celery worker, whichever test asks for the worker first: the worker inherits
    os.environ when it starts, so this is what points its SMS_API_BASE at the sandbox."""
    if fixturedef.argname == "celery_worker_process":
        request.getfixturevalue("sandbox_server")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PostRecorder:
    """What `post_recorder` received: `next()` is the next POST (passed through `parse`), `failures_left` makes it
    answer `fail_status` that many times first (to exercise a provider's retries), `hits` counts every POST."""

    base_url: str = ""
    url: str = ""  # where the test points the provider (base_url + a path of its choosing)
    parse: Callable[[Received], Any] = lambda received: received
    fail_status: int = 503
    failures_left: int = 0
    hits: int = 0
    requests: queue.Queue[Received] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, timeout: float = 10) -> Any:
        return self.parse(self.requests.get(timeout=timeout))

    def assert_quiet(self, seconds: float = 0.5) -> None:
        with pytest.raises(queue.Empty):
            self.requests.get(timeout=seconds)


@contextmanager
def post_recorder(
    *, parse: Callable[[Received], Any] | None = None, fail_status: int = 503, reply: bytes = b""
) -> Iterator[PostRecorder]:
    """A stand-in for our webhook endpoints (tests only): records every POST and answers 200 with `reply`, or
    `fail_status` while `failures_left` lasts (failed POSTs are counted, not recorded)."""
    recorder = PostRecorder(fail_status=fail_status)
    if parse is not None:
        recorder.parse = parse

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with recorder.lock:
                recorder.hits += 1
                fail = recorder.failures_left > 0
                recorder.failures_left -= fail
            if not fail:
                recorder.requests.put(Received(self.path, dict(self.headers.items()), body))
            self.send_response(recorder.fail_status if fail else 200)
            if reply:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with local_http_server(Handler) as base_url:
        recorder.base_url = base_url
        yield recorder


def replying(status: int, body: bytes, content_type: str = "") -> type[BaseHTTPRequestHandler]:
    """A handler answering every POST with `status` and `body` (and `content_type`, when given): a provider's fixed
    answer for `local_http_server` (tests of how adapters map failures)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a thread; yields the base URL and shuts down on exit. For the
    provider failures and callbacks no sandbox produces (tests only)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
