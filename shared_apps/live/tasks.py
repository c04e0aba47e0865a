"""Beat: the live event log keeps a few days (workers/schedules.py)."""

from celery import shared_task

from shared_apps.live.services import live_events_purge


@shared_task(name="shared_apps.live.tasks.live_events_purge")
def live_events_purge_task() -> int:
    return live_events_purge()
