"""Stores and branches set up from the console, by the API and the pages: bad input is a 4xx with the envelope (API)
or the form again with what was typed and the message (pages), and changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenant_apps.staff.models import AuditEntry
from tenant_apps.stores import services, views
from tenant_apps.stores.models import Branch, Store
from tenant_apps.stores.services import branch_create, store_create
from tests.console_clients import console_api_client, console_page_client

LIBERTY = {"latitude": "31.510200", "longitude": "74.344300"}


@pytest.fixture
def shop(make_merchant):
    return make_merchant(slug="setup-shop", name="Setup Shop")


def _in(merchant, read):
    with schema_context(merchant.schema_name):
        return read()


def _stores(merchant) -> list[tuple]:
    return _in(merchant, lambda: list(Store.objects.order_by("pk").values_list("name", "phone", "is_active")))


# ---- API ------------------------------------------------------------------------------------------------------------


def test_the_api_creates_renames_closes_and_reopens_a_store(shop):
    api = console_api_client(shop, shop.owner)
    created = api.post("/api/v1/console/stores", {"name": "Gulberg Fresh Mart"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slug"], body["is_active"], body["logo_url"]) == ("gulberg-fresh-mart", True, "")
    url = f"/api/v1/console/stores/{body['id']}"
    renamed = api.patch(url, {"name": "Fresh Mart", "phone": "+92 42 3576 1234"}, content_type="application/json")
    assert renamed.json()["name"] == "Fresh Mart" and renamed.json()["slug"] == "gulberg-fresh-mart"
    assert api.patch(url, {"is_active": False}, content_type="application/json").json()["is_active"] is False
    assert api.patch(url, {"is_active": True}, content_type="application/json").json()["is_active"] is True
    listed = api.get("/api/v1/console/stores").json()
    assert [(s["name"], s["branch_count"]) for s in listed] == [("Fresh Mart", 0)]
    actions = _in(shop, lambda: list(AuditEntry.objects.order_by("id").values_list("action", "actor_id")))
    assert [a for a, _ in actions if a.startswith("store.")] == [
        "store.created",
        "store.updated",
        "store.closed",
        "store.reopened",
    ]
    assert {actor for _, actor in actions} == {shop.owner.pk}


BAD_CREATES = [
    ({}, 400, "invalid", "name"),
    ({"name": "x"}, 400, "name_invalid", "name"),
    ({"name": "   "}, 400, "name_invalid", "name"),
    ({"name": "Fresh Mart", "phone": "call me"}, 400, "phone_invalid", "phone"),
    ({"name": "Fresh Mart", "description": "x" * 2001}, 400, "text_too_long", "description"),
    ({"name": "taken store"}, 409, "store_slug_taken", "name"),
    ({"name": ["a", "list"]}, 400, "invalid", "name"),
]
BAD_PATCHES = [
    ({"name": ""}, 400, "name_invalid", "name"),
    ({"phone": "12"}, 400, "phone_invalid", "phone"),
    ({"is_active": "perhaps"}, 400, "invalid", "is_active"),
    ({"name": "Taken Store"}, 409, "store_slug_taken", "name"),
]


def test_bad_store_input_is_an_envelope_and_changes_nothing(shop):
    _in(shop, lambda: store_create(name="Taken Store"))
    mine = _in(shop, lambda: store_create(name="My Store", phone="04235761234"))
    api = console_api_client(shop, shop.owner)
    before = _stores(shop)
    for body, status, code, field in BAD_CREATES:
        response = api.post("/api/v1/console/stores", body, content_type="application/json")
        assert response.status_code == status, (body, response.content)
        assert response.json()["code"] == code and response.json()["field"] == field, body
        assert set(response.json()) >= {"code", "message", "field"}
    for body, status, code, field in BAD_PATCHES:
        response = api.patch(f"/api/v1/console/stores/{mine.pk}", body, content_type="application/json")
        assert (response.status_code, response.json()["code"], response.json()["field"]) == (status, code, field)
    assert (
        api.patch("/api/v1/console/stores/999999", {"name": "Ghost"}, content_type="application/json").json()["code"]
        == "not_found"
    )
    assert _stores(shop) == before


def test_the_store_routes_are_described_in_the_openapi(shop, host_client):
    spec = host_client(f"{shop.slug}.localhost").get("/api/v1/console/openapi.json").json()
    create = spec["paths"]["/api/v1/console/stores"]["post"]
    patch = spec["paths"]["/api/v1/console/stores/{store_id}"]["patch"]
    assert {"201", "400", "403", "409"} <= set(create["responses"])
    assert {"200", "400", "404", "409"} <= set(patch["responses"])
    assert "slug" in create["description"]


# ---- pages ----------------------------------------------------------------------------------------------------------


def test_the_new_store_form_keeps_what_was_typed_when_the_name_is_missing(shop):
    client = console_page_client(shop, shop.owner)
    response = client.post("/stores/new/", {"name": "", "description": "Fresh dates", "phone": "0423"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in page and "Fresh dates" in page and 'value="0423"' in page
    assert _stores(shop) == []
    created = client.post("/stores/new/", {"name": "Dates Corner", "description": "Fresh dates"})
    store_id = _in(shop, lambda: Store.objects.get().pk)
    assert created.status_code == 302 and created["Location"] == f"/stores/{store_id}/?created=1"


def test_a_merchant_without_a_store_is_sent_to_create_one_first(shop):
    page = console_page_client(shop, shop.owner).get("/branches/new/").content.decode()
    assert "Create your store first" in page and 'href="/stores/new/"' in page
    assert 'name="latitude"' not in page


def test_with_one_store_the_new_branch_form_has_it_chosen_and_a_map_not_coordinates(shop):
    store = _in(shop, lambda: store_create(name="Dates Corner"))
    page = console_page_client(shop, shop.owner).get("/branches/new/").content.decode()
    assert f'<option value="{store.pk}" selected>' in page
    assert 'type="hidden" id="branch-map-lat" name="latitude"' in page
    assert 'data-area-select="b-area"' in page and 'data-lat="31.5102"' in page  # Gulberg III re-centres the map


def test_a_pin_outside_the_city_is_refused_and_the_form_keeps_everything(shop):
    store = _in(shop, lambda: store_create(name="Dates Corner"))
    client = console_page_client(shop, shop.owner)
    form = {
        "store_id": store.pk,
        "name": "Liberty",
        "area": "Gulberg III",
        "address": "Shop 4, Liberty Market",
        "phone": "042 3576 1234",
        "latitude": "24.860700",
        "longitude": "67.001100",
    }
    response = client.post("/branches/new/", form)
    page = response.content.decode()
    assert response.status_code == 400 and "outside the cities Planckly serves" in page
    assert 'value="Shop 4, Liberty Market"' in page and 'value="24.860700"' in page
    assert '<option value="Gulberg III" data-lat="31.5102" data-lng="74.3443" selected>' in page
    assert _in(shop, lambda: Branch.objects.count()) == 0
    created = client.post("/branches/new/", {**form, **LIBERTY})
    branch = _in(shop, lambda: Branch.objects.get())
    assert created["Location"] == f"/branches/{branch.pk}/hours/?new=1"
    assert (branch.area, str(branch.latitude), branch.city) == ("Gulberg III", "31.510200", "Lahore")


def test_the_hours_page_saves_the_week_and_shows_a_bad_day_again(shop):
    branch = _in(
        shop,
        lambda: branch_create(
            store=store_create(name="Dates Corner"), name="Liberty", address="Liberty Market", **LIBERTY
        ),
    )
    client = console_page_client(shop, shop.owner)
    url = f"/branches/{branch.pk}/hours/"
    week = {f"{d}_mode": "open" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    week |= {f"{d}_open1": "10:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    week |= {f"{d}_close1": "00:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    bad = {**week, "fri_open2": "13:00", "fri_close2": "12:00", "exc_date": "2026-12-25", "exc_mode": "closed"}
    response = client.post(url, bad)
    page = response.content.decode()
    assert response.status_code == 400 and "Friday: " in page and 'value="13:00"' in page
    assert _in(shop, lambda: Branch.objects.get().opening_hours) == {}  # unchanged: created without hours
    saved = client.post(url, {**week, "sun_mode": "closed", "exc_date": "2026-12-25", "exc_mode": "closed"})
    assert saved.status_code == 302
    branch = _in(shop, lambda: Branch.objects.get())
    assert branch.opening_hours["mon"] == [["10:00", "24:00"]] and "sun" not in branch.opening_hours
    assert branch.hours_exceptions == {"2026-12-25": []}


def test_the_delivery_page_needs_a_radius_for_own_riders_and_changes_nothing_without_one(shop):
    branch = _in(
        shop,
        lambda: branch_create(
            store=store_create(name="Dates Corner"), name="Liberty", address="Liberty Market", **LIBERTY
        ),
    )
    client = console_page_client(shop, shop.owner)
    url = f"/branches/{branch.pk}/delivery/"
    response = client.post(url, {"offers_delivery": "on", "delivery_radius_km": "", "delivery_fee": "150"})
    page = response.content.decode()
    assert response.status_code == 400 and "needs a radius" in page and 'value="150"' in page
    assert _in(shop, lambda: Branch.objects.get().offers_delivery) is False
    saved = client.post(
        url,
        {"offers_pickup": "on", "offers_delivery": "on", "delivery_radius_km": "3", "delivery_fee": "150"},
    )
    assert saved.status_code == 302
    branch = _in(shop, lambda: Branch.objects.get())
    assert (branch.offers_delivery, str(branch.delivery_radius_km), str(branch.delivery_fee)) == (
        True,
        "3.00",
        "150.00",
    )


def test_a_logo_is_uploaded_to_the_merchants_stores_folder_and_replaced(shop, monkeypatch):
    """The upload itself is the media app's (tested there against the Cloudinary sandbox): here, where it goes and
    what the store keeps."""
    uploads = []

    def upload(*, file, filename, folder, tenant_schema, resource_type):
        uploads.append((filename, folder, resource_type))
        return SimpleNamespace(public_id=f"{folder}/logo-{len(uploads)}", resource_type="image")

    monkeypatch.setattr(views, "asset_upload", upload)
    monkeypatch.setattr(services, "assets_destroy_on_commit", lambda *, public_ids: uploads.append(public_ids))
    store = _in(shop, lambda: store_create(name="Dates Corner"))
    client = console_page_client(shop, shop.owner)
    for name in ("logo.png", "logo2.png"):
        response = client.post(
            f"/stores/{store.pk}/", {"action": "logo", "logo": SimpleUploadedFile(name, b"\x89PNG", "image/png")}
        )
        assert response.status_code == 302
    folder = f"merchants/{shop.schema_name}/stores"
    assert uploads == [("logo.png", folder, "image"), ("logo2.png", folder, "image"), [f"{folder}/logo-1"]]
    assert _in(shop, lambda: Store.objects.get().logo_public_id) == f"{folder}/logo-2"
    missing = client.post(f"/stores/{store.pk}/", {"action": "logo"})
    assert missing.status_code == 400 and 'role="alert"' in missing.content.decode()
