"""Prometheus metrics, in multiprocess mode: the one module that imports prometheus_client.

granian runs several web worker processes and Celery forks its pool, so each process writes its samples to
memory-mapped files in PROMETHEUS_MULTIPROC_DIR (default `.data/prometheus/`, wiped by `make run` before the
processes start) and `/metrics` sums every process's files at scrape time. prometheus_client decides between
in-memory and file-backed values when it is first imported, from that environment variable: hence this module sets
it before importing the library, and nothing else imports prometheus_client directly.

What is measured where (docs/operations.md says what to watch):
- web and live (config/observability.py): `planckly_http_requests_total{method,route,status}` and
  `planckly_http_request_duration_seconds{method,route}`, `route` being the URL pattern that matched, never the raw
  path (ids would make a series per object);
- Celery workers (config/celery.py): `planckly_celery_tasks_total{task,state}`,
  `planckly_celery_task_duration_seconds{task}`;
- at scrape time, from Redis and PostgreSQL (config/metrics.py): queue depth, outbox lag, webhook backlog.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_DEFAULT_DIR = Path(__file__).resolve().parent.parent / ".data" / "prometheus"
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_DEFAULT_DIR))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402 - after the directory is decided (see above)
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

__all__ = [  # scrape-time collectors (config/metrics.py) build on these
    "Collector",
    "GaugeMetricFamily",
    "celery_task_seconds",
    "celery_tasks",
    "http_request_seconds",
    "http_requests",
    "metrics_exposition",
    "metrics_serve",
]

# Pages and API calls answer in milliseconds; a provider call on the request path takes seconds.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Tasks range from a Redis SET to a provider round trip or a schema's listing rebuild.
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 120.0, 600.0)

http_requests = Counter(
    "planckly_http_requests", "Requests answered, by the route pattern that served them", ["method", "route", "status"]
)
http_request_seconds = Histogram(
    "planckly_http_request_duration_seconds",
    "Time from the first middleware to the response, by route pattern",
    ["method", "route"],
    buckets=_REQUEST_BUCKETS,
)
celery_tasks = Counter("planckly_celery_tasks", "Celery tasks finished, by outcome", ["task", "state"])
celery_task_seconds = Histogram(
    "planckly_celery_task_duration_seconds", "Celery task run time", ["task"], buckets=_TASK_BUCKETS
)


def metrics_exposition(collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """Every process's samples (the multiprocess files) and `collectors` read now, in the text format."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_serve(*, port: int, addr: str) -> None:
    """Serve every process's samples on `addr:port` from a thread of this process (a Celery worker's own /metrics,
    for a worker host without a web process)."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=addr, registry=registry)
