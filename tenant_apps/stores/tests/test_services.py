"""Store and branch writes: validated input, an outbox event with every customer-visible change."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.stores.services import StoresError, StoresErrorCode, branch_create, branch_update, store_create


@pytest.fixture
def schema(make_merchant):
    merchant = make_merchant(slug="stores-svc")
    with schema_context(merchant.schema_name):
        yield merchant.schema_name


def _branch(store, **extra):
    fields = {"name": "Liberty", "address": "Liberty Market", "latitude": "31.5100", "longitude": "74.3400", **extra}
    return branch_create(store=store, **fields)


def test_branch_with_hours_exceptions_and_delivery_terms(schema):
    store = store_create(name="Fresh Mart")
    branch = _branch(
        store,
        opening_hours={"mon": [["09:00", "13:00"], ["14:00", "22:00"]], "fri": [["14:30", "23:00"]]},
        hours_exceptions={"2026-12-25": [], "2026-12-31": [["10:00", "16:00"]]},
        offers_delivery=True,
        delivery_radius_km="4.5",
        delivery_fee="150",
        delivery_min_order="1000",
        offers_partner_delivery=True,
    )
    assert branch.hours_exceptions["2026-12-25"] == []
    assert (branch.delivery_fee, branch.delivery_min_order) == (Decimal("150"), Decimal("1000"))
    events = list(OutboxEvent.objects.values_list("entity", "entity_id"))
    assert (Entity.STORE, store.pk) in events and (Entity.BRANCH, branch.pk) in events


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"latitude": "95"}, StoresErrorCode.LOCATION_INVALID, "latitude"),
        ({"longitude": "abc"}, StoresErrorCode.LOCATION_INVALID, "longitude"),
        ({"opening_hours": {"mon": [["22:00", "09:00"]]}}, StoresErrorCode.HOURS_INVALID, "opening_hours"),
        ({"opening_hours": {"funday": [["09:00", "10:00"]]}}, StoresErrorCode.HOURS_INVALID, "opening_hours"),
        ({"opening_hours": {"mon": [["9am", "5pm"]]}}, StoresErrorCode.HOURS_INVALID, "opening_hours"),
        ({"hours_exceptions": {"25/12": []}}, StoresErrorCode.HOURS_INVALID, "hours_exceptions"),
        ({"delivery_fee": "-1"}, StoresErrorCode.DELIVERY_INVALID, "delivery_fee"),
        ({"name": "x"}, StoresErrorCode.NAME_INVALID, "name"),
    ],
)
def test_bad_branch_input_changes_nothing(schema, changes, code, field):
    branch = _branch(store_create(name="Corner Shop"))
    before = OutboxEvent.objects.count()
    with pytest.raises(StoresError) as caught:
        branch_update(branch=branch, **changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert OutboxEvent.objects.count() == before
    branch.refresh_from_db()
    assert branch.latitude == Decimal("31.510000")


def test_duplicate_store_name_is_a_conflict(schema):
    store_create(name="Bakers Inn")
    with pytest.raises(StoresError) as caught:
        store_create(name="Bakers Inn")
    assert caught.value.code == StoresErrorCode.SLUG_TAKEN
