"""Bring every tenant schema up to date by replaying recorded SQL (schema_replay); Django's migrate where needed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django_tenants.migration_executors.base import run_migrations

from tenants import schema_replay
from tenants.models import Merchant, MerchantStatus


@dataclass
class MigrateReport:
    schemas: int = 0
    up_to_date: int = 0
    replayed: int = 0
    migrated_slow: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)


def tenant_schemas() -> list[str]:
    return list(
        Merchant.objects.exclude(schema_name="public")
        .exclude(status=MerchantStatus.ARCHIVED)
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def tenants_migrate(
    *, schemas: list[str] | None = None, progress: Callable[[int], None] | None = None
) -> MigrateReport:
    """Apply pending tenant migrations to `schemas` (default: every live tenant). One transaction per schema: a
    failure leaves that schema as it was and is reported; the others go on. Idempotent."""
    started = time.perf_counter()
    script = schema_replay.current_script()
    schemas = tenant_schemas() if schemas is None else schemas
    report = MigrateReport(schemas=len(schemas))
    applied = schema_replay.applied_migrations(schemas)
    for schema in schemas:
        pending = script.pending_for(applied[schema])
        try:
            if not pending:
                report.up_to_date += 1
            elif all(m.replayable for m in pending):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(schema_replay.replay_sql(schema, pending))
                report.replayed += 1
            else:
                run_migrations(
                    args=[],
                    options={"verbosity": 0, "database": "default"},
                    executor_codename="slow",
                    schema_name=schema,
                )
                report.migrated_slow += 1
        except Exception as exc:  # reported per schema; the run goes on
            report.failures[schema] = f"{type(exc).__name__}: {exc}"
        if progress:
            progress(1)
    report.seconds = time.perf_counter() - started
    return report
