"""Celery entry points of discovery (thin: the work is in cell_refresh.py)."""

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from marketplace.discovery.cell_refresh import Refreshed, word_cells_refresh

_REFRESH_LOCK = "discovery:word-cells-refresh"
_REFRESH_LOCK_SECONDS = 1800  # longer than a first count of the whole index; a dead run frees it


@shared_task(name="marketplace.discovery.tasks.word_cells_refresh")
def word_cells_refresh_task() -> Refreshed | None:
    """Beat: every frequent word's branch cells counted ahead, so searches read them instead of counting. One run at
    a time (a run that overlaps the next beat would count the same branches twice)."""
    if not cache.add(_REFRESH_LOCK, 1, timeout=_REFRESH_LOCK_SECONDS):
        return None
    try:
        connection.set_schema_to_public()
        return word_cells_refresh()
    finally:
        cache.delete(_REFRESH_LOCK)
