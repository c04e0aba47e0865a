"""A tenant schema with more tables than today's, for measuring how provisioning and migrations grow with it.

`wide_schema_install(copies=1)` stores, as the code's current schema script, today's script plus `copies` copies of
every tenant table: each tenant migration's recorded statements again, with every name they define (tables, indexes,
constraints) prefixed `w<k>_`, as migrations of a pseudo app `wide_schema` placed right after the original. A copy
keeps its columns, indexes, checks, identity columns and foreign keys — to its sibling copies and to the same public
tables (accounts_user, categories_category) — so `copies=1` gives a schema twice as wide, shaped like today's.
The real tenant migrations stay where they were: "the last tenant migration" of a migrations benchmark is still a
real one, now pending in schemas twice as wide.

Everything that builds tenant schemas reads the current script, so after installing it merchant_provision (pool and
fallback), spares_refill and tenants_migrate all work on the wide schema. Django has no models for the copies, so the
shape spares are verified against is that of a schema replayed from the widened script (built once, then dropped).

Benchmarks only, on their own database, after the shared apps are migrated:

    from benchmarks.wide_schema import wide_schema_install
    script = wide_schema_install(copies=1)
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from tenants import schema_replay
from tenants.schema_catalog import schema_describe, shape_digest

WIDE_APP = "wide_schema"
_DEFINED = re.compile(
    r'CREATE TABLE "(\w+)"|CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?"(\w+)"|CONSTRAINT "(\w+)"'
)
_QUOTED = re.compile(r'"(\w+)"')
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers, which could make two copied names collide


def _copied_name(name: str, prefix: str) -> str:
    copied = prefix + name
    if len(copied) <= _MAX_NAME:
        return copied
    return f"{copied[: _MAX_NAME - 9]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def script_widen(script: schema_replay.SchemaScript, *, copies: int = 1) -> schema_replay.SchemaScript:
    """`script` with `copies` copies of every tenant table (see the module docstring); shape not yet set."""
    tenant_labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    narrow = [m for m in script.migrations if m.app != WIDE_APP]  # widening a wide script starts from its own
    tenant_migrations = [m for m in narrow if m.app in tenant_labels and m.statements]
    defined = {
        name
        for migration in tenant_migrations
        for statement in migration.statements
        for match in _DEFINED.finditer(statement)
        for name in match.groups()
        if name
    }
    widened: list[schema_replay.RecordedMigration] = []
    for migration in narrow:
        widened.append(migration)
        if migration not in tenant_migrations:
            continue
        for k in range(1, copies + 1):
            prefix = f"w{k}_"

            def rename(match: re.Match[str], prefix: str = prefix) -> str:
                name = match.group(1)
                return f'"{_copied_name(name, prefix)}"' if name in defined else match.group(0)

            statements = tuple(_QUOTED.sub(rename, statement) for statement in migration.statements)
            widened.append(
                schema_replay.RecordedMigration(
                    WIDE_APP, f"{prefix}{migration.app}_{migration.name}", migration.replayable, statements
                )
            )
    return dataclasses.replace(script, migrations=tuple(widened), shape="")


def wide_schema_install(*, copies: int = 1) -> schema_replay.SchemaScript:
    """Store the widened script as the current one (this process and every process started after), with the shape
    of a schema replayed from it. Spares of the narrow shape stay unclaimable: their shape no longer matches."""
    narrow = schema_replay.current_script()
    wide = script_widen(narrow, copies=copies)
    reference = "_wide_reference"
    with transaction.atomic():
        schema_replay.schema_create(reference, wide)
        wide = dataclasses.replace(wide, shape=shape_digest(schema_describe(reference)))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema_replay.quote_schema(reference)} CASCADE")
        schema_replay.script_store(wide)
    schema_replay.current_script_forget()
    return schema_replay.current_script(build_if_missing=False) or wide


def tenant_table_count(script: schema_replay.SchemaScript) -> int:
    """Tables a schema built from `script` holds, django_migrations aside."""
    return sum(statement.startswith("CREATE TABLE") for m in script.migrations for statement in m.statements)
