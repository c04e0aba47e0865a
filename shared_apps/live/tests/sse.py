"""Test helpers: an ASGI stream server on a free port (the Procfile's `live` command) and an SSE client that behaves
like a browser's EventSource (reconnects after the stream ends, sending Last-Event-ID)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from conftest import database_url_for_subprocess

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: a browser test of the same worker leaves Playwright's event loop running
    in the main thread, where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def stream_server(**env: str) -> Iterator[str]:
    """granian's ASGI interface serving config.asgi_live (as Procfile `live` does) against the test database."""
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "DB_POOL_MAX_SIZE": "0",
        "LIVE_HEARTBEAT_SECONDS": "0.5",
        "LIVE_RETRY_MS": "100",
        **env,
    }
    command = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "config.asgi_live:application"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-ws"],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", headers={"Host": "localhost"}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the stream server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Event:
    id: int
    kind: str
    data: str


@dataclass
class EventSourceClient:
    """Reads a stream in a thread; on its end (or a failed connect) reconnects after `retry` with Last-Event-ID."""

    url: str
    headers: dict[str, str]
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    connects: int = 0
    statuses: list[int] = field(default_factory=list)
    last_id: int | None = None
    retry_ms: int = 100
    _stop: threading.Event = field(default_factory=threading.Event)
    _open: threading.Event = field(default_factory=threading.Event)

    def start(self) -> EventSourceClient:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def wait_open(self, timeout: float = 10) -> None:
        assert self._open.wait(timeout), "the stream did not open"

    def stop(self) -> None:
        self._stop.set()

    def wait_for(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; events {self.events}, comments {self.comments[-3:]}")

    def _run(self) -> None:
        while not self._stop.is_set():
            headers = dict(self.headers)
            if self.last_id is not None:
                headers["Last-Event-ID"] = str(self.last_id)
            try:
                with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(5, read=30)) as response:
                    self.statuses.append(response.status_code)
                    if response.status_code != 200:
                        return
                    self.connects += 1
                    self._open.set()
                    self._read(response)
            except httpx.HTTPError:
                pass
            time.sleep(self.retry_ms / 1000)

    def _read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if self._stop.is_set():
                return
            if line.startswith(":"):
                self.comments.append(line)
            elif not line:
                if "data" in fields:
                    event = Event(id=int(fields["id"]), kind=fields.get("event", "message"), data=fields["data"])
                    self.last_id = event.id
                    self.events.append(event)
                elif "retry" in fields:
                    self.retry_ms = int(fields["retry"])
                fields = {}
            else:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
