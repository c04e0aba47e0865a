"""What /metrics reads at scrape time, and who may scrape it.

Per-process samples (requests, tasks) are in kernel/metrics.py's multiprocess files. The backlogs below are facts
of Redis and PostgreSQL, not of a process, so the process that answers the scrape reads them then:

| metric | read from |
|---|---|
| `planckly_celery_queue_depth{queue}` | LLEN of the queue's Redis lists (one per Celery priority step) |
| `planckly_outbox_pending{entity}`, `..._lag_seconds{entity}` | every merchant schema's unpublished outbox rows |
| `planckly_webhook_backlog{source,provider}`, `..._oldest_seconds` | payment and courier webhooks not applied yet |
| `planckly_metrics_source_up{source}` | 1 when the reading succeeded, 0 when Redis or PostgreSQL failed it |

Readings are kept SCRAPE_CACHE_SECONDS per process, so several scrapers (or a dashboard refreshing) cost one read.
The outbox read is one statement per 200 merchants over the partial index of unpublished rows.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Iterator

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from kernel.metrics import Collector, GaugeMetricFamily
from shared_apps.logistics.selectors import courier_webhook_backlog
from shared_apps.payments.selectors import webhook_backlog
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.selectors import outbox_pending_by_entity
from tenants.models import Merchant, MerchantStatus

logger = logging.getLogger(__name__)

SCRAPE_CACHE_SECONDS = 10.0
_PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport: a queue is one list per priority step
_PRIORITY_STEPS = (0, 3, 6, 9)


def metrics_allowed(request: HttpRequest) -> bool:
    """METRICS_TOKEN set: only `Authorization: Bearer <token>`. Unset: only a scraper on this machine talking to the
    process directly — a request through the front proxy (which adds X-Forwarded-For) is never local."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode())
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _queues() -> list[str]:
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *settings.METRICS_EXTRA_QUEUES})


def _queue_depths() -> list[GaugeMetricFamily]:
    depth = GaugeMetricFamily(
        "planckly_celery_queue_depth", "Tasks waiting in a Celery queue (Redis)", labels=["queue"]
    )
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in _queues():
                for step in _PRIORITY_STEPS:
                    pipe.llen(queue if not step else f"{queue}{_PRIORITY_SEPARATOR}{step}")
            lengths = pipe.execute()
    finally:
        client.close()
    for index, queue in enumerate(_queues()):
        depth.add_metric([queue], sum(lengths[index * len(_PRIORITY_STEPS) : (index + 1) * len(_PRIORITY_STEPS)]))
    return [depth]


def _database_backlogs() -> list[GaugeMetricFamily]:
    now = timezone.now()
    connection.set_schema_to_public()
    schemas = list(
        Merchant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .exclude(status=MerchantStatus.ARCHIVED)
        .values_list("schema_name", flat=True)
    )
    pending = {row.entity: row for row in outbox_pending_by_entity(schemas=schemas)}
    outbox_count = GaugeMetricFamily(
        "planckly_outbox_pending", "Outbox events not yet published to the marketplace", labels=["entity"]
    )
    outbox_lag = GaugeMetricFamily(
        "planckly_outbox_lag_seconds", "Age of the oldest unpublished outbox event (0: none)", labels=["entity"]
    )
    for entity in Entity.values:
        row = pending.get(entity)
        outbox_count.add_metric([entity], row.count if row else 0)
        outbox_lag.add_metric([entity], max(0.0, (now - row.oldest).total_seconds()) if row else 0.0)
    backlog = GaugeMetricFamily(
        "planckly_webhook_backlog", "Provider webhooks stored but not applied", labels=["source", "provider"]
    )
    oldest = GaugeMetricFamily(
        "planckly_webhook_backlog_oldest_seconds",
        "Age of the oldest provider webhook not applied (0: none)",
        labels=["source", "provider"],
    )
    waiting = {("payments", row["gateway"]): row for row in webhook_backlog()}
    waiting |= {("couriers", row["provider"]): row for row in courier_webhook_backlog()}
    for (source, provider), row in sorted(waiting.items()):
        backlog.add_metric([source, provider], row["count"])
        oldest.add_metric([source, provider], max(0.0, (now - row["oldest"]).total_seconds()))
    return [outbox_count, outbox_lag, backlog, oldest]


class BacklogCollector(Collector):
    """Queue depth, outbox lag and webhook backlog, read at most once per SCRAPE_CACHE_SECONDS in this process."""

    _lock = threading.Lock()
    _kept: tuple[float, list[GaugeMetricFamily]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            kept = BacklogCollector._kept
            if kept is None or time.monotonic() - kept[0] >= SCRAPE_CACHE_SECONDS:
                kept = (time.monotonic(), self._read())
                BacklogCollector._kept = kept
        yield from kept[1]

    @staticmethod
    def _read() -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "planckly_metrics_source_up", "Whether the scrape could read this source (1) or not (0)", labels=["source"]
        )
        families: list[GaugeMetricFamily] = []
        for source, read in (("redis", _queue_depths), ("database", _database_backlogs)):
            try:
                families += read()
                up.add_metric([source], 1)
            except Exception:  # a scrape reports a failing source, it does not fail
                logger.warning("metrics: reading %s failed", source, exc_info=True)
                up.add_metric([source], 0)
        return [*families, up]

    @classmethod
    def forget(cls) -> None:
        """The next scrape reads again (tests)."""
        with cls._lock:
            cls._kept = None
