"""Django's Redis cache backend, keeping its Redis client instead of building one per operation.

Django's RedisCacheClient constructs a `redis.Redis` around its connection pool for every get/set/add — ~0.3 ms of
CPU each on the 2-core box (the client's command-callback tables), more than the Redis round trip. The client is
a thin, thread-safe wrapper over the pool and holds no socket itself (the pool drops its connections in a forked
child), so one client per pool is kept. Measured in benchmarks/flash_sale.py (each placed order marks its outbox
kick in Redis).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class KeptClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient


def redis_client() -> Any:
    """The default cache's Redis client (`redis.Redis`), for structures the cache API has no words for (hashes)."""
    # the cache backends are built from settings on first use, after this module loads
    from django.core.cache import caches

    return caches["default"]._cache.get_client(None, write=True)
