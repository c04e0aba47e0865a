"""Tenant tables refer to public rows (users, categories) without a database constraint (docs/decisions/0001).

Schemas built before that decision still carry those foreign keys: this drops every constraint from a table of the
current schema to a table of another schema. In a schema built since, it finds none and does nothing."""

from django.db import migrations

DROP_CROSS_SCHEMA_FOREIGN_KEYS = """
DO $$
DECLARE ref record;
BEGIN
    FOR ref IN
        SELECT con.conname, tab.relname
        FROM pg_constraint con
        JOIN pg_class tab ON tab.oid = con.conrelid
        JOIN pg_class target ON target.oid = con.confrelid
        WHERE con.contype = 'f'
          AND tab.relnamespace = current_schema()::regnamespace
          AND target.relnamespace <> tab.relnamespace
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', ref.relname, ref.conname);
    END LOOP;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_auditentry_invitation_and_more"),
        ("catalog", "0002_productmedia_branchprice"),
        ("inventory", "0002_request_hash"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunSQL(DROP_CROSS_SCHEMA_FOREIGN_KEYS, reverse_sql=migrations.RunSQL.noop)]
