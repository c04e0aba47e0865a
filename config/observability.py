"""The first middleware: every request gets an id, a log context and its place in the metrics.

- The id is the caller's X-Request-ID when it is a plain token (a proxy's or a client's, so one id follows a request
  through every hop), else a new one; it is echoed in the response's X-Request-ID and is on every log line written
  while the request is served (kernel/logs.py adds the tenant and the user), and on every line of the Celery tasks
  it queues (config/celery.py).
- The response's time and status are counted under the URL pattern that matched (`/api/v1/console/orders/<int:...>`),
  or `unmatched` when none did (unknown hosts, 404s), so the number of series stays bounded whatever is requested.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from kernel.logs import request_bind, request_unbind
from kernel.metrics import http_request_seconds, http_requests

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else (too long, spaces, quotes, newlines) could forge log lines or headers: a new id replaces it.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
UNMATCHED = "unmatched"


class _RequestIds:
    """Unique ids without a system call per request: a random prefix per process (drawn again in a forked child)
    and a counter."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):08x}"


_request_ids = _RequestIds()
# (method, route) -> histogram child, (method, route, status) -> counter child: `.labels()` validates and locks on
# every call; the children are the same objects each time.
_timers: dict[tuple[str, str], Any] = {}
_counters: dict[tuple[str, str, str], Any] = {}


def request_route(request: HttpRequest) -> str:
    """The URL pattern that served `request`, as written in the URLconf (ninja's paths included)."""
    match = getattr(request, "resolver_match", None)
    return "/" + match.route if match is not None and match.route is not None else UNMATCHED


class RequestObservedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming and _REQUEST_ID.fullmatch(incoming) else _request_ids.next()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_bind(request)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            _observe(request.method or "", request_route(request), response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_unbind(token)


def _observe(method: str, route: str, status: int, seconds: float) -> None:
    timer = _timers.get((method, route))
    if timer is None:
        timer = _timers.setdefault((method, route), http_request_seconds.labels(method, route))
    timer.observe(seconds)
    counter = _counters.get((method, route, status))
    if counter is None:
        counter = _counters.setdefault((method, route, status), http_requests.labels(method, route, str(status)))
    counter.inc()
