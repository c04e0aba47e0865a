"""Celery entry points of the reels feed (thin: the work is in scores.py)."""

from celery import shared_task
from django.db import connection

from marketplace.reels.attribution import reel_orders_attribute
from marketplace.reels.scores import placements_refresh


@shared_task(name="marketplace.reels.tasks.reels_scores_refresh")
def reels_scores_refresh() -> int:
    """Beat: qualities, stock, opening state and stored scores of every reel placement."""
    connection.set_schema_to_public()
    return placements_refresh().scores


@shared_task(name="marketplace.reels.tasks.reels_orders_attribute")
def reels_orders_attribute() -> int:
    """Beat: orders placed since the last look, attributed to the reels their products were added from."""
    connection.set_schema_to_public()
    return reel_orders_attribute()
