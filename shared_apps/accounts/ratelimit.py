"""Fixed-window counters in Redis: cheap brakes against brute force and SMS pumping, shared by every process.

No limit is counted per client IP for customers: behind a carrier's NAT thousands of honest customers share one
address. Sign-in codes are limited per phone, per number block (`phone_prefix`), per device (shared_apps/accounts/
devices.py) and by a global budget (settings OTP_*; docs/security.md says what each stops).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from kernel.outages import OUTAGE_RETRY_AFTER_S
from shared_apps.accounts.errors import AccountsError, AccountsErrorCode

logger = logging.getLogger(__name__)

PREFIX_HIDDEN_DIGITS = 4  # a block of 10,000 numbers: what SMS pumping rents from one premium-rate range


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry NUM_PROXIES from the right of X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= settings.NUM_PROXIES:
            return hops[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "unknown")


def phone_prefix(phone: str) -> str:
    """The block a normalised phone number belongs to: all but its last PREFIX_HIDDEN_DIGITS digits."""
    return phone[:-PREFIX_HIDDEN_DIGITS]


def rate_limit_hit(*, scope: str, key: str, limit: tuple[int, int]) -> None:
    """Count one event for (scope, key); raise AccountsError(RATE_LIMITED, retry_after=…) once over `limit`.

    Fails safe: with Redis unreachable nothing can be counted, so the event is refused (RATE_LIMIT_UNAVAILABLE, 503)
    rather than let through unlimited — an SMS costs money and a code guessed without a limit is an account taken."""
    allowed, window = limit
    bucket = int(time.time() // window)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    try:
        count = _count(cache_key, window)
    except RedisError:
        logger.warning("rate limit %s not counted: Redis unavailable", scope)
        raise AccountsError(AccountsErrorCode.RATE_LIMIT_UNAVAILABLE, retry_after=OUTAGE_RETRY_AFTER_S) from None
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
