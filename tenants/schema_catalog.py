"""A schema's structure as plain data, with the schema's own name factored out, to prove two schemas identical."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection

_QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(s)s ORDER BY 1""",
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, numeric_scale, is_identity, identity_generation,
               identity_start, identity_increment
        FROM information_schema.columns WHERE table_schema = %(s)s ORDER BY 1, 3""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, quote_ident(%(s)s) || '.', '')
        FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1, 2""",
    "constraints": """
        SELECT cl.relname, co.conname, co.contype, co.condeferrable, co.condeferred,
               replace(pg_get_constraintdef(co.oid), quote_ident(%(s)s) || '.', '')
        FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = co.connamespace
        WHERE n.nspname = %(s)s ORDER BY 1, 2""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
        FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1""",
    "triggers": """
        SELECT event_object_table, trigger_name, action_timing, event_manipulation, action_statement
        FROM information_schema.triggers WHERE trigger_schema = %(s)s ORDER BY 1, 2, 4""",
}


def schema_describe(schema_name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Tables, columns and types, indexes, constraints, sequences, triggers and the applied migrations (app, name)."""
    described: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for key, sql in _QUERIES.items():
            cursor.execute(sql, {"s": schema_name})
            described[key] = [tuple(row) for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(schema_name)
        cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations ORDER BY app, name")
        described["django_migrations"] = [tuple(row) for row in cursor.fetchall()]
    return described


def shape_digest(described: dict[str, list[tuple[Any, ...]]]) -> str:
    """One hash of a schema_describe result: two schemas have the same digest iff they describe the same."""
    return hashlib.sha256(repr(sorted(described.items())).encode()).hexdigest()
