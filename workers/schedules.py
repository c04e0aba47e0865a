"""Beat schedule: periodic sweeps. Each entry names a task registered by an app's tasks.py."""

from celery import Celery

SCHEDULE = {
    "merchant-stats-refresh-all": {"task": "tenants.tasks.merchant_stats_refresh_all", "schedule": 600.0},
}


def install(app: Celery) -> None:
    app.conf.beat_schedule = SCHEDULE
