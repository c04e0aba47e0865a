"""ForeeGateway against the real Foree Pay sandbox process (sandboxes/foree.py), over HTTP."""

from __future__ import annotations

import json
import queue
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from sandboxes.testing import PostRecorder, local_http_server, post_recorder, replying
from shared_apps.payments.gateways import gateway_for
from shared_apps.payments.gateways.base import GatewayError, GatewayErrorKind, GatewayStatus, PaymentRequest
from shared_apps.payments.gateways.foree import ForeeGateway, status_from_foree

PHONE = "03001234567"


def payment_request(**overrides: Any) -> PaymentRequest:
    values: dict[str, Any] = {
        "reference": "PA" + secrets.token_hex(6),
        "amount": Decimal("1500.50"),
        "currency": "PKR",
        "order_number": "ORD-1001",
        "description": "Order ORD-1001",
        "customer_name": "Ayesha Khan",
        "customer_phone": PHONE,
        "customer_email": "ayesha@example.com",
        "return_url": "https://shop.example/payments/return?attempt=1",
        "expires_at": datetime.now(UTC) + timedelta(minutes=15),
    }
    values.update(overrides)
    return PaymentRequest(**values)


class Sandbox:
    """The sandbox's control endpoints (not part of the Foree protocol)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def configure(self, **changes: Any) -> None:
        httpx.post(f"{self.base}/sandbox/config", json=changes, timeout=5).raise_for_status()

    def reset(self) -> None:
        httpx.delete(f"{self.base}/sandbox/config", timeout=5).raise_for_status()

    def act(self, reference_number: str, outcome: str = "paid") -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/bills/{reference_number}/pay", json={"outcome": outcome}, timeout=5)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def sandbox(payment_settings: Any) -> Iterator[Sandbox]:
    control = Sandbox(payment_settings.FOREE_API_BASE)
    control.reset()
    control.configure(enabled=False)  # no notification reaches a developer's server on :8000
    yield control
    control.reset()


@pytest.fixture
def gateway(sandbox: Sandbox) -> ForeeGateway:
    return ForeeGateway.from_settings()


@pytest.fixture
def notifications(sandbox: Sandbox) -> Iterator[PostRecorder]:
    """Raw notification bodies (`next()`) the sandbox posts to a local receiver standing in for our webhook."""
    with post_recorder(parse=lambda received: received.body) as received:
        sandbox.configure(enabled=True, notification_url=f"{received.base_url}/api/v1/payments/webhooks/foree")
        yield received


def assert_redacted(payload: Any, api_key: str) -> None:
    text = json.dumps(payload, default=str)
    assert api_key not in text
    assert PHONE not in text and "ayesha@example.com" not in text and "Ayesha Khan" not in text


# ---- initiate and status -------------------------------------------------------------------------------------------


def test_gateway_for_builds_it_from_the_current_settings(payment_settings: Any) -> None:
    payment_settings.FOREE_SUB_BILLER_NAME = "Other Name"
    gateway = gateway_for("foree")
    assert isinstance(gateway, ForeeGateway)
    assert gateway.name == "foree"
    assert gateway.sub_biller_name == "Other Name"
    assert gateway.api_base == payment_settings.FOREE_API_BASE


def test_initiate_creates_a_bill_and_redirects_to_its_payment_link(
    gateway: ForeeGateway, payment_settings: Any
) -> None:
    request = payment_request()
    initiated = gateway.initiate(request)

    assert initiated.provider_reference.startswith("FP")
    assert initiated.redirect.method == "GET"
    assert initiated.redirect.url == f"{payment_settings.FOREE_API_BASE}/pay/{initiated.provider_reference}"
    assert initiated.request["crn"] == request.reference
    assert initiated.request["amount"] == "1500.50"
    assert initiated.request["expiry_date"] == int(request.expires_at.timestamp() * 1000)
    assert initiated.request["return_url"] == request.return_url
    assert initiated.request["customer_phone_number"].endswith("4567")
    assert initiated.response["response_data"]["reference_number"] == initiated.provider_reference
    assert_redacted(initiated.request, payment_settings.FOREE_API_KEY)
    assert_redacted(initiated.response, payment_settings.FOREE_API_KEY)

    page = httpx.get(initiated.redirect.url, timeout=5)
    assert page.status_code == 200 and "PKR 1,500.50" in page.text


def test_query_status_before_and_after_paying(gateway: ForeeGateway, sandbox: Sandbox) -> None:
    request = payment_request(amount=Decimal("99999.99"))
    initiated = gateway.initiate(request)

    before = gateway.query_status(reference=request.reference, provider_reference=initiated.provider_reference)
    assert before.status == GatewayStatus.PENDING
    assert before.amount is None and before.provider_txn_id == ""

    sandbox.act(initiated.provider_reference, "paid")
    after = gateway.query_status(reference=request.reference, provider_reference=initiated.provider_reference)
    assert after.status == GatewayStatus.SUCCEEDED
    assert isinstance(after.amount, Decimal) and after.amount == Decimal("99999.99")
    assert after.provider_txn_id.startswith("FT")
    assert after.raw["response_data"]["bill"]["crn"] == request.reference


@pytest.mark.parametrize(
    ("outcome", "status"), [("failed", GatewayStatus.FAILED), ("cancelled", GatewayStatus.CANCELLED)]
)
def test_query_status_of_failed_and_cancelled_bills(
    gateway: ForeeGateway, sandbox: Sandbox, outcome: str, status: GatewayStatus
) -> None:
    request = payment_request()
    initiated = gateway.initiate(request)
    sandbox.act(initiated.provider_reference, outcome)
    result = gateway.query_status(reference=request.reference, provider_reference=initiated.provider_reference)
    assert result.status == status and result.amount is None


def test_query_status_of_someone_elses_bill_is_rejected(gateway: ForeeGateway) -> None:
    initiated = gateway.initiate(payment_request())
    with pytest.raises(GatewayError) as caught:
        gateway.query_status(reference="PAnotmine", provider_reference=initiated.provider_reference)
    assert caught.value.kind == GatewayErrorKind.REJECTED and caught.value.code == "crn_mismatch"


def test_query_status_of_an_unknown_bill_is_rejected(gateway: ForeeGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.query_status(reference="PA1", provider_reference="FP000000000000")
    assert caught.value.kind == GatewayErrorKind.REJECTED and caught.value.code == "404"
    with pytest.raises(GatewayError) as caught:
        gateway.query_status(reference="PA1", provider_reference="")
    assert caught.value.kind == GatewayErrorKind.REJECTED


# ---- notifications -------------------------------------------------------------------------------------------------


def test_parse_notification_reads_the_sandboxs_notification(
    gateway: ForeeGateway, sandbox: Sandbox, notifications: queue.Queue[bytes]
) -> None:
    request = payment_request()
    initiated = gateway.initiate(request)
    paid = sandbox.act(initiated.provider_reference, "paid")["bill"]

    notice = gateway.parse_notification(body=notifications.next(), content_type="application/json")
    assert notice.reference == request.reference
    assert notice.provider_reference == initiated.provider_reference
    assert notice.provider_txn_id == paid["transaction_ref_id"]
    assert notice.status == GatewayStatus.SUCCEEDED
    assert notice.dedupe_key == f"{paid['transaction_ref_id']}:succeeded"
    assert isinstance(notice.raw["response_data"]["bill"]["paid_amount"], Decimal)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"response_data": {}}',
        b'{"response_data": {"bill": {"bill_status": "paid"}}}',
        b'{"response_data": {"bill": {"reference_number": "  "}}}',
    ],
)
def test_parse_notification_refuses_what_is_not_a_foree_notification(gateway: ForeeGateway, body: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.parse_notification(body=body, content_type="application/json")
    assert caught.value.kind == GatewayErrorKind.INVALID


def test_parse_notification_redacts_and_reads_any_case(gateway: ForeeGateway) -> None:
    body = {
        "response_data": {
            "bill": {
                "reference_number": "FP1",
                "bill_status": "EXPIRED",
                "buisness_crn": "PA1",
                "customer_phone_number": PHONE,
            }
        }
    }
    notice = gateway.parse_notification(body=json.dumps(body).encode(), content_type="text/plain")
    assert notice.status == GatewayStatus.EXPIRED and notice.reference == "PA1" and notice.provider_txn_id == ""
    assert PHONE not in json.dumps(notice.raw)


def test_notification_reply(gateway: ForeeGateway) -> None:
    assert gateway.notification_reply(accepted=True) == (200, {"code": "00", "status": True, "message": "Received"})
    status, body = gateway.notification_reply(accepted=False)
    assert status == 400 and body["status"] is False and body["code"] == "01"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("paid", GatewayStatus.SUCCEEDED),
        ("PAID", GatewayStatus.SUCCEEDED),
        ("Unpaid", GatewayStatus.PENDING),
        ("expired", GatewayStatus.EXPIRED),
        ("Cancelled", GatewayStatus.CANCELLED),
        ("failed", GatewayStatus.FAILED),
        ("something new", GatewayStatus.PENDING),
        (None, GatewayStatus.PENDING),
    ],
)
def test_status_mapping(value: Any, status: GatewayStatus) -> None:
    assert status_from_foree(value) == status


# ---- errors --------------------------------------------------------------------------------------------------------


def test_a_wrong_api_key_is_rejected(sandbox: Sandbox, payment_settings: Any) -> None:
    payment_settings.FOREE_API_KEY = "not-the-key"
    with pytest.raises(GatewayError) as caught:
        ForeeGateway.from_settings().initiate(payment_request())
    assert caught.value.kind == GatewayErrorKind.REJECTED
    assert caught.value.code == "401" and caught.value.message == "Invalid API key"
    assert "not-the-key" not in json.dumps(caught.value.raw)


def test_a_duplicate_reference_is_rejected(gateway: ForeeGateway) -> None:
    request = payment_request()
    gateway.initiate(request)
    with pytest.raises(GatewayError) as caught:
        gateway.initiate(request)
    assert caught.value.kind == GatewayErrorKind.REJECTED and caught.value.code == "409"


def test_a_slow_status_answer_is_unavailable(sandbox: Sandbox, payment_settings: Any) -> None:
    request = payment_request()
    initiated = ForeeGateway.from_settings().initiate(request)
    payment_settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 0.3
    sandbox.configure(status_delay_ms=1500)
    with pytest.raises(GatewayError) as caught:
        ForeeGateway.from_settings().query_status(
            reference=request.reference, provider_reference=initiated.provider_reference
        )
    assert caught.value.kind == GatewayErrorKind.UNAVAILABLE


def test_a_slow_create_is_unavailable_although_the_bill_exists(sandbox: Sandbox, payment_settings: Any) -> None:
    payment_settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 0.3
    sandbox.configure(create_delay_ms=1500)
    request = payment_request()
    with pytest.raises(GatewayError) as caught:
        ForeeGateway.from_settings().initiate(request)
    assert caught.value.kind == GatewayErrorKind.UNAVAILABLE
    bills = httpx.get(f"{sandbox.base}/sandbox/bills", timeout=5).json()["bills"]
    assert request.reference in {bill["crn"] for bill in bills}  # why a retry needs a new reference


def test_an_unreachable_provider_is_unavailable(payment_settings: Any) -> None:
    with local_http_server(BaseHTTPRequestHandler) as base_url:
        pass  # a port that was just free and now is closed
    payment_settings.FOREE_API_BASE = base_url
    with pytest.raises(GatewayError) as caught:
        ForeeGateway.from_settings().initiate(payment_request())
    assert caught.value.kind == GatewayErrorKind.UNAVAILABLE


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (503, b'{"response_code": 503}', GatewayErrorKind.UNAVAILABLE),
        (429, b"slow down", GatewayErrorKind.UNAVAILABLE),
        (200, b"<html>maintenance</html>", GatewayErrorKind.UNAVAILABLE),
        (200, b'{"response_code": 0, "response_data": {}}', GatewayErrorKind.UNAVAILABLE),
        (400, b"bad request", GatewayErrorKind.REJECTED),
    ],
)
def test_provider_failures_are_mapped(payment_settings: Any, status: int, body: bytes, kind: GatewayErrorKind) -> None:
    with local_http_server(replying(status, body)) as base_url:
        payment_settings.FOREE_API_BASE = base_url
        with pytest.raises(GatewayError) as caught:
            ForeeGateway.from_settings().initiate(payment_request())
    assert caught.value.kind == kind


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": Decimal("10.005")},
        {"amount": Decimal("0.00")},
        {"currency": "USD"},
        {"expires_at": datetime(2030, 1, 1)},  # naive on purpose
    ],
)
def test_requests_foree_cannot_take_are_rejected_before_any_call(
    payment_settings: Any, overrides: dict[str, Any]
) -> None:
    payment_settings.FOREE_API_BASE = "http://127.0.0.1:9"  # nothing may be called
    with pytest.raises(GatewayError) as caught:
        ForeeGateway.from_settings().initiate(payment_request(**overrides))
    assert caught.value.kind == GatewayErrorKind.REJECTED


# ---- refunds -------------------------------------------------------------------------------------------------------


def test_refund_is_recorded_without_calling_foree(payment_settings: Any) -> None:
    payment_settings.FOREE_API_BASE = "http://127.0.0.1:9"  # nothing may be called
    outcome = ForeeGateway.from_settings().refund(
        reference="PA1",
        provider_reference="FP1",
        provider_txn_id="FT1",
        amount=Decimal("250.00"),
        currency="PKR",
        refund_reference="RF42",
    )
    assert outcome.status == GatewayStatus.SUCCEEDED
    assert outcome.provider_reference == "manual-RF42"
    assert outcome.message == "Recorded: refund paid out through the Foree Pay merchant portal"
    assert outcome.request["amount"] == "250.00"
