"""One HTTP client per process for calls to providers (payment gateways, SMS).

Building an `httpx.Client` costs ~70 ms of CPU (its SSL context) — more than the provider call itself — and a new
client also means a new TCP (and TLS) connection per call. Measured in benchmarks/webhooks.py: most of the workers'
CPU went there. The client is thread-safe; timeouts, headers and credentials are passed per request. A forked child
(Celery's prefork pool) gets a client of its own: sockets must not be shared across processes.
"""

from __future__ import annotations

import os
import threading

import httpx

_client: httpx.Client | None = None
_lock = threading.Lock()


def provider_http() -> httpx.Client:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = httpx.Client(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
    return _client


def _forget_after_fork() -> None:
    global _client, _lock
    _client, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
