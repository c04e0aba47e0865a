"""The sandboxes' state store: one SQLite file per provider, shared by every uvicorn worker and surviving restarts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def sqlite_connect(path: Path, schema: str, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode with `schema` in place; with `write`, inside BEGIN IMMEDIATE (one writer at a
    time), committed on success and rolled back on any exception."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(schema)
        if not write:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
