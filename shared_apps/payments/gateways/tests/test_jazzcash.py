"""JazzCashGateway against the real sandbox process over HTTP (no mocks), plus a few local servers for the failures
the sandbox does not produce (5xx, forged answers)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from sandboxes import jazzcash as sandbox
from sandboxes.testing import SandboxServer, local_http_server, replying
from shared_apps.payments.gateways import gateway_for
from shared_apps.payments.gateways.base import GatewayError, GatewayErrorKind, GatewayStatus, PaymentRequest
from shared_apps.payments.gateways.jazzcash import JazzCashGateway, hash_matches, secure_hash
from shared_apps.payments.gateways.redaction import SECRET

FORM = "application/x-www-form-urlencoded"


def payment_request(**overrides: Any) -> PaymentRequest:
    values = {
        "reference": "T" + secrets.token_hex(8),
        "amount": Decimal("1234.50"),
        "currency": "PKR",
        "order_number": "PL-1001",
        "description": "Groceries from Al-Fatah",
        "customer_name": "Ayesha Khan",
        "customer_phone": "03001234567",
        "customer_email": "ayesha@example.com",
        "return_url": "http://127.0.0.1:9/payments/return/jazzcash",
        "expires_at": datetime.now(UTC) + timedelta(minutes=15),
        **overrides,
    }
    return PaymentRequest(**values)


@pytest.fixture
def sandbox_url(payment_settings: Any, sandbox_server: SandboxServer) -> Iterator[str]:
    """The sandbox's /jazzcash base with IPNs off (nothing listens for them here); its config reset afterwards."""
    base = f"{sandbox_server.base_url}/jazzcash"
    httpx.post(f"{base}/sandbox/config", json={"enabled": False}, timeout=5).raise_for_status()
    yield base
    httpx.delete(f"{base}/sandbox/config", timeout=5).raise_for_status()


@pytest.fixture
def gateway(sandbox_url: str) -> JazzCashGateway:
    return JazzCashGateway.from_settings()


def started(gateway: JazzCashGateway, **overrides: Any) -> tuple[PaymentRequest, dict[str, str]]:
    """Initiate, then post the form to the sandbox as the customer's browser would."""
    request = payment_request(**overrides)
    initiated = gateway.initiate(request)
    page = httpx.post(initiated.redirect.url, data=initiated.redirect.fields, timeout=10)
    assert page.status_code == 200 and "PKR 1,234.50" in page.text, page.text
    return request, initiated.redirect.fields


def press(sandbox_url: str, reference: str, outcome: str = "paid") -> dict[str, str]:
    """The customer's button on the hosted page; returns the signed fields posted back to us."""
    response = httpx.post(f"{sandbox_url}/sandbox/transactions/{reference}/pay", json={"outcome": outcome}, timeout=10)
    response.raise_for_status()
    return response.json()["return_fields"]


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


# ---- hashing and the form ------------------------------------------------------------------------------------------


def test_secure_hash_matches_the_documented_example() -> None:
    fields = {"pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28", "pp_Amount": "2995"}
    expected = "c7689cda7474eb1adcd343fd0c0b676bad0ba66361cc46db589bdb0da4c1c867"
    assert secure_hash(fields, "0F5DD14AE2") == expected
    assert secure_hash({**fields, "pp_SecureHash": "zz", "pp_BankID": "", "x": "y"}, "0F5DD14AE2") == expected
    assert hash_matches({**fields, "pp_SecureHash": expected.upper()}, "0F5DD14AE2")  # JazzCash sends uppercase
    assert not hash_matches({**fields, "pp_Amount": "2996", "pp_SecureHash": expected}, "0F5DD14AE2")
    assert not hash_matches(fields, "0F5DD14AE2")


def test_initiate_builds_the_signed_v11_form(gateway: JazzCashGateway, settings: Any) -> None:
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    request = payment_request(expires_at=expires)
    initiated = gateway.initiate(request)
    fields = initiated.redirect.fields
    assert initiated.redirect.url == settings.JAZZCASH_FORM_URL and initiated.redirect.method == "POST"
    assert initiated.provider_reference == request.reference == fields["pp_TxnRefNo"]
    assert fields["pp_Amount"] == "123450" and fields["pp_TxnCurrency"] == "PKR"
    assert fields["pp_TxnExpiryDateTime"] == "20300102080405"  # Pakistan time, UTC+5
    assert len(fields["pp_TxnDateTime"]) == 14 and fields["pp_Version"] == "1.1"
    assert fields["pp_TxnType"] == settings.JAZZCASH_TXN_TYPE and fields["pp_BillReference"] == "PL1001"
    assert fields["pp_Password"] == settings.JAZZCASH_PASSWORD  # the browser posts it: JazzCash's design
    assert fields["ppmpf_1"] == "03001234567" and fields["pp_ReturnURL"] == request.return_url
    assert fields["pp_SecureHash"] == sandbox.sign(fields, settings.JAZZCASH_INTEGRITY_SALT).lower()
    kept = initiated.request
    assert kept["pp_Password"] == SECRET and kept["ppmpf_1"].endswith("4567") and "03001234567" not in str(kept)
    assert settings.JAZZCASH_PASSWORD not in json.dumps(kept) and initiated.response == {}


@pytest.mark.parametrize("overrides", [{"currency": "USD"}, {"amount": Decimal("10.005")}, {"amount": Decimal("0")}])
def test_initiate_refuses_what_jazzcash_cannot_take(gateway: JazzCashGateway, overrides: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as error:
        gateway.initiate(payment_request(**overrides))
    assert error.value.kind is GatewayErrorKind.REJECTED


def test_gateway_for_builds_it_from_settings(sandbox_url: str) -> None:
    assert isinstance(gateway_for("jazzcash"), JazzCashGateway) and gateway_for("jazzcash").name == "jazzcash"


# ---- the whole payment ---------------------------------------------------------------------------------------------


def test_pay_then_query_and_parse_the_return(gateway: JazzCashGateway, sandbox_url: str) -> None:
    request, _ = started(gateway)
    pending = gateway.query_status(reference=request.reference, provider_reference=request.reference)
    assert pending.status is GatewayStatus.PENDING and pending.code == "157"
    returned = press(sandbox_url, request.reference)

    status = gateway.query_status(reference=request.reference, provider_reference=request.reference)
    assert status.status is GatewayStatus.SUCCEEDED and status.amount == Decimal("1234.50")
    assert isinstance(status.amount, Decimal) and status.provider_txn_id == returned["pp_RetreivalReferenceNo"] != ""
    assert status.code == "000" and status.raw["pp_TxnRefNo"] == request.reference

    notice = gateway.parse_notification(body=form_body(returned), content_type=FORM)
    assert notice.status is GatewayStatus.SUCCEEDED and notice.reference == notice.provider_reference
    assert notice.reference == request.reference and notice.provider_txn_id == status.provider_txn_id
    assert notice.dedupe_key == f"{status.provider_txn_id}:succeeded"
    as_json = gateway.parse_notification(body=json.dumps(returned).encode(), content_type="application/json")
    assert as_json == notice


@pytest.mark.parametrize(
    ("outcome", "expected"), [("failed", GatewayStatus.FAILED), ("cancelled", GatewayStatus.CANCELLED)]
)
def test_unsuccessful_payments(
    gateway: JazzCashGateway, sandbox_url: str, outcome: str, expected: GatewayStatus
) -> None:
    request, _ = started(gateway)
    returned = press(sandbox_url, request.reference, outcome)
    notice = gateway.parse_notification(body=form_body(returned), content_type=FORM)
    status = gateway.query_status(reference=request.reference, provider_reference="")
    assert notice.status is status.status is expected and status.amount is None
    assert status.message == returned["pp_ResponseMessage"] and notice.provider_txn_id == ""


def test_an_unknown_transaction_is_pending(gateway: JazzCashGateway) -> None:
    status = gateway.query_status(reference="Tneverposted", provider_reference="Tneverposted")
    assert status.status is GatewayStatus.PENDING and status.code == "109"


def test_forged_notifications_are_invalid(gateway: JazzCashGateway, sandbox_url: str, settings: Any) -> None:
    request, _ = started(gateway)
    returned = press(sandbox_url, request.reference)
    tampered = {**returned, "pp_Amount": "1"}
    unsigned = {k: v for k, v in returned.items() if k != "pp_SecureHash"}
    other_merchant = {**unsigned, "pp_MerchantID": "MC99999"}
    other_merchant["pp_SecureHash"] = sandbox.sign(other_merchant, settings.JAZZCASH_INTEGRITY_SALT)
    for body in (form_body(tampered), form_body(unsigned), form_body(other_merchant), b"\xff\xfe", b"not=a&form"):
        with pytest.raises(GatewayError) as error:
            gateway.parse_notification(body=body, content_type=FORM)
        assert error.value.kind is GatewayErrorKind.INVALID and error.value.code == "115"
    with pytest.raises(GatewayError) as error:
        gateway.parse_notification(body=b"[1, 2]", content_type="application/json")
    assert error.value.kind is GatewayErrorKind.INVALID
    accepted = {"pp_ResponseCode": "000", "pp_ResponseMessage": "Received"}
    assert gateway.notification_reply(accepted=True) == (200, accepted)
    assert gateway.notification_reply(accepted=False)[0] == 400


# ---- refunds -------------------------------------------------------------------------------------------------------


def test_refund_partial_then_rest_then_over(gateway: JazzCashGateway, sandbox_url: str, settings: Any) -> None:
    request, _ = started(gateway)
    ref = request.reference
    with pytest.raises(GatewayError) as error:
        gateway.refund(
            reference=ref,
            provider_reference=ref,
            provider_txn_id="",
            amount=Decimal("1.00"),
            currency="PKR",
            refund_reference="R0",
        )
    assert (error.value.kind, error.value.code) == (GatewayErrorKind.REJECTED, "452")
    press(sandbox_url, ref)

    def refund(amount: str) -> Any:
        return gateway.refund(
            reference=ref,
            provider_reference=ref,
            provider_txn_id="x",
            amount=Decimal(amount),
            currency="PKR",
            refund_reference="R" + amount,
        )

    partial = refund("234.50")
    assert partial.status is GatewayStatus.SUCCEEDED and partial.code == "000" and partial.provider_reference == ref
    assert partial.request["pp_Amount"] == "23450" and partial.response["pp_ResponseCode"] == "000"
    for kept in (partial.request, partial.response):
        assert settings.JAZZCASH_PASSWORD not in json.dumps(kept)
    assert partial.request["pp_Password"] == partial.request["pp_MerchantMPIN"] == SECRET
    assert refund("1000.00").status is GatewayStatus.SUCCEEDED
    with pytest.raises(GatewayError) as error:
        refund("0.01")
    assert (error.value.kind, error.value.code) == (GatewayErrorKind.REJECTED, "110") and error.value.message
    assert error.value.raw["pp_ResponseCode"] == "110"
    status = gateway.query_status(reference=ref, provider_reference=ref)
    assert status.status is GatewayStatus.SUCCEEDED and status.raw["pp_RefundedAmount"] == "123450"


def test_wrong_credentials_are_rejected(gateway: JazzCashGateway, settings: Any) -> None:
    settings.JAZZCASH_PASSWORD = "not-the-password"
    with pytest.raises(GatewayError) as error:
        JazzCashGateway.from_settings().query_status(reference="Tx", provider_reference="Tx")
    assert (error.value.kind, error.value.code) == (GatewayErrorKind.REJECTED, "101")
    assert "not-the-password" not in json.dumps(error.value.raw)


# ---- failures of the provider --------------------------------------------------------------------------------------


def test_slow_answers_time_out_as_unavailable(gateway: JazzCashGateway, sandbox_url: str, settings: Any) -> None:
    httpx.post(f"{sandbox_url}/sandbox/config", json={"inquiry_delay_ms": 1500}, timeout=5).raise_for_status()
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 0.3
    with pytest.raises(GatewayError) as error:
        JazzCashGateway.from_settings().query_status(reference="Tslow", provider_reference="Tslow")
    assert error.value.kind is GatewayErrorKind.UNAVAILABLE


def test_unreachable_provider_is_unavailable(gateway: JazzCashGateway, settings: Any) -> None:
    settings.JAZZCASH_API_BASE = "http://127.0.0.1:9/jazzcash"
    with pytest.raises(GatewayError) as error:
        JazzCashGateway.from_settings().refund(
            reference="Tx",
            provider_reference="Tx",
            provider_txn_id="",
            amount=Decimal("1"),
            currency="PKR",
            refund_reference="R",
        )
    assert error.value.kind is GatewayErrorKind.UNAVAILABLE


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (502, {"error": "bad gateway"}, "502"),
        (200, {"pp_ResponseCode": "000", "pp_PaymentResponseCode": "000", "pp_SecureHash": "AB" * 32}, "115"),
        (200, {"pp_ResponseCode": "000", "pp_PaymentResponseCode": "000"}, "115"),  # a success must be signed
        (200, {"pp_ResponseCode": "199", "pp_ResponseMessage": "System error"}, "199"),
    ],
)
def test_unusable_answers_are_unavailable(
    gateway: JazzCashGateway, settings: Any, status: int, body: dict[str, Any], code: str
) -> None:
    with local_http_server(replying(status, json.dumps(body).encode(), "application/json")) as base_url:
        settings.JAZZCASH_API_BASE = base_url
        with pytest.raises(GatewayError) as error:
            JazzCashGateway.from_settings().query_status(reference="Tx", provider_reference="Tx")
    assert (error.value.kind, error.value.code) == (GatewayErrorKind.UNAVAILABLE, code)
