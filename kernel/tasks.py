"""Sending a task by its name: how a lower floor asks a higher one's worker to act without importing it."""

from __future__ import annotations

from typing import Any

from celery import current_app


def task_send(name: str, /, **kwargs: Any) -> None:
    """Queue the task registered as `name` with keyword arguments. In a tenant's context the task runs in that
    schema (tenant-schemas-celery adds the schema header to every send)."""
    current_app.send_task(name, kwargs=kwargs)
