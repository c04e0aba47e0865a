"""Tenant tables refer to public rows (users, categories) without a database constraint (docs/decisions/0001).

Schemas built before that decision still carry those foreign keys: this drops them. In a schema built since, it
finds none and does nothing."""

from django.db import migrations

# The six tables by name: a catalog-wide search of pg_constraint would cost every schema a scan of every
# schema's constraints, and a deploy runs this once per merchant.
DROP_CROSS_SCHEMA_FOREIGN_KEYS = """
DO $$
DECLARE ref record;
BEGIN
    FOR ref IN
        SELECT con.conname, con.conrelid::regclass AS tab
        FROM pg_constraint con
        WHERE con.conrelid = ANY (ARRAY[
                to_regclass('catalog_product'), to_regclass('inventory_stockmovement'),
                to_regclass('orders_ordertransition'), to_regclass('staff_membership'),
                to_regclass('staff_invitation'), to_regclass('staff_auditentry')
            ]::oid[])
          AND con.contype = 'f'
          AND con.confrelid IN (to_regclass('public.accounts_user'), to_regclass('public.categories_category'))
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', ref.tab, ref.conname);
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
