"""Celery entry points of recommendations' training (thin: the work is in training.py)."""

from celery import shared_task
from django.db import connection

from marketplace.recommendations.training import recommendations_train


@shared_task(name="marketplace.recommendations.tasks.recommendations_train_task")
def recommendations_train_task() -> int:
    """Beat, nightly, on the training queue: every region trained within the budget. Returns how many activated."""
    connection.set_schema_to_public()
    return sum(model.status == "active" for model in recommendations_train())
