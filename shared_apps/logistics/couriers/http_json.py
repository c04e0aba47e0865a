"""One provider call with a JSON answer, shared by the courier adapters: the kernel's HTTP client, a timeout, and
the answer read with Decimal numbers. Errors are the callers' to map (each courier says "no" differently)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from kernel.http import provider_http
from kernel.jsonparse import json_loads
from shared_apps.logistics.couriers.base import CourierError, CourierErrorKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]  # {} when the body was not a JSON object


def json_call(
    provider: str, method: str, url: str, *, timeout: float, headers: dict[str, str], **kwargs: Any
) -> Answer:
    """Send one request; UNAVAILABLE for no usable answer (transport error, timeout, 5xx, 429), else the answer."""
    try:
        response = provider_http().request(
            method, url, headers={"Accept": "application/json", **headers}, timeout=httpx.Timeout(timeout), **kwargs
        )
    except httpx.TransportError as exc:  # refused, reset, DNS, and every kind of timeout
        logger.warning("%s %s %s: unreachable: %r", provider, method, url, exc)
        raise CourierError(CourierErrorKind.UNAVAILABLE, code="unreachable", message=repr(exc)) from exc
    try:
        payload = json_loads(response.content or b"{}", parse_float=Decimal)
    except ValueError:
        payload = None
    if response.status_code == 429 or response.status_code >= 500:
        logger.warning("%s %s %s: HTTP %s", provider, method, url, response.status_code)
        raise CourierError(
            CourierErrorKind.UNAVAILABLE,
            code=f"http_{response.status_code}",
            message=response.reason_phrase,
            raw=payload if isinstance(payload, dict) else {},
        )
    return Answer(status=response.status_code, payload=payload if isinstance(payload, dict) else {})
