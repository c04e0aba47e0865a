"""Fast tenant schemas: record the SQL that migrations run once, replay it per schema in one round trip.

django-tenants builds a schema by running the whole migration history through Django's migration framework, which
costs seconds per schema (django-tenants #719). The SQL those migrations send does not depend on the schema's name
(Django's DDL is unqualified and resolved through the search path), so we run the real migrations once on a
template schema with an execute wrapper that records every statement that changes something, split per migration,
and store it in `TenantSchemaScript` keyed by a fingerprint of the migration graph. Before dropping the
template we also keep its shape (`schema_catalog.shape_digest`): a schema built any other way (replayed, or a spare
of the pool brought forward) is verified identical to this migrated one by comparing digests.

Spares of the pool (schema_spares.py) and the fallback of provisioning replay all of it; `migrate_tenants` replays
the missing tail for existing schemas. Migrations whose effect depends on a schema's data (RunPython, non-atomic)
are marked not replayable and go through Django's migrate for each schema instead.
tests/test_provisioning_equivalence.py proves a replayed schema identical to one built by `migrate_schemas`.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython
from django.db.migrations.recorder import MigrationRecorder

from tenants.models import TenantSchemaScript
from tenants.schema_catalog import schema_describe, shape_digest

_SKIP = re.compile(r"^\s*(SELECT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|SET search_path|SHOW)\b", re.I)
_RECORD_APPLIED = re.compile(r'^\s*INSERT INTO "django_migrations"', re.I)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class RecordedMigration:
    app: str
    name: str
    replayable: bool
    statements: tuple[str, ...]


@dataclass(frozen=True)
class SchemaScript:
    fingerprint: str
    preamble: tuple[str, ...]  # creates django_migrations itself
    migrations: tuple[RecordedMigration, ...]
    shape: str  # shape_digest of the template Django's migrations built: what every copy must match

    def pending_for(self, applied: set[tuple[str, str]]) -> list[RecordedMigration]:
        return [m for m in self.migrations if (m.app, m.name) not in applied]


def quote_schema(name: str) -> str:
    if not _SCHEMA_NAME.match(name):
        raise ValueError(f"unsafe schema name {name!r}")
    return f'"{name}"'


def migration_fingerprint() -> str:
    """Identifies the migration graph: every node plus the source of every migration module."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key in sorted(loader.disk_migrations):
        migration = loader.disk_migrations[key]
        digest.update(f"{key[0]}.{key[1]}\n".encode())
        digest.update(inspect.getsource(inspect.getmodule(migration)).encode())
    return digest.hexdigest()


def _tenant_app_labels() -> set[str]:
    return {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}


def _is_replayable(migration: Any, tenant_labels: set[str]) -> bool:
    """Shared apps' migrations do nothing in a tenant schema (the router skips them), so they always replay."""
    if migration.app_label not in tenant_labels:
        return True
    return migration.atomic and not any(isinstance(op, RunPython) for op in migration.operations)


def _render(cursor: Any, sql: str, params: Any) -> str:
    if not params:
        return sql
    return psycopg.ClientCursor(cursor.connection).mogrify(sql, params)


class _Recorder:
    """execute_wrapper that keeps every statement that changes something, split at each migration's record row."""

    def __init__(self, replayable: dict[tuple[str, str], bool]) -> None:
        self.replayable = replayable
        self.preamble: list[str] = []
        self.current: list[str] | None = None  # None until django_migrations exists: statements go to the preamble
        self.migrations: list[RecordedMigration] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        result = execute(sql, params, many, context)
        if many or _SKIP.match(sql):
            return result
        if _RECORD_APPLIED.match(sql):
            app, name = params[0], params[1]
            self.migrations.append(
                RecordedMigration(app, name, self.replayable[(app, name)], tuple(self.current or ()))
            )
            self.current = []
        else:
            (self.preamble if self.current is None else self.current).append(_render(context["cursor"], sql, params))
        return result


def record(schema_name: str = settings.TENANT_TEMPLATE_SCHEMA) -> SchemaScript:
    """(Re)build `schema_name` with Django's migrations and return the statements they ran. Slow: seconds."""
    quoted = quote_schema(schema_name)
    executor = MigrationExecutor(connection)
    labels = _tenant_app_labels()
    recorder = _Recorder({key: _is_replayable(m, labels) for key, m in executor.loader.graph.nodes.items()})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE; CREATE SCHEMA {quoted}")
    try:
        with connection.execute_wrapper(recorder):
            connection.set_schema(schema_name, include_public=False)  # as django-tenants does before migrating
            MigrationRecorder(connection).ensure_schema()
            recorder.current = []
            connection.set_schema(schema_name)
            executor = MigrationExecutor(connection)
            targets = executor.loader.graph.leaf_nodes()
            executor.migrate(targets, plan=executor.migration_plan(targets))
    finally:
        connection.set_schema_to_public()
    shape = shape_digest(schema_describe(schema_name))
    with connection.cursor() as cursor:
        # The script and its shape are what we keep; a lingering template would hold FKs into public tables.
        cursor.execute(f"DROP SCHEMA {quoted} CASCADE")
    return SchemaScript(migration_fingerprint(), tuple(recorder.preamble), tuple(recorder.migrations), shape)


def _to_json(script: SchemaScript) -> dict[str, Any]:
    return {
        "shape": script.shape,
        "preamble": list(script.preamble),
        "migrations": [
            {"app": m.app, "name": m.name, "replayable": m.replayable, "statements": list(m.statements)}
            for m in script.migrations
        ],
    }


def _from_json(fingerprint: str, data: dict[str, Any]) -> SchemaScript:
    migrations = tuple(
        RecordedMigration(m["app"], m["name"], m["replayable"], tuple(m["statements"])) for m in data["migrations"]
    )
    return SchemaScript(fingerprint, tuple(data["preamble"]), migrations, data["shape"])


def script_store(script: SchemaScript) -> None:
    TenantSchemaScript.objects.update_or_create(
        fingerprint=script.fingerprint, defaults={"migrations": _to_json(script)}
    )


@cache
def _cached_script(fingerprint: str) -> SchemaScript | None:
    row = TenantSchemaScript.objects.filter(fingerprint=fingerprint).values_list("migrations", flat=True).first()
    # A script stored before shapes were kept is recorded again: without a shape no copy can be verified.
    return _from_json(fingerprint, row) if row is not None and "shape" in row else None


@cache
def _current_fingerprint() -> str:
    return migration_fingerprint()  # migrations do not change while a process runs


def current_script(*, build_if_missing: bool = True) -> SchemaScript | None:
    """The script for the code's migration graph: cached per process, recorded on first need."""
    fingerprint = _current_fingerprint()
    script = _cached_script(fingerprint)
    if script is None and build_if_missing:
        with transaction.atomic():
            script = record()
            script_store(script)
        _cached_script.cache_clear()
    return script


def current_script_forget() -> None:
    """Drop this process's cached script, so the next current_script() reads the stored one again."""
    _cached_script.cache_clear()


def replay_sql(schema_name: str, migrations: list[RecordedMigration], *, preamble: tuple[str, ...] = ()) -> str:
    """One SQL text that applies `migrations` to `schema_name` and records them as applied."""
    quoted = quote_schema(schema_name)
    parts = [f"SET LOCAL search_path TO {quoted}, public", *preamble]
    for migration in migrations:
        parts.extend(migration.statements)
    if migrations:
        rows = ", ".join("({}, {}, now())".format(*(psycopg.sql.quote(v) for v in (m.app, m.name))) for m in migrations)
        parts.append(f'INSERT INTO "django_migrations" ("app", "name", "applied") VALUES {rows}')
    parts.append("SET LOCAL search_path TO public")
    return ";\n".join(parts)


def schema_create(schema_name: str, script: SchemaScript) -> float:
    """Create `schema_name` with every tenant table, in the caller's transaction. Returns seconds spent."""
    started = time.perf_counter()
    sql = replay_sql(schema_name, list(script.migrations), preamble=script.preamble)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema(schema_name)};\n{sql}")
    return time.perf_counter() - started


def applied_migrations(schema_names: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Applied (app, name) per schema, read with one query per chunk of schemas."""
    result: dict[str, set[tuple[str, str]]] = {name: set() for name in schema_names}
    for start in range(0, len(schema_names), 200):
        chunk = schema_names[start : start + 200]
        union = " UNION ALL ".join(
            f"SELECT {psycopg.sql.quote(name)}, app, name FROM {quote_schema(name)}.django_migrations" for name in chunk
        )
        with connection.cursor() as cursor:
            cursor.execute(union)
            for schema, app, name in cursor.fetchall():
                result[schema].add((app, name))
    return result
