"""Saved delivery addresses: the API and pages of /me/addresses and /account/addresses/, who may reach which, the
one-default rule, and list reads that cost the same whatever the number of addresses."""

from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.accounts.models import Address
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.testing import address_make, customer_make
from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
from tests.query_counts import assert_list_queries_flat, html_count, json_items

pytestmark = pytest.mark.django_db

PIN = {"latitude": "31.512345", "longitude": "74.343210"}


def _api(user=None, *, guest: bool = False) -> tuple[Client, dict[str, str]]:
    client = Client(HTTP_HOST="localhost")
    if user is not None:
        return client, {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access}"}
    if guest:
        return client, {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest_create())}"}
    return client, {}


def _call(user, method: str, path: str, body: dict | None = None, **kw):
    client, headers = _api(user, **kw)
    return getattr(client, method)(path, body, content_type="application/json", **headers)


def test_a_customer_adds_lists_edits_and_deletes_addresses():
    ayesha = customer_make()
    home = _call(ayesha, "post", "/api/v1/me/addresses", {"street": "House 12, Street 4", "area": "Gulberg", **PIN})
    assert home.status_code == 201, home.content
    assert home.json()["is_default"] is True  # the first address is the default
    assert home.json()["label"] == "Home" and home.json()["city"] == "Lahore"
    work = _call(ayesha, "post", "/api/v1/me/addresses", {"label": "Work", "street": "Arfa Tower", **PIN})
    assert work.status_code == 201 and work.json()["is_default"] is False
    listed = _call(ayesha, "get", "/api/v1/me/addresses").json()
    assert [a["label"] for a in listed] == ["Home", "Work"]
    changed = _call(
        ayesha, "patch", f"/api/v1/me/addresses/{work.json()['id']}", {"notes": "Floor 9", "is_default": True}
    )
    assert changed.status_code == 200 and changed.json()["notes"] == "Floor 9" and changed.json()["is_default"]
    assert [a["label"] for a in _call(ayesha, "get", "/api/v1/me/addresses").json()] == ["Work", "Home"]
    assert _call(ayesha, "delete", f"/api/v1/me/addresses/{work.json()['id']}").status_code == 204
    left = _call(ayesha, "get", "/api/v1/me/addresses").json()
    assert [(a["label"], a["is_default"]) for a in left] == [("Home", True)]  # the default moved to the one left


def test_an_address_without_a_pin_or_a_street_is_refused_with_the_envelope():
    ayesha = customer_make()
    no_pin = _call(ayesha, "post", "/api/v1/me/addresses", {"street": "House 1"})
    assert no_pin.status_code == 400 and no_pin.json()["code"] == "invalid" and no_pin.json()["field"] == "latitude"
    blank = _call(ayesha, "post", "/api/v1/me/addresses", {"street": "   ", **PIN})
    assert blank.status_code == 400
    assert blank.json() == {
        "code": "address_invalid",
        "message": blank.json()["message"],
        "field": "street",
        "details": {},
    }
    far = _call(ayesha, "post", "/api/v1/me/addresses", {"street": "x", "latitude": 91, "longitude": 0})
    assert far.status_code == 400 and far.json()["field"] == "latitude"
    assert not Address.objects.exists()


def test_another_users_address_is_not_found_on_every_route():
    ayesha, bilal = customer_make(), customer_make()
    theirs = address_make(bilal)
    for method, body in (("patch", {"notes": "mine now"}), ("delete", None)):
        response = _call(ayesha, method, f"/api/v1/me/addresses/{theirs.pk}", body)
        assert response.status_code == 404 and response.json()["code"] == "address_not_found"
    assert _call(ayesha, "get", "/api/v1/me/addresses").json() == []
    page = Client(HTTP_HOST="localhost")
    page.force_login(ayesha)
    assert page.get(f"/account/addresses/{theirs.pk}/edit/").status_code == 404
    assert page.post(f"/account/addresses/{theirs.pk}/delete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.notes == "Green gate"


# (method, path) → what a guest and an anonymous caller get. The owner succeeds, another user gets 404 (above).
ROUTES = [
    ("get", "/api/v1/me/addresses", 401),
    ("post", "/api/v1/me/addresses", 401),
    ("patch", "/api/v1/me/addresses/{id}", 401),
    ("delete", "/api/v1/me/addresses/{id}", 401),
    ("get", "/account/addresses/", "signin"),
    ("get", "/account/addresses/new/", "signin"),
    ("post", "/account/addresses/new/", "signin"),
    ("get", "/account/addresses/{id}/edit/", "signin"),
    ("post", "/account/addresses/{id}/edit/", "signin"),
    ("post", "/account/addresses/{id}/delete/", "signin"),
]


@pytest.mark.parametrize(("method", "path", "denied"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_access_matrix_of_the_address_routes(method, path, denied):
    owner, stranger = customer_make(), customer_make()
    address = address_make(owner)
    url = path.replace("{id}", str(address.pk))
    body = {"street": "House 5", "label": "Home", **PIN} if method in ("post", "patch") else None
    for who in ("guest", "anonymous"):
        if path.startswith("/api/"):
            response = _call(None, method, url, body, guest=who == "guest")
            assert response.status_code == denied, (who, response.status_code)
        else:
            response = getattr(Client(HTTP_HOST="localhost"), method)(url, body or {})
            assert response.status_code == 302 and response["Location"].startswith("/signin/"), who
    if "{id}" in path:  # a signed-in stranger: as if it did not exist
        if path.startswith("/api/"):
            assert _call(stranger, method, url, body).status_code == 404
        else:
            client = Client(HTTP_HOST="localhost")
            client.force_login(stranger)
            assert getattr(client, method)(url, body or {}).status_code == 404
    if path.startswith("/api/"):
        response = _call(owner, method, url, body)
    else:
        client = Client(HTTP_HOST="localhost")
        client.force_login(owner)
        response = getattr(client, method)(url, body or {})
    assert response.status_code in (200, 201, 204, 302), response.content[:300]
    if response.status_code == 302:
        assert not response["Location"].startswith("/signin/")


def test_the_address_list_costs_the_same_queries_for_one_address_or_many(host_cache_held):
    ayesha = customer_make()
    address_make(ayesha)
    client, headers = _api(ayesha)
    page = Client(HTTP_HOST="localhost")
    page.force_login(ayesha)

    def add_rows():
        for n in range(4):
            address_make(ayesha, label=f"Place {n}")

    assert_list_queries_flat(
        read=lambda: client.get("/api/v1/me/addresses", **headers),
        rows=json_items,
        add_rows=add_rows,
        few=1,
        many=5,
    )
    assert_list_queries_flat(
        read=lambda: page.get("/account/addresses/"),
        rows=html_count('id="address-'),
        add_rows=lambda: address_make(ayesha, label="One more"),
        few=5,
        many=6,
    )


def test_only_one_address_is_the_default():
    ayesha = customer_make()
    first = address_make(ayesha)
    second = address_make(ayesha, label="Work", make_default=True)
    assert list(Address.objects.filter(user=ayesha, is_default=True)) == [second]
    first.refresh_from_db()
    assert first.is_default is False
