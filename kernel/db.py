"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def unprepared() -> Iterator[None]:
    """Statements run in this block are planned on every run: psycopg does not prepare them on the session.

    Prepared statements (settings: DB_PREPARED) pay off where one plan fits every value — checkout's lookups by id.
    A search's best plan depends on its values (a 2 km radius or 50, a rare word or a common one); after five runs
    of a prepared statement PostgreSQL may settle on one generic plan for all of them. Searches opt out here."""
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
