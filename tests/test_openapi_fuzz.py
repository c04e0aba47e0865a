"""schemathesis over the three OpenAPI documents: no input gives a 5xx, an undocumented status or a body the document
does not describe.

One pytest test per operation (xdist spreads them), all of schemathesis' checks, positive and negative examples,
bounded and derandomized so that CI is neither slow nor flaky. Requests go in-process to the WSGI app (Django's test
handler, so the test's transaction holds and rolls back), against a world made for each test: a merchant whose owner
signs the console calls, a customer signing the public ones, and a platform admin with TOTP for the platform's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.openapi import ENVELOPE

# Per operation and phase: the ~95 operations stay within a few minutes on 2 cores. FUZZ_EXAMPLES raises it locally.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
_CONFIG = {
    # with-security-parameters off: the auth providers below sign every request; schemathesis' own checks
    # (ignored_auth) still send each operation without them.
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "mode": "all",
        "deterministic": True,
        "with-security-parameters": False,
    },
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    "checks": {"enabled": True},
}
_HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _document(api_name: str, prefix: str) -> dict[str, Any]:
    # Imported here, at collection, once Django is set up: the URLconfs mount the APIs, whose routers import models.
    import config.urls_public
    import config.urls_tenant  # noqa: F401
    from config import api

    raw = getattr(api, api_name).get_openapi_schema(path_prefix=prefix)
    return json.loads(json.dumps(raw, default=str))  # status codes as strings, as served


def _schema(api_name: str, prefix: str):
    schema = schemathesis.openapi.from_dict(_document(api_name, prefix), config=SchemathesisConfig.from_dict(_CONFIG))
    schema.app = _App()
    return schema


class _App:
    """A WSGI app over Django's test handler: the request runs in the test's transaction (the plain WSGIHandler would
    close the connection at the end of each request) and CSRF is enforced as in production."""

    def __init__(self) -> None:
        self._handler = ClientHandler(enforce_csrf_checks=True)

    def __call__(self, environ, start_response):
        response: HttpResponse = self._handler(environ)
        headers = [(k, v) for k, v in response.items()]
        headers += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        # The body, not the response: the handler has closed it already with the connections kept (as the test client
        # does); a WSGI caller closing it again would fire request_finished, which closes the test's connection.
        return [b"".join(response.streaming_content) if response.streaming else response.content]


@schemathesis.check
def positive_data_refused_only_by_a_rule(ctx, response, case) -> bool | None:
    """schemathesis' positive_data_acceptance, less what a document cannot say: a schema-valid request may still be
    refused by a rule of the domain (an opaque cursor that is not ours, a phone that is no mobile number, a webhook
    whose signature does not verify) with that rule's 4xx — but never with the input validator's `invalid`, which
    would mean the document and the validator disagree."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or response.status_code != 400:
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    if code == "invalid":
        raise AssertionError(f"A schema-valid request was refused by the input validator: {response.content[:300]!r}")
    return None


_CHECKS = {"additional_checks": [positive_data_refused_only_by_a_rule], "excluded_checks": [positive_data_acceptance]}

public = _schema("public_api", "/api/v1/")
console = _schema("console_api", "/api/v1/console/")
platform = _schema("platform_api", "/api/v1/platform/")


@dataclass
class FuzzWorld:
    console_host: str
    owner_token: str
    customer_token: str
    guest_token: str
    admin_session: str
    csrf: str


def _world_build() -> FuzzWorld:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shared_apps.accounts.models import Guest, User
    from shared_apps.accounts.services import user_get_or_create_by_phone
    from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
    from tenants.services import merchant_provision
    from tests.shop_factory import build_shop

    shop = build_shop(
        lambda **kw: merchant_provision(owner_phone="+923005550001", **kw),
        slug="fuzz",
        products=2,
        variants=2,
        branches=("gulberg",),
    )
    customer = user_get_or_create_by_phone(phone="+923005550002")
    admin = User.objects.create_superuser(phone="+923005550003")
    device = TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return FuzzWorld(
        console_host=f"{shop.merchant.slug}.localhost",
        owner_token=token_pair_issue(user=shop.merchant.owner).access,
        customer_token=token_pair_issue(user=customer).access,
        guest_token=guest_token_issue(guest=Guest.objects.create()),
        admin_session=session.session_key,
        csrf=_get_new_csrf_string(),
    )


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """One world per module and xdist worker (provisioning a merchant is the slow part), in a transaction rolled
    back at the end: each test's own transaction nests inside it, so what a test writes goes with that test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _world_build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.set_schema_to_public()


_world: list[FuzzWorld] = []  # the running test's world, for the auth providers (schemathesis makes them itself)


@pytest.fixture
def world(fuzz_world: FuzzWorld):
    _world.append(fuzz_world)
    yield fuzz_world
    _world.clear()


@public.auth(refresh_interval=None)
class CustomerBearer:
    def get(self, case, ctx) -> str | None:
        return _world[-1].customer_token if _world else None  # None: asked while collecting, outside a test

    def set(self, case, data: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@console.auth(refresh_interval=None)
class OwnerBearer:
    def get(self, case, ctx) -> str | None:
        return _world[-1].owner_token if _world else None

    def set(self, case, data: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@platform.auth(refresh_interval=None)
class AdminSession:
    """The session cookie of an admin who passed TOTP, and the CSRF pair a browser sends with it."""

    def get(self, case, ctx) -> FuzzWorld | None:
        return _world[-1] if _world else None

    def set(self, case, data: FuzzWorld, ctx) -> None:
        case.cookies = {**(case.cookies or {}), "sessionid": data.admin_session, "csrftoken": data.csrf}
        case.headers = {**(case.headers or {}), "X-CSRFToken": data.csrf}


@pytest.mark.django_db
@public.parametrize()
@_HYPOTHESIS
def test_public_api(case, world: FuzzWorld) -> None:
    case.call_and_validate(base_url="http://localhost", **_CHECKS)


@pytest.mark.django_db
@console.parametrize()
@_HYPOTHESIS
def test_console_api(case, world: FuzzWorld) -> None:
    case.call_and_validate(base_url=f"http://{world.console_host}", **_CHECKS)


@pytest.mark.django_db
@platform.parametrize()
@_HYPOTHESIS
def test_platform_api(case, world: FuzzWorld) -> None:
    case.call_and_validate(base_url="http://localhost", **_CHECKS)


@pytest.mark.django_db
def test_every_document_is_served_with_the_envelope() -> None:
    """The three documents are served where clients fetch them, and every error response is the envelope."""
    for host, url in (
        ("localhost", "/api/v1/openapi.json"),
        ("localhost", "/api/v1/platform/openapi.json"),
    ):
        document = Client(HTTP_HOST=host).get(url).json()
        assert ENVELOPE in document["components"]["schemas"]
        for path_item in document["paths"].values():
            for op in path_item.values():
                errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
                assert errors, op["operationId"]
                for response in errors.values():
                    assert f"/{ENVELOPE}'" in str(response["content"]["application/json"]["schema"])
