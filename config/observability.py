"""The first middleware: every request gets an id, a log context and its place in the metrics.

- The id is the caller's X-Request-ID when it is a plain token (a proxy's or a client's, so one id follows a request
  through every hop), else a new one; it is echoed in the response's X-Request-ID and is on every log line written
  while the request is served (kernel/logs.py adds the tenant and the user), and on every line of the Celery tasks
  it queues (config/celery.py).
- The response's time and status are counted under the URL pattern that matched (`/api/v1/console/orders/<int:...>`),
  or `unmatched` when none did (unknown hosts, 404s), so the number of series stays bounded whatever is requested.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kernel.logs import request_bind, request_unbind
from kernel.metrics import http_request_seconds, http_requests

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else (too long, spaces, quotes, newlines) could forge log lines or headers: a new id replaces it.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
UNMATCHED = "unmatched"


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
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = request_bind(request, request_id=request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            route = request_route(request)
            http_request_seconds.labels(request.method, route).observe(time.perf_counter() - started)
            http_requests.labels(request.method, route, str(response.status_code)).inc()
            return response
        finally:
            request_unbind(tokens)
