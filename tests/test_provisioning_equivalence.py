"""The fast path (replayed DDL) must build exactly what django-tenants' migrate_schemas builds."""

import pytest
from django.db import connection

from tenants import schema_replay, schema_spares
from tenants.migrate_fast import tenants_migrate
from tenants.models import Domain, Merchant
from tenants.schema_catalog import schema_describe
from tenants.services import schema_name_for


def _migrate_schemas_merchant(slug: str, owner) -> Merchant:
    merchant = Merchant(name=slug, slug=slug, schema_name=schema_name_for(slug), owner=owner)
    merchant.save()
    Domain.objects.create(domain=f"{slug}.localhost", tenant=merchant, is_primary=True)
    merchant.create_schema(check_if_exists=True, verbosity=0)  # django-tenants: migrate_schemas for this schema
    return merchant


def _drop(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.django_db(transaction=True)
def test_fast_provisioned_schema_equals_migrate_schemas(make_merchant):
    fast = make_merchant(slug="fast-path")
    slow = _migrate_schemas_merchant("migrate-path", fast.owner)
    try:
        fast_shape, slow_shape = schema_describe(fast.schema_name), schema_describe(slow.schema_name)
        assert len(fast_shape["relations"]) > 10, "the tenant schema should hold every tenant table"
        assert fast_shape["django_migrations"], "applied migrations must be recorded"
        for part in slow_shape:
            assert fast_shape[part] == slow_shape[part], f"{part} differ"
    finally:
        _drop(slow.schema_name)
        slow.delete()


@pytest.mark.django_db(transaction=True)
def test_a_merchant_given_a_spare_schema_equals_migrate_schemas(make_merchant):
    """The pool's path: a spare built ahead, verified, then renamed to the merchant's schema by provisioning."""
    assert schema_spares.spares_refill(target=1).built == 1
    pooled = make_merchant(slug="pool-path")
    assert not schema_spares.spares_count(shape=schema_replay.current_script().shape), "the spare was claimed"
    slow = _migrate_schemas_merchant("migrate-path", pooled.owner)
    try:
        assert schema_describe(pooled.schema_name) == schema_describe(slow.schema_name)
    finally:
        _drop(slow.schema_name)
        slow.delete()


@pytest.mark.django_db(transaction=True)
def test_fast_migrate_brings_an_older_schema_to_the_same_state(make_merchant):
    """A schema one migration behind (as after a deploy) is brought forward by replay, identical to a fresh one."""
    reference = make_merchant(slug="reference-shop")
    older = make_merchant(slug="older-shop")
    script = schema_replay.current_script()
    last = next(m for m in reversed(script.migrations) if m.statements)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{older.schema_name}" CASCADE; CREATE SCHEMA "{older.schema_name}"')
        without_last = [m for m in script.migrations if m is not last]
        cursor.execute(schema_replay.replay_sql(older.schema_name, without_last, preamble=script.preamble))
    assert schema_describe(older.schema_name) != schema_describe(reference.schema_name)

    report = tenants_migrate(schemas=[older.schema_name, reference.schema_name])

    assert (report.replayed, report.up_to_date, report.failures) == (1, 1, {})
    assert schema_describe(older.schema_name) == schema_describe(reference.schema_name)
    assert tenants_migrate(schemas=[older.schema_name]).up_to_date == 1  # idempotent
