import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenant_apps.staff.models import Membership, Role
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Domain, Merchant, MerchantStatus
from tenants.services import (
    merchant_archive,
    merchant_provision,
    merchant_purge,
    merchant_reactivate,
    merchant_suspend,
)
from tenants.tests.provisioning_race import provisionings_raced


def test_provision_creates_schema_domain_and_owner_membership(make_merchant):
    merchant = make_merchant(slug="gulberg-grocers", name="Gulberg Grocers", owner_phone="0300 1234567")
    assert merchant.schema_name == "m_gulberg_grocers"
    assert schema_exists(merchant.schema_name)
    assert Domain.objects.get(tenant=merchant).domain == "gulberg-grocers.localhost"
    assert merchant.owner.phone == "+923001234567"
    with schema_context(merchant.schema_name):
        membership = Membership.objects.get()
    assert (membership.user_id, membership.role) == (merchant.owner_id, Role.MERCHANT)


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("ab", TenantsErrorCode.SLUG_INVALID),
        ("Upper", TenantsErrorCode.SLUG_INVALID),
        ("1shop", TenantsErrorCode.SLUG_INVALID),
        ("shop-", TenantsErrorCode.SLUG_INVALID),
        ("sh--op", TenantsErrorCode.SLUG_INVALID),
        ("shop_1", TenantsErrorCode.SLUG_INVALID),
        ("x" * 41, TenantsErrorCode.SLUG_INVALID),
        ("www", TenantsErrorCode.SLUG_RESERVED),
        ("admin", TenantsErrorCode.SLUG_RESERVED),
        ("api", TenantsErrorCode.SLUG_RESERVED),
        ("static", TenantsErrorCode.SLUG_RESERVED),
    ],
)
def test_bad_slugs_are_rejected_and_change_nothing(db, slug, code):
    before = Merchant.objects.count()
    with pytest.raises(TenantsError) as caught:
        merchant_provision(name="Shop", slug=slug, owner_phone="+923001234567")
    assert caught.value.code == code
    assert caught.value.field == "slug"
    assert Merchant.objects.count() == before


def test_bad_phone_leaves_nothing_behind(db):
    with pytest.raises(TenantsError) as caught:
        merchant_provision(name="Shop", slug="phoneless", owner_phone="12")
    assert caught.value.code == TenantsErrorCode.PHONE_INVALID
    assert not Merchant.objects.filter(slug="phoneless").exists()
    assert not schema_exists("m_phoneless")


def test_taken_slug_is_a_conflict(make_merchant):
    make_merchant(slug="model-town-bakers")
    with pytest.raises(TenantsError) as caught:
        make_merchant(slug="model-town-bakers")
    assert caught.value.code == TenantsErrorCode.SLUG_TAKEN
    assert caught.value.status == 409


@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_of_one_slug_creates_exactly_one(make_merchant):
    make_merchant(slug="warmup-shop")  # records the schema script once, outside the race
    results = provisionings_raced(slug="race-shop", phones="+92300777000")
    try:
        assert sorted(results) == ["ok", "slug_taken", "slug_taken", "slug_taken"]
        assert Merchant.objects.filter(slug="race-shop").count() == 1
        assert schema_exists("m_race_shop")
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA IF EXISTS "m_race_shop" CASCADE')
        Merchant.objects.filter(slug="race-shop").delete()


def test_suspend_closes_the_console_and_reactivate_opens_it(make_merchant, host_client):
    merchant = make_merchant(slug="suspend-me")
    client = host_client("suspend-me.localhost")
    assert client.get("/signin/").status_code == 200
    merchant_suspend(merchant=merchant)
    response = client.get("/signin/")
    assert response.status_code == 403
    assert b"not available right now" in response.content
    with pytest.raises(TenantsError):
        merchant_suspend(merchant=merchant)  # already suspended
    merchant_reactivate(merchant=merchant)
    assert client.get("/signin/").status_code == 200


def test_delete_is_archive_then_purge(make_merchant, host_client):
    merchant = make_merchant(slug="closing-down")
    with pytest.raises(TenantsError) as caught:
        merchant_purge(merchant=merchant)  # never drop a live schema
    assert caught.value.code == TenantsErrorCode.STATE_INVALID

    archived = merchant_archive(merchant=merchant)
    assert archived.status == MerchantStatus.ARCHIVED
    assert not schema_exists("m_closing_down")
    assert schema_exists(archived.schema_name)
    assert host_client("closing-down.localhost").get("/").status_code == 404

    merchant_purge(merchant=archived)
    assert not schema_exists(archived.schema_name)
    assert not Merchant.objects.filter(pk=merchant.pk).exists()
