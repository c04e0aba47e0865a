"""The API surface: OpenAPI, offline docs, one error envelope, health probes, hosts."""

import json
import os
import subprocess
import sys

import pytest
from ninja import NinjaAPI

from config import api as config_api

ENVELOPE_KEYS = {"code", "message", "field", "details"}


@pytest.fixture
def public(host_client):
    return host_client("localhost")


def test_openapi_is_valid_and_versioned(public, db):
    response = public.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    # the platform's operations have their own document, at the same paths
    platform = public.get("/api/v1/platform/openapi.json").json()
    assert "/api/v1/platform/merchants" in platform["paths"] and "/api/v1/platform/merchants" not in spec["paths"]
    # the search parses its own query string (kernel.inputs.query_parse): documented all the same
    search = {p["name"]: p for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "lat", "lng", "radius_km", "category", "sort", "cursor", "page", "limit", "explain"} <= set(search)
    assert search["sort"]["schema"]["allOf"][0]["enum"][0] == "relevance"


def test_a_decimal_query_parameter_is_documented_as_a_number_whichever_module_loads_first():
    """The search's parameters are built when its module is imported: in a process where nothing else of the API
    was imported before, a price is still "a number" (never pydantic's "or any string", which the fuzzer fills with
    words the validator refuses)."""
    script = (
        "import django, json; django.setup()\n"
        "from marketplace.discovery.api import search\n"
        "from kernel.openapi import query_parameters\n"
        "from marketplace.discovery.schemas import SearchQuery\n"
        "print(json.dumps({p['name']: p['schema'] for p in query_parameters(SearchQuery)}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    price = json.loads(out.strip().splitlines()[-1])["price_min"]
    assert [branch["type"] for branch in price["anyOf"]] == ["number", "null"]
    assert price["anyOf"][0]["multipleOf"] == 0.01


def test_docs_page_works_offline(public, db):
    response = public.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_console_openapi_lives_on_merchant_hosts(make_merchant, host_client):
    make_merchant(slug="docs-shop")
    spec = host_client("docs-shop.localhost").get("/api/v1/console/openapi.json").json()
    assert "/api/v1/console/summary" in spec["paths"]


def _header_names(spec: dict) -> dict[tuple[str, str], str]:
    """(method, path) → the name of its idempotency header, for every operation that declares one."""
    return {
        (method, path): parameter["name"]
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header" and "idempotency" in parameter["name"].lower().replace("-", "_")
    }


def test_every_schema_names_the_idempotency_header_exactly_idempotency_key(public, make_merchant, host_client):
    make_merchant(slug="header-shop")
    public_spec = public.get("/api/v1/openapi.json")
    console_spec = host_client("header-shop.localhost").get("/api/v1/console/openapi.json")
    specs = {"public": public_spec.json(), "console": console_spec.json()}
    for api in vars(config_api).values():  # and any other schema the project serves (platform, ...)
        if isinstance(api, NinjaAPI):
            specs[api.urls_namespace] = api.get_openapi_schema(path_prefix="/")
    for which, text in (("public", public_spec.content), ("console", console_spec.content)):
        assert b'"idempotency_key"' not in text, which  # the envelope's code `idempotency_key_invalid` may appear
    named = {which: _header_names(spec) for which, spec in specs.items()}
    for which, headers in named.items():
        assert set(headers.values()) <= {"Idempotency-Key"}, which
    stock = "/api/v1/console/branches/{branch_id}/stock/{variant_id}"
    assert {("post", "/api/v1/checkout"), ("post", "/api/v1/orders/{order_id}/payment/attempts")} <= set(
        named["public"]
    )
    assert {("post", f"{stock}/receive"), ("post", f"{stock}/adjust"), ("post", f"{stock}/count")} <= set(
        named["console"]
    )


def test_anonymous_gets_401_envelope(public, db):
    response = public.get("/api/v1/platform/merchants")
    assert response.status_code == 401
    assert set(response.json()) == ENVELOPE_KEYS
    assert response.json()["code"] == "unauthenticated"


def test_admin_without_totp_in_this_session_gets_403(public, platform_admin):
    public.force_login(platform_admin)  # signed in (e.g. by SMS code) but not through the TOTP step
    response = public.get("/api/v1/platform/merchants")
    assert response.status_code == 403
    assert "authenticator" in response.json()["message"]


def test_non_admin_gets_403(public, db, django_user_model):
    public.force_login(django_user_model.objects.create_user(phone="+923001112223"))
    response = public.get("/api/v1/platform/merchants")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_admin_provisions_through_the_api(admin_client):
    public = admin_client
    response = public.post(
        "/api/v1/platform/merchants",
        {"name": "Johar Town Pharmacy", "slug": "johar-pharmacy", "owner_phone": "+923214567890"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["domain"], body["status"]) == ("johar-pharmacy", "johar-pharmacy.localhost", "active")
    again = public.post(
        "/api/v1/platform/merchants",
        {"name": "Other", "slug": "johar-pharmacy", "owner_phone": "+923214567890"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json() == {"code": "slug_taken", "message": again.json()["message"], "field": "slug", "details": {}}


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"name": "Shop", "slug": "www", "owner_phone": "+923001234567"}, "slug_reserved", "slug"),
        ({"name": "Shop", "slug": "Bad Slug", "owner_phone": "+923001234567"}, "slug_invalid", "slug"),
        ({"name": "Shop", "slug": "good-slug", "owner_phone": "not a phone"}, "phone_invalid", "owner_phone"),
        ({"name": "", "slug": "good-slug", "owner_phone": "+923001234567"}, "name_invalid", "name"),
        ({"slug": "good-slug", "owner_phone": "+923001234567"}, "invalid", "name"),
    ],
)
def test_bad_input_is_a_clear_400_that_changes_nothing(admin_client, payload, code, field):
    from tenants.models import Merchant

    public = admin_client
    before = Merchant.objects.count()
    response = public.post("/api/v1/platform/merchants", payload, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["message"]
    assert Merchant.objects.count() == before


def test_malformed_json_is_a_400_envelope(admin_client):
    public = admin_client
    response = public.post("/api/v1/platform/merchants", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == ENVELOPE_KEYS


def test_unknown_api_route_is_a_404_envelope(public, db):
    response = public.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_suspend_archive_purge_via_api(admin_client, make_merchant):
    make_merchant(slug="lifecycle-shop")
    public = admin_client
    assert public.post("/api/v1/platform/merchants/lifecycle-shop/suspend").json()["status"] == "suspended"
    assert public.delete("/api/v1/platform/merchants/lifecycle-shop").status_code == 409  # archive first
    assert public.post("/api/v1/platform/merchants/lifecycle-shop/archive").json()["status"] == "archived"
    assert public.delete("/api/v1/platform/merchants/lifecycle-shop").status_code == 204
    assert public.get("/api/v1/platform/merchants/lifecycle-shop").status_code == 404


def test_healthz(public, db):
    assert public.get("/healthz").json() == {"status": "ok"}


def test_unknown_host_is_a_friendly_404(host_client, db):
    for host in ("nosuch.localhost", "evil.example.com"):
        response = host_client(host).get("/")
        assert response.status_code == 404
        assert b"There is no shop at this address" in response.content


def test_marketplace_home_renders(public, make_merchant):
    make_merchant(slug="home-shop", name="Home Shop", area="Gulberg")
    response = public.get("/")
    assert response.status_code == 200
    assert b"Home Shop" in response.content
    assert b"htmx.min.js" in response.content
