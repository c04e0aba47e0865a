"""Fixed-window counters in Redis: cheap brakes against brute force and SMS pumping, shared by every process."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from kernel.errors import CommonErrorCode, DomainError
from kernel.outages import OUTAGE_RETRY_AFTER_S
from shared_apps.accounts.errors import AccountsError, AccountsErrorCode


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry NUM_PROXIES from the right of X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= settings.NUM_PROXIES:
            return hops[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limit_hit(*, scope: str, key: str, limit: tuple[int, int]) -> None:
    """Count one event for (scope, key); raise AccountsError(RATE_LIMITED, retry_after=…) once over `limit`.
    Fails closed: while Redis cannot count, raises DomainError(UNAVAILABLE) (503) — an uncounted limit would let
    SMS pumping and code guessing through."""
    allowed, window = limit
    bucket = int(time.time() // window)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    try:
        count = _count(cache_key, window)
    except RedisError as exc:
        raise DomainError(CommonErrorCode.UNAVAILABLE, retry_after=OUTAGE_RETRY_AFTER_S) from exc
    if count > allowed:
        retry_after = int((bucket + 1) * window - time.time()) + 1
        raise AccountsError(AccountsErrorCode.RATE_LIMITED, retry_after=max(retry_after, 1))


def _count(cache_key: str, window: int) -> int:
    if cache.add(cache_key, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 5)
        return 1
