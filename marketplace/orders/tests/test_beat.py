"""The beat schedule only names tasks a worker registers (autodiscovered from the installed apps' tasks.py)."""

from __future__ import annotations

from workers.schedules import SCHEDULE


def test_every_scheduled_task_is_registered():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker or beat does at start: autodiscovery imports each tasks.py
    assert {entry["task"] for entry in SCHEDULE.values()} <= set(app.tasks)
    assert SCHEDULE["unpaid-orders-release"]["schedule"] <= 60
    assert app.conf.beat_schedule == SCHEDULE
