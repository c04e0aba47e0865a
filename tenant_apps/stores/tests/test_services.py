"""Store and branch writes: validated input, an outbox event with every customer-visible change."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from django_tenants.utils import schema_context

from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.staff.models import AuditEntry, Membership
from tenant_apps.stores import services
from tenant_apps.stores.hours_form import hours_form_from_branch, hours_form_from_post, hours_from_form
from tenant_apps.stores.services import (
    StoresError,
    StoresErrorCode,
    branch_create,
    branch_delivery_set,
    branch_hours_set,
    branch_update,
    store_close,
    store_create,
    store_logo_remove,
    store_logo_set,
    store_reopen,
    store_update,
)


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


# ---- stores: slugs, close/reopen, logo, audit ----------------------------------------------------------------------


def test_a_store_slug_comes_from_its_name_and_stays_unique(schema):
    first = store_create(name="Bakers' Inn")
    second = store_create(name="Bakers Inn!")  # another name, the same slug
    third = store_create(name="بیکری")  # no Latin letters
    assert (first.slug, second.slug, third.slug) == ("bakers-inn", "bakers-inn-2", "store")


def test_a_rename_keeps_the_slug_so_links_keep_working(schema):
    store = store_create(name="Corner Shop")
    store = store_update(store=store, name="Corner Shop & Bakery")
    assert (store.name, store.slug) == ("Corner Shop & Bakery", "corner-shop")


def test_a_rename_to_another_stores_name_is_a_conflict_and_changes_nothing(schema):
    store_create(name="Fresh Mart")
    other = store_create(name="Daily Needs")
    with pytest.raises(StoresError) as caught:
        store_update(store=other, name="fresh mart")
    assert caught.value.code == StoresErrorCode.SLUG_TAKEN
    other.refresh_from_db()
    assert other.name == "Daily Needs"


def test_closing_and_reopening_a_store_is_told_to_the_marketplace_and_audited(schema):
    owner = Membership.objects.get(role="merchant")
    store = store_create(name="Fresh Mart", by=owner)
    before = OutboxEvent.objects.filter(entity=Entity.STORE, entity_id=store.pk).count()
    store = store_close(store=store, by=owner)
    assert not store.is_active
    store_close(store=store, by=owner)  # again: nothing to do, nothing written
    store = store_reopen(store=store, by=owner)
    assert store.is_active
    assert OutboxEvent.objects.filter(entity=Entity.STORE, entity_id=store.pk).count() == before + 2
    actions = list(AuditEntry.objects.filter(target_type="store").order_by("id").values_list("action", flat=True))
    assert actions == ["store.created", "store.closed", "store.reopened"]
    closed = AuditEntry.objects.get(action="store.closed")
    assert closed.actor_id == owner.user_id
    assert closed.store_id == store.pk
    assert (closed.data["before"], closed.data["after"]) == ({"is_active": True}, {"is_active": False})


def test_a_closed_store_gets_no_new_branch(schema):
    store = store_close(store=store_create(name="Fresh Mart"))
    with pytest.raises(StoresError) as caught:
        _branch(store)
    assert caught.value.code == StoresErrorCode.STORE_CLOSED


def test_a_new_logo_replaces_the_old_one_which_is_destroyed_after_commit(schema, monkeypatch):
    destroyed = []
    monkeypatch.setattr(services, "assets_destroy_on_commit", lambda *, public_ids: destroyed.extend(public_ids))
    store = store_create(name="Fresh Mart")
    store = store_logo_set(store=store, public_id=f"merchants/{schema}/stores/logo-1")
    store = store_logo_set(store=store, public_id=f"merchants/{schema}/stores/logo-2")
    assert store.logo_public_id == f"merchants/{schema}/stores/logo-2"
    assert destroyed == [f"merchants/{schema}/stores/logo-1"]
    store = store_logo_remove(store=store)
    assert store.logo_public_id == "" and destroyed[-1] == f"merchants/{schema}/stores/logo-2"


@pytest.mark.parametrize("public_id", ["", "merchants/m_someone_else/stores/logo", "elsewhere/logo"])
def test_a_logo_from_outside_this_merchants_folder_is_refused(schema, public_id):
    store = store_create(name="Fresh Mart")
    with pytest.raises(StoresError) as caught:
        store_logo_set(store=store, public_id=public_id)
    assert caught.value.code == StoresErrorCode.LOGO_INVALID
    store.refresh_from_db()
    assert store.logo_public_id == ""


# ---- branches: the pin, delivery terms, hours ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"latitude": "24.86", "longitude": "67.00"}, StoresErrorCode.LOCATION_OUTSIDE_CITY, "latitude"),  # Karachi
        ({"latitude": "0", "longitude": "0"}, StoresErrorCode.LOCATION_OUTSIDE_CITY, "latitude"),
        ({"latitude": ""}, StoresErrorCode.LOCATION_MISSING, "latitude"),
        ({"phone": "12"}, StoresErrorCode.PHONE_INVALID, "phone"),
        ({"address": ""}, StoresErrorCode.ADDRESS_INVALID, "address"),
        (
            {"offers_delivery": True, "delivery_radius_km": "0"},
            StoresErrorCode.DELIVERY_RADIUS_MISSING,
            "delivery_radius_km",
        ),
        (
            {"offers_delivery": True, "delivery_radius_km": "80"},
            StoresErrorCode.DELIVERY_RADIUS_TOO_FAR,
            "delivery_radius_km",
        ),
        ({"offers_pickup": False, "offers_delivery": False}, StoresErrorCode.NOTHING_OFFERED, "offers_pickup"),
        (
            {"opening_hours": {"mon": [["09:00", "14:00"], ["13:00", "20:00"]]}},
            StoresErrorCode.HOURS_OVERLAP,
            "opening_hours",
        ),
        ({"hours_exceptions": {"2026-02-30": []}}, StoresErrorCode.HOURS_INVALID, "hours_exceptions"),
    ],
)
def test_a_branch_refuses_what_a_shopkeeper_could_get_wrong(schema, changes, code, field):
    branch = _branch(store_create(name="Corner Shop"))
    before = OutboxEvent.objects.count()
    with pytest.raises(StoresError) as caught:
        branch_update(branch=branch, **changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert OutboxEvent.objects.count() == before
    assert not AuditEntry.objects.filter(target_type="branch", action__in=["branch.updated", "branch.moved"]).exists()


def test_a_bad_day_is_named_in_the_message(schema):
    branch = _branch(store_create(name="Corner Shop"))
    with pytest.raises(StoresError) as caught:
        branch_update(branch=branch, opening_hours={"mon": [["09:00", "21:00"]], "tue": [["21:00", "09:00"]]})
    assert caught.value.message.startswith("Tuesday: ") and caught.value.extra == {"at": "tue"}


def test_moving_a_branch_republishes_it_and_records_where_from(schema):
    owner = Membership.objects.get(role="merchant")
    branch = _branch(store_create(name="Corner Shop"))
    before = OutboxEvent.objects.filter(entity=Entity.BRANCH, entity_id=branch.pk).count()
    branch = branch_update(branch=branch, by=owner, latitude="31.520300", longitude="74.347000")
    assert OutboxEvent.objects.filter(entity=Entity.BRANCH, entity_id=branch.pk).count() == before + 1
    moved = AuditEntry.objects.get(action="branch.moved")
    assert moved.data["before"] == {"latitude": "31.510000", "longitude": "74.340000"}
    assert moved.data["after"] == {"latitude": "31.520300", "longitude": "74.347000"}
    assert (moved.store_id, moved.branch_id, moved.actor_id) == (
        branch.store_id,
        branch.pk,
        owner.user_id,
    )


def test_saving_the_same_values_writes_nothing(schema):
    branch = _branch(store_create(name="Corner Shop"))
    before = (OutboxEvent.objects.count(), AuditEntry.objects.count())
    branch_update(branch=branch, name="Liberty", latitude="31.51", longitude="74.34")
    assert (OutboxEvent.objects.count(), AuditEntry.objects.count()) == before


def test_hours_and_delivery_are_saved_together_and_audited(schema):
    branch = _branch(store_create(name="Corner Shop"))
    hours = {"mon": [["14:00", "22:00"], ["09:00", "13:00"]], "sun": [["00:00", "24:00"]]}
    branch = branch_hours_set(branch=branch, opening_hours=hours, hours_exceptions={"2026-12-25": []})
    assert branch.opening_hours == {"mon": [["09:00", "13:00"], ["14:00", "22:00"]], "sun": [["00:00", "24:00"]]}
    branch = branch_delivery_set(
        branch=branch,
        offers_pickup=False,
        offers_delivery=True,
        delivery_radius_km="3.5",
        delivery_fee="150",
        delivery_min_order="1,000",
        offers_partner_delivery=True,
    )
    assert (branch.delivery_radius_km, branch.delivery_min_order) == (Decimal("3.50"), Decimal("1000.00"))
    assert list(AuditEntry.objects.filter(target_type="branch").order_by("id").values_list("action", flat=True)) == [
        "branch.created",
        "branch.hours_set",
        "branch.updated",
    ]


# ---- the hours page's form ------------------------------------------------------------------------------------------


def test_the_hours_form_round_trips_a_week_with_a_break_a_24_hour_day_and_exceptions():
    hours = {"mon": [["09:00", "13:00"], ["14:00", "24:00"]], "fri": [["00:00", "24:00"]]}
    exceptions = {"2026-12-25": [], "2026-12-31": [["10:00", "16:00"]]}
    form = hours_form_from_branch(hours, exceptions)
    assert [d.mode for d in form.days] == ["open", "closed", "closed", "closed", "24h", "closed", "closed"]
    assert form.days[0].close2 == "00:00"  # midnight, as a time input shows it
    assert hours_from_form(form) == (hours, exceptions)


def test_the_hours_form_keeps_what_was_typed():
    data = QueryDict(mutable=True)
    data.update({"tue_mode": "open", "tue_open1": "21:00", "tue_close1": "09:00"})
    data.setlist("exc_date", ["2026-12-25", ""])
    data.setlist("exc_mode", ["open", "closed"])
    data.setlist("exc_open1", ["", ""])
    data.setlist("exc_close1", ["", ""])
    form = hours_form_from_post(data)
    assert (form.days[1].open1, form.days[1].close1) == ("21:00", "09:00")
    assert [(e.date, e.mode) for e in form.exceptions] == [("2026-12-25", "open"), ("", "closed")]
    hours, exceptions = hours_from_form(form)
    assert hours == {"tue": [["21:00", "09:00"]]} and exceptions == {"2026-12-25": [["", ""]]}
