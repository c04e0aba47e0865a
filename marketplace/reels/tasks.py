"""Celery entry points of the reels feed (thin: the work is in scores.py)."""

from celery import shared_task
from django.db import connection

from marketplace.reels.scores import placements_refresh


@shared_task(name="marketplace.reels.tasks.reels_scores_refresh")
def reels_scores_refresh() -> int:
    """Beat: qualities, stock, opening state and stored scores of every reel placement."""
    connection.set_schema_to_public()
    return placements_refresh().scores
