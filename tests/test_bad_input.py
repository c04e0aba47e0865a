"""Every bad input is a clear 4xx (issue 24): one test per class of input, over every route the class applies to.

The routes are walked from the two ninja APIs (and the console's page routes from the access matrix), so a new
route is covered the day it is added. Classes: a NUL character, JSON nested too deep, a body too large, amounts
beyond their columns (and "-0"), limit/offset out of bounds, errors that were HTML or ad-hoc on /api/ paths, and
garbage of every kind posted to every write, which must answer below 500 and change nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django_tenants.utils import schema_context

from config.api import console_api, public_api
from kernel.errors import CommonErrorCode, DomainError, error_body
from kernel.inputs import PAGE_MAX_LIMIT, PAGE_MAX_OFFSET, amount_parse
from kernel.jsonparse import MAX_DEPTH, JsonInvalid, json_loads
from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.catalog.models import BranchPrice, Variant
from tenant_apps.catalog.offers import branch_offers
from tenant_apps.staff.models import AuditEntry
from tests.access_world import World, build_world, world_deliveries_add, world_orders_add, world_payments_add
from tests.test_access_matrix import TARGETS, _body, _order_name

pytestmark = pytest.mark.django_db

ENVELOPE = {"code", "message", "field", "details"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def operations(api, root: str) -> Iterator[tuple[str, str, bool]]:
    """(method, path template, authenticated) of every operation of a ninja API, as a client calls it."""
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, (root + prefix + path).replace("//", "/"), bool(operation.auth_callbacks)


PUBLIC_OPS = sorted(set(operations(public_api, "/api/v1")))
CONSOLE_OPS = sorted(set(operations(console_api, "/api/v1/console")))
ALL_OPS = [("localhost", m, p) for m, p, _ in PUBLIC_OPS] + [("console", m, p) for m, p, _ in CONSOLE_OPS]
ALL_WRITES = [op for op in ALL_OPS if op[1] in WRITES]
AUTHENTICATED_WRITES = [("localhost", m, p) for m, p, a in PUBLIC_OPS if a and m in WRITES] + [
    ("console", m, p) for m, p, a in CONSOLE_OPS if a and m in WRITES
]


def _openapi(api, root: str) -> dict[tuple[str, str], dict]:
    schema = api.get_openapi_schema(path_prefix=root)
    return {(method.upper(), path): op for path, ops in schema["paths"].items() for method, op in ops.items()}


def _query_params(api, root: str) -> dict[tuple[str, str], set[str]]:
    return {
        key: {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        for key, op in _openapi(api, root).items()
    }


def _filled(path: str, ids: dict[str, int] | None = None) -> str:
    """A template with its path parameters filled: the world's own objects when given, else 1."""

    def one(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if ids is None or name not in TARGETS:
            return "1"
        key = TARGETS[name]["own"]
        if name == "order_id":
            key = _order_name(key, path)
        return str(ids.get(key, 1))

    return re.sub(r"\{([^}]+)\}", one, path)


def _envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == ENVELOPE and isinstance(body["details"], dict), body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def world(make_merchant) -> World:
    return world_payments_add(world_deliveries_add(world_orders_add(build_world(make_merchant))))


@pytest.fixture
def clients(world):
    """Bearer clients for the marketplace and the console of the world's merchant T, signed in as its owner."""
    token = token_pair_issue(user=world.users["merchant"]).access
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return {
        "localhost": Client(HTTP_HOST="localhost", **auth),
        "console": Client(HTTP_HOST=f"{world.t.slug}.localhost", **auth),
    }


def _call(client: Client, method: str, url: str, body, content_type: str = "application/json"):
    with transaction.atomic():
        response = client.generic(method, url, body, content_type=content_type)
        if response.streaming:
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


# ---- 1. NUL ----------------------------------------------------------------------------------------------------


def test_a_nul_character_is_refused_at_the_door_on_every_route(clients, world):
    """In a JSON body (raw or escaped), a form, a query string or a path: 400 nul_character, before any view."""
    failures = []
    for host, method, path in ALL_OPS:
        url = _filled(path, world.ids)
        client = clients[host]
        if method in WRITES:
            attempts = [
                _call(client, method, url, json.dumps({"name": "Ali\u0000", "note": "x"})),
                _call(client, method, url, b'{"name": "Ali\x00"}'),
                _call(client, method, url, "name=Ali%00&note=x", "application/x-www-form-urlencoded"),
            ]
        else:
            attempts = [_call(client, method, url + "?q=a%00b", None)]
        for response in attempts:
            if response.status_code != 400 or response.json().get("code") != "nul_character":
                failures.append((method, path, response.status_code, response.content[:120]))
    assert not failures, "\n".join(map(str, failures))
    # an escaped backslash before "u0000" is text, not NUL
    ok = clients["console"].patch(
        _filled("/api/v1/console/stores/{store_id}", world.ids),
        json.dumps({"description": "C:\\\\u0000 is a path"}),
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content


def test_a_nul_in_a_page_form_or_a_multipart_field_is_refused_and_a_binary_file_is_not(world):
    page = Client(HTTP_HOST=f"{world.t.slug}.localhost")
    page.force_login(world.users["merchant"])
    response = page.post("/stores/new/", {"name": "Nul\x00 store"})
    assert response.status_code == 400 and b"NUL" in response.content
    api = Client(
        HTTP_HOST=f"{world.t.slug}.localhost",
        HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=world.users['merchant']).access}",
    )

    csv_with_nul = SimpleUploadedFile("p.csv", b"store_slug,product_name,sku,price\nstore-1,Te\x00a,T-1,1\n")
    response = api.post("/api/v1/console/imports/products", {"file": csv_with_nul, "import_id": "a\x00"})
    _envelope(response, 400, "nul_character")
    csv_with_nul.seek(0)
    response = api.post("/api/v1/console/imports/products", {"file": csv_with_nul})
    assert 400 <= response.status_code < 500, response.content  # the file itself: refused row by row, not a 500


def test_a_broken_multipart_body_is_a_400(clients):
    broken = b'--b\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n\r\nabc'
    for content_type in ("multipart/form-data; boundary=b", "multipart/form-data"):
        response = clients["console"].generic("POST", "/api/v1/console/imports/products", broken, content_type)
        assert 400 <= response.status_code < 500, response.content
        assert set(response.json()) == ENVELOPE


def test_a_webhook_with_a_nul_is_refused_unread():
    from shared_apps.payments.models import WebhookEvent

    market = Client(HTTP_HOST="localhost")
    before = WebhookEvent.objects.count()
    for path in ("/api/v1/payments/webhooks/foree", "/api/v1/payments/webhooks/jazzcash"):
        response = market.post(
            path, b'{"response_data": {"bill": {"reference_number": "A\\u0000"}}}', "application/json"
        )
        _envelope(response, 400, "nul_character")
        response = market.post(path, "pp_TxnRefNo=T1%00&pp_ResponseCode=000", "application/x-www-form-urlencoded")
        _envelope(response, 400, "nul_character")
    assert WebhookEvent.objects.count() == before


# ---- 2. JSON nested too deep -----------------------------------------------------------------------------------


def test_the_one_json_parser_refuses_deep_nesting_as_a_value_error():
    assert json_loads('{"a": [1, {"b": []}]}') == {"a": [1, {"b": []}]}
    for text in ("[" * 100_000 + "]" * 100_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), b"\xff", "{"):
        with pytest.raises(JsonInvalid):
            json_loads(text)
    assert json_loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)  # the limit itself is allowed


def test_deep_json_is_a_4xx_on_every_write_and_every_webhook(clients, world):
    deep = "[" * 50_000 + "]" * 50_000
    failures = []
    for host, method, path in ALL_WRITES:
        response = _call(clients[host], method, _filled(path, world.ids), deep)
        if response.status_code >= 500:
            failures.append((method, path, response.status_code, response.content[:120]))
    assert not failures, "\n".join(map(str, failures))
    # the signed webhooks parse after the signature: sign the deep body so that it reaches the parser
    body = ('{"kind": "event.delivery_status", "data": ' + "[" * 5000 + "]" * 5000 + "}").encode()
    signature = hmac.new(settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    market = Client(HTTP_HOST="localhost")
    response = market.post("/api/v1/webhooks/couriers/uber", body, "application/json", HTTP_X_UBER_SIGNATURE=signature)
    _envelope(response, 400)
    for path in ("/api/v1/payments/webhooks/foree", "/api/v1/payments/webhooks/jazzcash"):
        assert market.post(path, deep, "application/json").status_code == 400


def test_deep_json_in_a_cloudinary_notification_is_a_400(settings):
    import cloudinary.utils

    body = '{"notification_type": "upload", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    timestamp = str(int(time.time()))
    signature = cloudinary.utils.compute_hex_hash(body + timestamp + cloudinary.config().api_secret)
    response = Client(HTTP_HOST="localhost").post(
        "/api/v1/media/webhooks/cloudinary",
        body,
        "application/json",
        HTTP_X_CLD_TIMESTAMP=timestamp,
        HTTP_X_CLD_SIGNATURE=signature,
    )
    _envelope(response, 400)


# ---- 3. A body too large ---------------------------------------------------------------------------------------


def test_one_configured_maximum_is_django_s_too():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_BODY_MAX_BYTES


def test_a_body_over_the_maximum_is_a_413_envelope_on_every_route(clients, world):
    failures = []
    with override_settings(REQUEST_BODY_MAX_BYTES=4096, DATA_UPLOAD_MAX_MEMORY_SIZE=4096):
        body = json.dumps({"name": "x" * 5000})
        for host, method, path in ALL_WRITES:
            response = _call(clients[host], method, _filled(path, world.ids), body)
            if response.status_code != 413 or response.json()["code"] != "body_too_large":
                failures.append((method, path, response.status_code, response.content[:120]))
    assert not failures, "\n".join(map(str, failures))


def test_a_real_3_mb_body_is_a_413_on_the_api_and_on_a_page(world):
    big = "x" * (3 * 1024 * 1024)
    market = Client(HTTP_HOST="localhost")
    _envelope(market.post("/api/v1/auth/otp/request", json.dumps({"phone": big}), "application/json"), 413)
    _envelope(market.post("/api/v1/webhooks/couriers/uber", big, "application/json"), 413)
    page = Client(HTTP_HOST=f"{world.t.slug}.localhost")
    page.force_login(world.users["merchant"])
    response = page.post("/stores/new/", {"name": big})
    assert response.status_code == 413 and response["Content-Type"].startswith("text/html")


def test_an_upload_over_the_plain_body_limit_is_never_a_5xx(clients, world):
    """A multipart body within the upload ceiling but over the plain limit is read as a form at the door (no raw
    copy is kept): a route that takes JSON refuses it as unparsable, one without a body ignores it; never a 5xx."""
    failures = []
    with override_settings(REQUEST_BODY_MAX_BYTES=4096, DATA_UPLOAD_MAX_MEMORY_SIZE=4096):
        body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("a.csv", b"name\n" + b"x" * 5000)})
        for host, method, path in ALL_WRITES:
            response = _call(clients[host], method, _filled(path, world.ids), body, MULTIPART_CONTENT)
            if response.status_code >= 500 or (response.status_code >= 400 and set(response.json()) != ENVELOPE):
                failures.append((method, path, response.status_code, response.content[:120]))
    assert not failures, "\n".join(map(str, failures))


def test_an_upload_is_bounded_by_its_own_ceiling(clients, world):

    with override_settings(REQUEST_UPLOAD_MAX_BYTES=10_000):
        upload = SimpleUploadedFile("p.csv", b"store_slug,product_name,sku,price\n" + b"s,n,k,1\n" * 2000)
        response = clients["console"].post("/api/v1/console/imports/products", {"file": upload})
    _envelope(response, 413, "body_too_large")


# ---- 4 and 6. Amounts ------------------------------------------------------------------------------------------

HOSTILE_AMOUNTS = ["1e26", "NaN", "Infinity", "-Infinity", "sNaN", "12.345", 1e26, "1" * 40]
# every API field that takes an amount: (method, path, field, extra body)
AMOUNT_FIELDS = [
    ("POST", "/api/v1/console/products", "variants.0.price", None),
    ("POST", "/api/v1/console/products/{product_id}/variants", "price", {"sku": "AMT-1"}),
    ("PATCH", "/api/v1/console/variants/{variant_id}", "price", {}),
    ("PUT", "/api/v1/console/branches/{branch_id}/prices/{variant_id}", "price", {}),
    ("POST", "/api/v1/console/orders/{order_id}/refund", "amount", {"reason": "Damaged"}),
    ("PATCH", "/api/v1/console/branches/{branch_id}", "delivery_fee", {}),
    ("PATCH", "/api/v1/console/branches/{branch_id}", "delivery_min_order", {}),
    ("PATCH", "/api/v1/console/branches/{branch_id}", "delivery_radius_km", {}),
]


@pytest.mark.parametrize("value", HOSTILE_AMOUNTS, ids=[str(v)[:12] for v in HOSTILE_AMOUNTS])
def test_an_amount_beyond_its_column_is_a_400_on_every_amount_field(clients, world, value):
    failures = []
    for method, path, field, extra in AMOUNT_FIELDS:
        if extra is None:
            body = {"store_id": world.ids["S1"], "name": "Amounts", "variants": [{"sku": "AMT-0", "price": value}]}
        else:
            body = {**extra, field: value}
        response = _call(clients["console"], method, _filled(path, world.ids), json.dumps(body))
        if response.status_code != 400:
            failures.append((method, path, field, response.status_code, response.content[:160]))
    assert not failures, "\n".join(map(str, failures))


def test_an_amount_beyond_its_column_on_a_page_form_is_refused_not_a_500(world):
    page = Client(HTTP_HOST=f"{world.t.slug}.localhost")
    page.force_login(world.users["merchant"])
    with schema_context(world.t.schema_name):
        before = Variant.objects.count()
    for value in ("1e26", "NaN", "-Infinity"):
        response = page.post(
            "/products/new/", {"name": "Ghee", "store_id": world.ids["S1"], "sku": "G-1", "price": value}
        )
        assert response.status_code < 500
        response = page.post(
            f"/orders/{world.ids['O_B1a_picked_up']}/refund/", {"amount": value, "reason": "Damaged item"}
        )
        assert response.status_code < 500
    with schema_context(world.t.schema_name):
        assert Variant.objects.count() == before


def test_the_money_bounds_are_the_columns(world):
    assert amount_parse("9999999999.99") == Decimal("9999999999.99")
    for bad in ("10000000000", "1e26", "NaN", "1.001", 1.5, True, ""):
        with pytest.raises(ValueError):
            amount_parse(bad)
    assert str(amount_parse("-0")) == "0.00" and str(amount_parse("-0.00")) == "0.00"


def test_a_price_of_minus_zero_is_stored_as_zero_and_is_no_offer(clients, world):
    console = clients["console"]
    variant_url = _filled("/api/v1/console/variants/{variant_id}", world.ids)
    price_url = _filled("/api/v1/console/branches/{branch_id}/prices/{variant_id}", world.ids)
    assert console.patch(variant_url, json.dumps({"price": "-0"}), "application/json").status_code == 200
    assert console.put(price_url, json.dumps({"price": "-0.00"}), "application/json").status_code == 200
    with schema_context(world.t.schema_name):
        variant = Variant.objects.get(pk=world.ids["V1"])
        branch_price = BranchPrice.objects.get(variant_id=world.ids["V1"], branch_id=world.ids["B1a"])
        assert str(variant.price) == "0.00" and not variant.price.is_signed()
        assert str(branch_price.price) == "0.00" and not branch_price.price.is_signed()
        offer = branch_offers([(world.ids["B1a"], world.ids["V1"])])[(world.ids["B1a"], world.ids["V1"])]
        assert not offer.price < offer.regular_price  # what the listing's offer badge is computed from
        facts = json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))
        assert '"-0' not in facts
    page = Client(HTTP_HOST=f"{world.t.slug}.localhost")
    page.force_login(world.users["merchant"])
    page.post(f"/products/{world.ids['P1']}/", {"action": "update", "name": "P1", "status": "active", "price": "-0"})
    with schema_context(world.t.schema_name):
        assert not Variant.objects.get(pk=world.ids["V1"]).price.is_signed()


def test_every_decimal_an_api_takes_is_bounded():
    """No API input schema takes a bare Decimal: each is Money, Fee or RadiusKm (max_digits from the column)."""
    from pydantic import BaseModel

    def unbounded(model: type[BaseModel], seen: set) -> list[str]:
        if model in seen:
            return []
        seen.add(model)
        found = []
        for name, info in model.model_fields.items():
            declared = repr(info.annotation) + repr(info.metadata)  # Annotated metadata, also inside `X | None`
            if "Decimal" in declared and "max_digits" not in declared and "Le(le=" not in declared:
                found.append(f"{model.__name__}.{name}")
            for arg in (*getattr(info.annotation, "__args__", ()), info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    found += unbounded(arg, seen)
        return found

    problems = []
    allowed = {"BranchIn.latitude", "BranchIn.longitude", "BranchPatch.latitude", "BranchPatch.longitude"}
    for api in (public_api, console_api):
        for _prefix, router in api._routers:
            for path_view in router.path_operations.values():
                for operation in path_view.operations:
                    for model in operation.models:
                        for field in model.model_fields.values():
                            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                                problems += unbounded(field.annotation, set())
    # coordinates are range-checked and rounded by the stores service (LOCATION_INVALID), not bounded here
    assert not [p for p in problems if p not in allowed], problems


# ---- 5. Pagination ---------------------------------------------------------------------------------------------


def test_every_list_bounds_limit_and_offset(clients, world):
    params = {**_query_params(public_api, "/api/v1"), **_query_params(console_api, "/api/v1/console")}
    lists = [(m, p) for (m, p), names in params.items() if {"limit", "offset"} & names]
    assert len(lists) >= 6, lists
    failures = []
    for method, path in lists:
        host = "console" if path.startswith("/api/v1/console") else "localhost"
        url = _filled(path, world.ids)
        names = params[(method, path)]
        for query in (
            "limit=-1",
            "limit=0",
            f"limit={PAGE_MAX_LIMIT + 1}",
            f"limit={2**63}",
            f"offset={2**63}",
            "offset=-1",
            f"offset={PAGE_MAX_OFFSET + 1}",
            "limit=abc",
        ):
            if query.split("=")[0] not in names:
                continue
            response = clients[host].get(f"{url}?{query}")
            if response.status_code != 400 or set(response.json()) != ENVELOPE:
                failures.append((path, query, response.status_code, response.content[:120]))
        ok = clients[host].get(f"{url}?limit={PAGE_MAX_LIMIT}&offset={PAGE_MAX_OFFSET}" if "offset" in names else url)
        if ok.status_code >= 500 or (ok.status_code == 400 and ok.json()["field"] in ("limit", "offset")):
            failures.append((path, "bounds", ok.status_code, ok.content[:120]))
    assert not failures, "\n".join(map(str, failures))


def test_an_id_past_bigint_is_a_4xx_on_every_route(clients, world):
    failures = []
    for host, method, path in ALL_OPS:
        if "{" not in path:
            continue
        url = re.sub(r"\{[^}]+\}", str(2**64), path)
        response = _call(clients[host], method, url, "{}" if method in WRITES else None)
        if response.status_code >= 500:
            failures.append((method, path, response.status_code))
    assert not failures, "\n".join(map(str, failures))


# ---- 7. Every error on /api/ is the envelope -------------------------------------------------------------------


def test_a_method_a_route_lacks_is_a_405_envelope_with_allow(clients):
    response = clients["localhost"].put("/api/v1/search", "{}", content_type="application/json")
    body = _envelope(response, 405, "method_not_allowed")
    assert body["message"] and "GET" in response["Allow"]


def test_an_unknown_host_on_an_api_path_is_a_404_envelope_and_a_page_stays_html():
    _envelope(Client(HTTP_HOST="nobody.localhost").get("/api/v1/console/stores"), 404, "not_found")
    _envelope(Client(HTTP_HOST="nobody.localhost").post("/api/v1/console/stores", "{}", "application/json"), 404)
    page = Client(HTTP_HOST="nobody.localhost").get("/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_unknown_api_path_is_a_404_envelope(world):
    _envelope(Client(HTTP_HOST="localhost").get("/api/v1/no-such-thing"), 404, "not_found")
    _envelope(Client(HTTP_HOST=f"{world.t.slug}.localhost").get("/api/v1/console/no-such-thing"), 404, "not_found")


def test_an_unauthenticated_write_is_a_401_not_a_csrf_403(world):
    """Every write that needs someone, with no session at all or with an anonymous session (a visitor who opened a
    page): 401. A signed-in session without the CSRF token is still refused (403), as the envelope."""
    failures = []
    for host, method, path in AUTHENTICATED_WRITES:
        client = Client(
            HTTP_HOST="localhost" if host == "localhost" else f"{world.t.slug}.localhost", enforce_csrf_checks=True
        )
        for attempt in ("no session", "anonymous session"):
            if attempt == "anonymous session":
                client.session.save()  # the test client sets the session cookie of a new, empty session
            response = client.generic(method, _filled(path, world.ids), "{}", content_type="application/json")
            if response.status_code != 401 or set(response.json()) != ENVELOPE:
                failures.append((method, path, attempt, response.status_code, response.content[:100]))
    assert not failures, "\n".join(map(str, failures))
    signed_in = Client(HTTP_HOST=f"{world.t.slug}.localhost", enforce_csrf_checks=True)
    signed_in.force_login(world.users["merchant"])
    response = signed_in.post("/api/v1/console/stores", json.dumps({"name": "Forged"}), "application/json")
    _envelope(response, 403)


# ---- 8. One envelope, details documented -----------------------------------------------------------------------


def test_a_domain_error_s_extras_are_its_details():
    from kernel.errors import ErrorCode

    class Codes(ErrorCode):
        SLOW_DOWN = ("slow_down", 429, "Slow down.")

    error = DomainError(Codes.SLOW_DOWN, field="phone", retry_after=30, extra={"lines": [1]})
    assert error.as_dict() == {
        "code": "slow_down",
        "message": "Slow down.",
        "field": "phone",
        "details": {"lines": [1], "retry_after": 30},
    }
    assert error_body(CommonErrorCode.NOT_FOUND) == {
        "code": "not_found",
        "message": "Not found.",
        "field": None,
        "details": {},
    }


def test_a_429_carries_retry_after_in_details_and_the_header():
    market = Client(HTTP_HOST="localhost")
    phone = "+923001112233"
    answers = [market.post("/api/v1/auth/otp/request", {"phone": phone}, "application/json") for _ in range(3)]
    limited = next(r for r in answers if r.status_code == 429)
    body = _envelope(limited, 429)
    assert body["details"]["retry_after"] > 0 and int(limited["Retry-After"]) == body["details"]["retry_after"]


# ---- Garbage of every kind -------------------------------------------------------------------------------------


def _counts(schema: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%%I.%%I', table_schema, table_name) FROM information_schema.tables "
            "WHERE table_schema IN ('public', %s) AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'django_%%'",
            [schema],
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _garbage(valid: dict) -> Iterator[tuple[object, bool]]:
    """(body, must be refused): wrong shapes and types, numbers past every bound; long text may be fine."""
    yield [], True
    yield "just a string", True
    yield 2**70, True
    yield {key: [value] for key, value in valid.items()}, True
    yield {key: 2**70 for key in valid}, True
    yield {key: -(10**400) for key in valid}, True
    yield {key: {"$gt": ""} for key in valid}, True
    yield {key: "1e26" for key in valid}, False
    yield {key: "x" * 100_000 for key in valid}, False


def test_garbage_on_every_console_write_is_a_4xx_and_changes_nothing(clients, world):
    """Each write of the console API that reads a JSON body, as the merchant's owner, with bodies derived from a
    valid one: every field the wrong type, past every bound, huge, hostile. No 5xx; what must be refused is
    refused; and no table of the public or the merchant's schema has a row more or less."""
    with_body = {key for key, op in _openapi(console_api, "/api/v1/console").items() if "requestBody" in op}
    connection.set_schema_to_public()
    before = _counts(world.t.schema_name)
    failures = []
    console = clients["console"]
    for host, method, path in ALL_WRITES:
        if host != "console" or (method, path) not in with_body:
            continue
        url = _filled(path, world.ids)
        for garbage, refused in _garbage(_body(method, path, world.ids, "own")):
            body = json.dumps(garbage)
            # what must be refused runs for real (the counts below see it); the rest in a rolled-back transaction
            response = (
                console.generic(method, url, body, content_type="application/json")
                if refused
                else _call(console, method, url, body)
            )
            if response.status_code >= 500 or (refused and response.status_code < 400):
                failures.append((method, path, str(garbage)[:60], response.status_code, response.content[:120]))
    connection.set_schema_to_public()
    after = _counts(world.t.schema_name)
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not failures, "\n".join(map(str, failures))
    assert not changed, changed


def _body_fields(api, root: str) -> dict[tuple[str, str], dict]:
    """(method, path) -> a JSON body naming every property of the operation's schema (values are placeholders)."""
    schema = api.get_openapi_schema(path_prefix=root)
    components = schema.get("components", {}).get("schemas", {})
    found = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            body = content["schema"]
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[-1]]
            found[(method.upper(), path)] = dict.fromkeys(body.get("properties", {}), "x")
    return found


def test_garbage_on_every_public_write_is_a_4xx_and_changes_nothing(clients, world):
    """The marketplace's writes that read a JSON body, as a signed-in customer, with every property of the body's
    schema given garbage: no 5xx, and what must be refused leaves no row more or less."""
    bodies = _body_fields(public_api, "/api/v1")
    connection.set_schema_to_public()
    before = _counts(world.t.schema_name)
    failures = []
    market = clients["localhost"]
    for host, method, path in ALL_WRITES:
        if host != "localhost" or (method, path) not in bodies or "/webhooks/" in path:
            continue  # a provider's notification is recorded as it came (and answered in its format): tested apart
        url = _filled(path, world.ids)
        for garbage, refused in _garbage(bodies[(method, path)]):
            body = json.dumps(garbage)
            response = (
                market.generic(method, url, body, content_type="application/json")
                if refused
                else _call(market, method, url, body)
            )
            if response.status_code >= 500 or (refused and response.status_code < 400):
                failures.append((method, path, str(garbage)[:60], response.status_code, response.content[:120]))
    connection.set_schema_to_public()
    after = _counts(world.t.schema_name)
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not failures, "\n".join(map(str, failures))
    assert not changed, changed
