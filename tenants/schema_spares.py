"""A pool of spare tenant schemas: a new merchant's schema costs one rename, whatever the number of tenant tables.

Building a tenant schema (replaying every table's DDL and committing it) grows with the tables; renaming a schema
does not, since its tables hang off the schema's oid, not its name. So spares are built ahead, out of any request,
and provisioning claims one:

| step | who | grows with the tables? |
|---|---|---|
| build `_spare_<hex>`: replay, verify, register | beat, `migrate_tenants` | yes, off the request path |
| claim: oldest spare of the current shape, `ALTER SCHEMA ... RENAME` | `merchant_provision`, under its lock | no |
| fallback: replay the script into the new schema | `merchant_provision`, pool empty | yes |
| bring forward: replay the missing tail, verify again or drop | `migrate_tenants`, after a deploy | like a tenant |

Verified means: the spare's `schema_catalog.shape_digest` equals the shape of the template that Django's own
migrations built when the script was recorded (schema_replay.record), so a claimed spare is identical to a migrated
schema — tables, columns, indexes, constraints, sequences, triggers and applied migrations. A spare is registered in
the transaction that builds it, so nobody can claim one half-built; a claim rolled back puts the name and the row
back. Spares are not merchants: no Merchant row or Domain points at one, so no host resolves to it and no list,
count or `tenant_schemas()` includes it.

Building a spare creates foreign keys into public tables (SHARE ROW EXCLUSIVE on them until it commits) without the
provisioning lock: a claim takes no lock stronger than ROW EXCLUSIVE on public tables and waits at worst for one
build's commit, and a fallback provisioning runs the same DDL in the same order, so neither can deadlock with it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from tenants import schema_replay
from tenants.migrate_fast import tenants_migrate
from tenants.models import TenantSchemaSpare
from tenants.schema_catalog import schema_describe, shape_digest

logger = logging.getLogger(__name__)

SPARE_PREFIX = "_spare_"  # merchant schemas are m_<slug>: a spare's name can never be a merchant's
FILLING_LOCK_KEY = 7_301_002  # pg advisory lock id: one filler at a time (beat and a deploy may overlap)

_CLAIM = f"""
    DELETE FROM {TenantSchemaSpare._meta.db_table} WHERE id = (
        SELECT s.id FROM {TenantSchemaSpare._meta.db_table} s JOIN pg_namespace n ON n.nspname = s.schema_name
        WHERE s.shape = %s ORDER BY s.id LIMIT 1 FOR UPDATE OF s SKIP LOCKED
    ) RETURNING schema_name"""


@dataclass(frozen=True)
class SparesReport:
    built: int = 0
    brought_forward: int = 0
    dropped: int = 0


class _NotIdentical(Exception):
    """A freshly built spare does not match the template's shape: its transaction is rolled back."""


def spare_build(*, script: schema_replay.SchemaScript) -> str | None:
    """Build one spare from `script`, verify it and register it, in one transaction of its own. Returns its name,
    or None (logged, nothing left behind) when it does not match the template's shape."""
    name = SPARE_PREFIX + secrets.token_hex(8)
    try:
        with transaction.atomic():
            schema_replay.schema_create(name, script)
            if shape_digest(schema_describe(name)) != script.shape:
                raise _NotIdentical(name)
            TenantSchemaSpare.objects.create(schema_name=name, shape=script.shape)
    except _NotIdentical:
        logger.error("spare schema %s does not match the migrated template: not kept", name)
        return None
    return name


def spare_claim(*, schema_name: str, shape: str) -> bool:
    """Rename the oldest verified spare of `shape` to `schema_name`, in the caller's transaction. False when none
    is free (none of this shape, or all taken by concurrent claims): the caller builds the schema itself."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [shape])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(
            f"ALTER SCHEMA {schema_replay.quote_schema(row[0])} RENAME TO {schema_replay.quote_schema(schema_name)}"
        )
    return True


def spares_count(*, shape: str) -> int:
    return TenantSchemaSpare.objects.filter(shape=shape).count()


def spares_refill(*, target: int | None = None) -> SparesReport:
    """Build spares of the current shape until there are `target` (default TENANT_SPARE_SCHEMAS). Each spare is
    committed on its own, so provisioning can claim the first while the next is built. Does nothing while another
    filler runs. Idempotent."""
    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    script = schema_replay.current_script()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [FILLING_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return SparesReport()
    built = 0
    try:
        for _ in range(max(0, target - spares_count(shape=script.shape))):
            built += spare_build(script=script) is not None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [FILLING_LOCK_KEY])
    return SparesReport(built=built)


def spares_bring_forward() -> SparesReport:
    """After a deploy: migrate every spare of an older shape like a tenant (replayed tail), verify it against the
    current template and register its new shape; drop the ones that fail either step."""
    script = schema_replay.current_script()
    stale = dict(TenantSchemaSpare.objects.exclude(shape=script.shape).values_list("schema_name", "pk"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [list(stale)])
        existing = {name for (name,) in cursor.fetchall()}
    vanished = TenantSchemaSpare.objects.filter(pk__in=[pk for name, pk in stale.items() if name not in existing])
    dropped = vanished.delete()[0]  # a schema dropped by hand leaves a row that could never be claimed
    stale = {name: pk for name, pk in stale.items() if name in existing}
    if not stale:
        return SparesReport(dropped=dropped)
    report = tenants_migrate(schemas=list(stale))
    forward = 0
    for name, pk in stale.items():
        with transaction.atomic():
            if not TenantSchemaSpare.objects.select_for_update(skip_locked=True).filter(pk=pk).exists():
                continue  # another deploy's run has it
            if name not in report.failures and shape_digest(schema_describe(name)) == script.shape:
                TenantSchemaSpare.objects.filter(pk=pk).update(shape=script.shape)
                forward += 1
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {schema_replay.quote_schema(name)} CASCADE")
            TenantSchemaSpare.objects.filter(pk=pk).delete()
            dropped += 1
            logger.error("spare schema %s could not be brought forward: dropped", name)
    return SparesReport(brought_forward=forward, dropped=dropped)
