"""Celery, tenant-aware: a task sent in a tenant's context carries its schema and runs in it (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("planckly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedules(sender: CeleryApp, **kwargs: object) -> None:
    from workers.schedules import install

    install(sender)
