import dataclasses

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenant_apps.staff.models import Membership, Role
from tenants import schema_replay, schema_spares
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.migrate_fast import tenant_schemas
from tenants.models import Merchant, TenantSchemaSpare
from tenants.schema_catalog import schema_describe, shape_digest
from tenants.selectors import merchants_all
from tenants.services import merchant_provision
from tenants.tests.provisioning_race import provisionings_raced


def _spare_names() -> list[str]:
    return list(TenantSchemaSpare.objects.order_by("pk").values_list("schema_name", flat=True))


def test_a_built_spare_is_verified_registered_and_never_a_merchant(db):
    report = schema_spares.spares_refill(target=2)
    spares = _spare_names()
    assert report.built == 2 and len(spares) == 2
    script = schema_replay.current_script()
    for name in spares:
        assert name.startswith(schema_spares.SPARE_PREFIX) and schema_exists(name)
        assert shape_digest(schema_describe(name)) == script.shape
    assert not merchants_all().exists()
    assert not set(spares) & set(tenant_schemas())
    assert schema_spares.spares_refill(target=2).built == 0  # idempotent


def test_provisioning_renames_the_oldest_spare_into_the_merchants_schema(db):
    schema_spares.spares_refill(target=2)
    oldest, newest = _spare_names()

    merchant = merchant_provision(name="Pool Shop", slug="pool-shop", owner_phone="+923001112233")

    assert merchant.schema_name == "m_pool_shop" and schema_exists("m_pool_shop")
    assert not schema_exists(oldest)
    assert _spare_names() == [newest]
    with schema_context(merchant.schema_name):
        membership = Membership.objects.get()
    assert (membership.user_id, membership.role) == (merchant.owner_id, Role.MERCHANT)


def test_a_failed_provisioning_puts_the_claimed_spare_back(db):
    schema_spares.spares_refill(target=1)
    [spare] = _spare_names()
    with pytest.raises(TenantsError) as caught:
        merchant_provision(name="Shop", slug="phoneless", owner_phone="12")
    assert caught.value.code == TenantsErrorCode.PHONE_INVALID
    assert _spare_names() == [spare] and schema_exists(spare)
    assert not schema_exists("m_phoneless")


def test_a_spare_of_another_shape_is_not_claimed(db):
    schema_spares.spares_refill(target=1)
    TenantSchemaSpare.objects.update(shape="0" * 64)  # as if built before the last migration
    merchant = merchant_provision(name="Replay Shop", slug="replay-shop", owner_phone="+923001112244")
    assert schema_exists(merchant.schema_name)
    assert len(_spare_names()) == 1  # the stale spare waits for migrate_tenants


def test_a_spare_that_does_not_match_the_template_is_not_kept(db):
    wrong = dataclasses.replace(schema_replay.current_script(), shape="f" * 64)
    assert schema_spares.spare_build(script=wrong) is None
    assert not TenantSchemaSpare.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\\_spare\\_%%'")
        assert cursor.fetchone()[0] == 0


def test_spares_of_an_older_migration_state_are_brought_forward_and_vanished_ones_forgotten(db):
    script = schema_replay.current_script()
    last = next(m for m in reversed(script.migrations) if m.statements)
    older = schema_spares.SPARE_PREFIX + "older"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{older}"')
        earlier = [m for m in script.migrations if m is not last]
        cursor.execute(schema_replay.replay_sql(older, earlier, preamble=script.preamble))
    TenantSchemaSpare.objects.create(schema_name=older, shape="old")
    TenantSchemaSpare.objects.create(schema_name=schema_spares.SPARE_PREFIX + "vanished", shape="old")

    report = schema_spares.spares_bring_forward()

    assert (report.brought_forward, report.dropped) == (1, 1)
    assert TenantSchemaSpare.objects.get().shape == script.shape
    assert shape_digest(schema_describe(older)) == script.shape


def test_migrate_tenants_refills_the_pool(db):
    call_command("migrate_tenants", spares=2, verbosity=0)
    assert len(_spare_names()) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_provisionings_of_one_slug_claim_one_spare(make_merchant):
    schema_spares.spares_refill(target=3)
    results = provisionings_raced(slug="pool-race", phones="+92300777100")
    assert sorted(results) == ["ok", "slug_taken", "slug_taken", "slug_taken"]
    assert Merchant.objects.filter(slug="pool-race").count() == 1
    assert len(_spare_names()) == 2
    assert all(schema_exists(name) for name in _spare_names())
