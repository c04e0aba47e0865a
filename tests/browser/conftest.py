"""Playwright in Debian's Chromium (/usr/bin/chromium), no browser downloads; screenshots in artifacts/screenshots."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shared_apps.live.tests.sse import free_port, stream_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run "inside" it without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        new_context = browser.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            context.on("page", _watch_policy)
            return context

        browser.new_context = watched_context
        yield browser
        browser.close()


# What the browser refused under the Content-Security-Policy, in every page of every context: a test that passes
# while the policy blocked a script, an image or a form would hide a broken page (checked after each test).
CSP_VIOLATIONS: list[str] = []


def _watch_policy(page) -> None:
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


@pytest.fixture(autouse=True)
def _nothing_refused_by_the_content_security_policy():
    CSP_VIOLATIONS.clear()
    yield
    refused, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert refused == [], "\n".join(refused)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, target=None) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take


class SmsCodes:
    """Reads sign-in codes from the SMS sandbox. `mark(phone)` before asking for a code, then `read(phone)` waits
    for a message newer than the mark: the inbox lives for the whole session, and an older code must never be
    mistaken for the new one."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.seen: dict[str, int] = {}

    def mark(self, phone: str) -> None:
        self.seen[phone] = len(self.sandbox.messages(to=phone))

    def read(self, phone: str, *, timeout: float = 20.0) -> str:
        import re
        import time

        before = self.seen.get(phone, 0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.sandbox.messages(to=phone)
            if len(messages) > before:
                self.seen[phone] = len(messages)
                return re.search(r"\b(\d{6})\b", messages[0]["body"]).group(1)
            time.sleep(0.2)
        raise AssertionError(f"no new SMS reached {phone}")

    __call__ = read


@pytest.fixture
def sms_code(sandbox_server, celery_worker_process) -> SmsCodes:
    """Sign-in codes as a person reads them: delivered by the real worker to the SMS sandbox."""
    return SmsCodes(sandbox_server)


@pytest.fixture
def front(live_server):
    """The Procfile's front on a free port, as `make run` serves it (config/Caddyfile): the stream paths to a
    granian ASGI process (config.asgi_live), every other path (the providers' routes too) to the test's live server
    (WSGI)."""
    with stream_server(LIVE_RETRY_MS="500") as live_base:
        port = free_port()
        env = {
            "FRONT_PORT": str(port),
            "WEB_PORT": str(urlsplit(live_server.url).port),
            "PROVIDERS_PORT": str(urlsplit(live_server.url).port),  # the routes that wait on a provider, too
            "LIVE_PORT": str(urlsplit(live_base).port),
        }
        caddy = Path(sys.executable).parent / "caddy"
        process = subprocess.Popen(
            [str(caddy), "run", "--config", "config/Caddyfile", "--adapter", "caddyfile"],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(1.0)
            yield port
        finally:
            process.terminate()
            process.wait(10)
