"""Celery, tenant-aware: a task sent in a tenant's context carries its schema and runs in it (tenant-schemas-celery)."""

import os

from celery.signals import task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("planckly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
