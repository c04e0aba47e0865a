"""Celery, tenant-aware: a task sent in a tenant's context carries its schema and runs in it (tenant-schemas-celery).

Observed like a request (docs/operations.md): every log line of a task carries its id, its name, its tenant and the
id of the request that queued it (a `request_id` message header added at publish), Django's LOGGING stays in force
in workers (no Celery handlers of its own), and every task's outcome and run time go to the Prometheus files.
"""

import logging.config
import os
import time

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun, worker_ready
from tenant_schemas_celery.app import CeleryApp

from kernel.logs import context_bind, context_unbind, current_request_id
from kernel.metrics import celery_task_seconds, celery_tasks, metrics_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("planckly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


REQUEST_ID_HEADER = "request_id"
# task id -> (start, the log context's token); a pool child runs one task at a time, a thread pool one per thread
_running: dict[str, tuple[float, object]] = {}


@setup_logging.connect(weak=False)
def _django_logging(**kwargs: object) -> None:
    """Workers and beat log exactly as the web does (settings.LOGGING): JSON lines with the task's context."""
    from django.conf import settings  # Celery loads this module before Django is set up

    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect(weak=False)
def _request_id_travels(headers: dict | None = None, **kwargs: object) -> None:
    """A task queued while serving a request (or by a task that one queued) carries that request's id."""
    request_id = current_request_id()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


@task_prerun.connect(weak=False)
def _task_observed(task_id: str | None = None, task=None, **kwargs: object) -> None:
    if task is None or task_id is None:
        return
    request = task.request
    token = context_bind(
        task_id=task_id,
        task=task.name,
        request_id=getattr(request, REQUEST_ID_HEADER, None),
        tenant=getattr(request, "_schema_name", None),  # tenant-schemas-celery's header
    )
    _running[task_id] = (time.perf_counter(), token)


@task_postrun.connect(weak=False)
def _task_done(task_id: str | None = None, task=None, state: str | None = None, **kwargs: object) -> None:
    started = _running.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    celery_task_seconds.labels(task.name).observe(time.perf_counter() - started[0])
    celery_tasks.labels(task.name, (state or "unknown").lower()).inc()
    context_unbind(started[1])


@worker_ready.connect(weak=False)
def _worker_metrics(**kwargs: object) -> None:
    """METRICS_WORKER_PORT: the worker serves every process's samples itself (a host without a web process)."""
    from django.conf import settings  # Celery loads this module before Django is set up

    if settings.METRICS_WORKER_PORT:
        metrics_serve(port=settings.METRICS_WORKER_PORT, addr=settings.METRICS_WORKER_ADDR)


@task_prerun.connect(weak=False)
def _healthy_database_session(task=None, **kwargs: object) -> None:
    """Sessions live across tasks (CELERY_DB_REUSE_MAX): drop one that broke or outlived CONN_MAX_AGE first. Not
    for a task run eagerly in the caller's process (tests, `.apply()`): that session is the caller's."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    # Celery loads this module before Django is set up
    from django.db import close_old_connections

    close_old_connections()


@app.on_after_finalize.connect
def _schedules(sender: CeleryApp, **kwargs: object) -> None:
    # the schedule names tasks of apps that load after the Celery app is made
    from workers.schedules import install

    install(sender)
