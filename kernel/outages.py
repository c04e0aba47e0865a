"""What a dependency outage looks like from inside a request: Redis or PostgreSQL not answering. The API answers
these with the envelope's 503 `unavailable` and a Retry-After (config/api.py), never a 500: the request was fine,
a server it needs was not (ADR 0012)."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

OUTAGE_RETRY_AFTER_S = 5  # a restart of Redis or PostgreSQL takes seconds; clients wait that long before retrying

OUTAGES = (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) says a server we depend on did not answer."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OUTAGES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
