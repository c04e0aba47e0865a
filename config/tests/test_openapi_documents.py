"""The OpenAPI documents say what the API does: error envelopes, Retry-After, enums, bounds, the Idempotency-Key."""

from __future__ import annotations

from typing import Any

import pytest

from config.openapi import ENVELOPE


def _documents() -> dict[str, dict[str, Any]]:
    # Imported here, once Django is set up: the URLconfs mount the APIs, whose routers import models.
    import config.urls_public
    import config.urls_tenant  # noqa: F401
    from config.api import console_api, platform_api, public_api

    return {
        "public": public_api.get_openapi_schema(path_prefix="/api/v1/"),
        "console": console_api.get_openapi_schema(path_prefix="/api/v1/console/"),
        "platform": platform_api.get_openapi_schema(path_prefix="/api/v1/platform/"),
    }


@pytest.fixture(scope="module")
def documents():
    return _documents()


def _ops(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def test_the_platform_document_keeps_the_platform_paths(documents):
    assert all(p.startswith("/api/v1/platform/") for p in documents["platform"]["paths"])
    assert not any(p.startswith("/api/v1/platform/") for p in documents["public"]["paths"])


def test_every_operation_documents_its_errors_with_the_envelope(documents):
    codes = set(documents["public"]["components"]["schemas"][ENVELOPE]["properties"]["code"]["enum"])
    assert {"invalid", "unauthenticated", "not_found", "rate_limited", "payment_method_invalid"} <= codes
    for document in documents.values():
        for name, op in _ops(document):
            errors = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
            assert errors, name
            assert all(f"/{ENVELOPE}'" in str(r["content"]) for r in errors.values()), name
            if op.get("security"):
                assert {401, 403} <= set(errors), name
            if "requestBody" in op:
                assert {400, 413} <= set(errors), name
            if 429 in errors:
                assert errors[429]["headers"]["Retry-After"]["required"], name


def test_enums_bounds_and_the_idempotency_key(documents):
    public = dict(_ops(documents["public"]))
    schemas = documents["public"]["components"]["schemas"]
    assert schemas["CheckoutIn"]["properties"]["payment_method"]["enum"] == ["cod", "foree", "jazzcash"]
    assert schemas["AttemptIn"]["properties"]["gateway"]["enum"] == ["foree", "jazzcash"]
    assert schemas["ItemIn"]["properties"]["quantity"]["minimum"] == 1
    assert schemas["QuantityIn"]["properties"]["quantity"]["maximum"] >= 1
    for name in ("POST /api/v1/checkout", "POST /api/v1/orders/{order_id}/payment/attempts"):
        headers = [p["name"] for p in public[name]["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], name
        assert 409 in public[name]["responses"], name
    for name in ("POST /api/v1/payments/webhooks/foree", "POST /api/v1/webhooks/couriers/uber"):
        assert public[name]["requestBody"]["content"]["application/json"]["schema"]["properties"], name


def test_a_resend_limit_is_a_conflict_not_a_429():
    """Every 429 says when to try again (Retry-After); no wait helps an invitation sent five times."""
    from tenant_apps.staff.errors import StaffErrorCode

    assert StaffErrorCode.RESEND_LIMIT.status == 409
