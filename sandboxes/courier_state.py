"""What the two courier sandboxes (uberdirect.py, postex.py) keep, and how they are configured.

Each keeps JSON documents in SQLite at $SANDBOX_DATA_DIR/<name>.sqlite3 (default <repo>/.data/sandboxes), read from the
environment at each call: state survives restarts and is shared by every uvicorn worker, and each write is one
`BEGIN IMMEDIATE` transaction, so two concurrent creates with one idempotency key cannot both win.

Simulated time: `time_scale()` ($SANDBOX_COURIER_TIME_SCALE, default 1) multiplies every duration a simulated courier
takes — 0.01 runs an hour's delivery in 36 seconds, so tests and demos need not wait for a real courier's pace.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandboxes.sqlite_state import sqlite_connect

REPO = Path(__file__).resolve().parent.parent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL, id TEXT NOT NULL, unique_key TEXT, body TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_unique ON docs (kind, unique_key) WHERE unique_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SandboxRequestError(Exception):
    """A request a sandbox refuses: `status` is the HTTP status, `body` the provider's error document."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(str(body))


def time_scale() -> float:
    try:
        scale = float(os.environ.get("SANDBOX_COURIER_TIME_SCALE") or 1.0)
    except ValueError:
        return 1.0
    return scale if scale > 0 else 1.0


class Store:
    """One sandbox's documents and config (`name` names the file; `defaults` the config's keys and types)."""

    def __init__(self, name: str, defaults: dict[str, Any]) -> None:
        self.name = name
        self.defaults = defaults

    def path(self) -> Path:
        return Path(os.environ.get("SANDBOX_DATA_DIR") or REPO / ".data" / "sandboxes") / f"{self.name}.sqlite3"

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        with sqlite_connect(self.path(), _SCHEMA, write=write) as conn:
            yield conn

    # ---- documents -------------------------------------------------------------------------------------------------

    @staticmethod
    def get_in(conn: sqlite3.Connection, kind: str, doc_id: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT body FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)).fetchone()
        return json.loads(row["body"]) if row else None

    @staticmethod
    def by_unique_in(conn: sqlite3.Connection, kind: str, unique_key: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT body FROM docs WHERE kind = ? AND unique_key = ?", (kind, unique_key)).fetchone()
        return json.loads(row["body"]) if row else None

    @staticmethod
    def put_in(
        conn: sqlite3.Connection, kind: str, doc_id: str, body: dict[str, Any], unique_key: str | None = None
    ) -> None:
        conn.execute(
            "INSERT INTO docs (kind, id, unique_key, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            (kind, doc_id, unique_key, json.dumps(body)),
        )

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self.connect() as conn:
            return self.get_in(conn, kind, doc_id)

    def put(self, kind: str, doc_id: str, body: dict[str, Any]) -> None:
        with self.connect(write=True) as conn:
            self.put_in(conn, kind, doc_id, body)

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT body FROM docs WHERE kind = ? ORDER BY rowid DESC", (kind,)).fetchall()
        return [json.loads(row["body"]) for row in rows]

    def clear(self, kind: str) -> None:
        with self.connect(write=True) as conn:
            conn.execute("DELETE FROM docs WHERE kind = ?", (kind,))

    # ---- config ----------------------------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        with self.connect() as conn:
            stored = {row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT key, value FROM config")}
        defaults = {key: value() if callable(value) else value for key, value in self.defaults.items()}
        return {**defaults, **{k: v for k, v in stored.items() if k in defaults}}

    def config_update(self, payload: Any) -> dict[str, Any]:
        """Validate and store a partial config (JSON object); None resets to the defaults. Raises
        SandboxRequestError(400) naming the first bad key."""
        if payload is None:
            with self.connect(write=True) as conn:
                conn.execute("DELETE FROM config")
            return self.config()
        if not isinstance(payload, dict):
            raise SandboxRequestError(400, {"error": "The config must be a JSON object"})
        current = self.config()
        for key, value in payload.items():
            if key not in current:
                raise SandboxRequestError(400, {"error": f"Unknown config key {key!r}; known: {', '.join(current)}"})
            kind = type(current[key])
            numeric = kind in (int, float) and not isinstance(value, bool) and isinstance(value, (int, float))
            if not (numeric or isinstance(value, kind)) or (numeric and value < 0):
                raise SandboxRequestError(400, {"error": f"{key} must be a {'non-negative ' * numeric}{kind.__name__}"})
        with self.connect(write=True) as conn:
            for key, value in payload.items():
                conn.execute("INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)", (key, json.dumps(value)))
        return self.config()
