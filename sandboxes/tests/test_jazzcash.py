"""The JazzCash sandbox over real HTTP: page redirection, the hosted page's buttons, IPN, inquiry, refund, control."""

from __future__ import annotations

import queue
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from django.conf import settings

from sandboxes.jazzcash import PAKISTAN, sign
from sandboxes.testing import PostRecorder, Received, SandboxServer, post_recorder
from shared_apps.payments.gateways.jazzcash import secure_hash

DOC_SALT = "0F5DD14AE2"
DOC_FIELDS = {"pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28", "pp_Amount": "2995"}
DOC_HASH = "c7689cda7474eb1adcd343fd0c0b676bad0ba66361cc46db589bdb0da4c1c867"
RETURN_URL = "http://127.0.0.1:9/payments/return/jazzcash"
INQUIRE = "/ApplicationAPI/API/PaymentInquiry/Inquire"
REFUND = "/ApplicationAPI/API/2.0/Purchase/Refund/MobileAccount"


class FormReader(HTMLParser):
    """The forms of a page: action → {name: value} of its inputs and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag in ("input", "button") and self.forms and values.get("name"):
            self.forms[-1][1][values["name"]] = values.get("value", "")


def forms_of(page: str) -> list[tuple[str, dict[str, str]]]:
    reader = FormReader()
    reader.feed(page)
    return reader.forms


@dataclass
class Jazz:
    server: SandboxServer
    merchant_id: str = field(default_factory=lambda: settings.JAZZCASH_MERCHANT_ID)
    password: str = field(default_factory=lambda: settings.JAZZCASH_PASSWORD)
    salt: str = field(default_factory=lambda: settings.JAZZCASH_INTEGRITY_SALT)
    mpin: str = field(default_factory=lambda: settings.JAZZCASH_MPIN)

    @property
    def base(self) -> str:
        return f"{self.server.base_url}/jazzcash"

    def form(self, *, sign_it: bool = True, **overrides: str) -> dict[str, str]:
        now = datetime.now(PAKISTAN)
        fields = {
            "pp_Version": "1.1",
            "pp_TxnType": "MWALLET",
            "pp_Language": "EN",
            "pp_MerchantID": self.merchant_id,
            "pp_SubMerchantID": "",
            "pp_Password": self.password,
            "pp_BankID": "",
            "pp_ProductID": "",
            "pp_TxnRefNo": "T" + secrets.token_hex(8),
            "pp_Amount": "123450",
            "pp_TxnCurrency": "PKR",
            "pp_TxnDateTime": now.strftime("%Y%m%d%H%M%S"),
            "pp_TxnExpiryDateTime": (now + timedelta(minutes=15)).strftime("%Y%m%d%H%M%S"),
            "pp_BillReference": "PL1001",
            "pp_Description": "Groceries from Al-Fatah",
            "pp_ReturnURL": RETURN_URL,
            "ppmpf_1": "03001234567",
            **overrides,
        }
        if sign_it:
            fields["pp_SecureHash"] = sign(fields, self.salt)
        return fields

    def post_form(self, fields: dict[str, str]) -> httpx.Response:
        url = f"{self.base}/CustomerPortal/transactionmanagement/merchantform/"
        return httpx.post(url, data=fields, timeout=10)

    def open(self, **overrides: str) -> tuple[dict[str, str], httpx.Response]:
        fields = self.form(**overrides)
        page = self.post_form(fields)
        assert page.status_code == 200 and "Pay" in page.text, page.text
        return fields, page

    def api(self, path: str, body: dict[str, str], *, sign_it: bool = True) -> dict[str, str]:
        if sign_it:
            body = {**body, "pp_SecureHash": sign(body, self.salt)}
        response = httpx.post(f"{self.base}{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["pp_SecureHash"] == sign(answer, self.salt)  # every answer is signed
        return answer

    def inquire(self, txn_ref: str) -> dict[str, str]:
        body = {"pp_TxnRefNo": txn_ref, "pp_MerchantID": self.merchant_id, "pp_Password": self.password}
        return self.api(INQUIRE, {**body, "pp_Version": "1.1"})

    def refund(self, txn_ref: str, paisa: str, **overrides: str) -> dict[str, str]:
        body = {
            "pp_TxnRefNo": txn_ref,
            "pp_Amount": paisa,
            "pp_TxnCurrency": "PKR",
            "pp_MerchantID": self.merchant_id,
            "pp_Password": self.password,
            "pp_MerchantMPIN": self.mpin,
            **overrides,
        }
        return self.api(REFUND, body)

    def pay(self, txn_ref: str, outcome: str = "paid") -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/transactions/{txn_ref}/pay", json={"outcome": outcome}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/config", json=changes, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def transaction(self, txn_ref: str) -> dict[str, Any] | None:
        listing = httpx.get(f"{self.base}/sandbox/transactions", timeout=5).json()["transactions"]
        return next((t for t in listing if t["txn_ref"] == txn_ref), None)


@pytest.fixture
def jazz(sandbox_server: SandboxServer) -> Iterator[Jazz]:
    """The sandbox with IPNs off (the default URL is the developer's own server); config reset afterwards."""
    client = Jazz(sandbox_server)
    client.configure(enabled=False)
    yield client
    httpx.delete(f"{client.base}/sandbox/config", timeout=5).raise_for_status()


def _ipn_fields(received: Received) -> dict[str, str]:
    assert received.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    return dict(parse_qsl(received.body.decode(), keep_blank_values=True))


@pytest.fixture
def ipn(jazz: Jazz) -> Iterator[PostRecorder]:
    """Our IPN endpoint stand-in: `next()` is each IPN's fields (500 while `failures_left`)."""
    with post_recorder(parse=_ipn_fields, fail_status=500) as receiver:
        receiver.url = f"{receiver.base_url}/api/v1/payments/webhooks/jazzcash"
        jazz.configure(enabled=True, ipn_url=receiver.url)
        yield receiver


def return_post(page: httpx.Response) -> dict[str, str]:
    """The signed fields of the page's auto-submitting post back to pp_ReturnURL (checked to be signed)."""
    assert page.status_code == 200, page.text
    _, fields = next(f for f in forms_of(page.text) if f[0] == RETURN_URL)
    assert "Return to merchant" in page.text and ".submit()" in page.text
    return fields


def assert_signed(fields: dict[str, str], salt: str) -> None:
    assert fields["pp_SecureHash"] == sign(fields, salt)
    assert secure_hash(fields, salt) == fields["pp_SecureHash"].lower()  # the adapter agrees


# ---- hashing -------------------------------------------------------------------------------------------------------


def test_sandbox_and_adapter_hash_the_documented_example() -> None:
    assert sign(DOC_FIELDS, DOC_SALT) == DOC_HASH.upper()
    assert secure_hash(DOC_FIELDS, DOC_SALT) == DOC_HASH
    with_noise = {**DOC_FIELDS, "pp_SecureHash": "x", "pp_BankID": "", "other": "ignored"}
    assert sign(with_noise, DOC_SALT) == DOC_HASH.upper()


# ---- page redirection ----------------------------------------------------------------------------------------------


def test_signed_form_shows_the_hosted_page_and_stores_no_password(jazz: Jazz) -> None:
    fields, page = jazz.open()
    assert "PKR 1,234.50" in page.text and "Groceries from Al-Fatah" in page.text
    assert "03001234567" in page.text  # the mobile account prefilled
    action, buttons = forms_of(page.text)[0]
    assert action.endswith(f"/checkout/{fields['pp_TxnRefNo']}") and buttons["mobile"] == "03001234567"
    stored = jazz.transaction(fields["pp_TxnRefNo"])
    assert stored is not None and stored["status"] == "pending" and stored["amount"] == 123450
    assert "pp_Password" not in stored["fields"] and jazz.password not in page.text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"pp_Password": "wrong"}, "101"),
        ({"pp_Amount": "12.50"}, "110"),
        ({"pp_TxnCurrency": "USD"}, "110"),
        ({"pp_TxnExpiryDateTime": (datetime.now(PAKISTAN) - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S")}, "116"),
    ],
)
def test_refused_forms_post_back_a_signed_error(jazz: Jazz, overrides: dict[str, str], code: str) -> None:
    fields = jazz.form(**overrides)
    answer = return_post(jazz.post_form(fields))
    assert answer["pp_ResponseCode"] == code and answer["pp_TxnRefNo"] == fields["pp_TxnRefNo"]
    assert_signed(answer, jazz.salt)
    assert jazz.transaction(fields["pp_TxnRefNo"]) is None


def test_bad_hash_posts_back_115(jazz: Jazz) -> None:
    fields = jazz.form()
    fields["pp_Amount"] = "100"  # tampered after signing
    answer = return_post(jazz.post_form(fields))
    assert answer["pp_ResponseCode"] == "115" and answer["pp_AuthCode"] == "" and answer["ppmpf_1"] == "03001234567"
    assert_signed(answer, jazz.salt)
    missing = jazz.form(sign_it=False)
    assert return_post(jazz.post_form(missing))["pp_ResponseCode"] == "115"


def test_duplicate_reference_is_refused(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    again = jazz.form(pp_TxnRefNo=fields["pp_TxnRefNo"], pp_Amount="1")
    answer = return_post(jazz.post_form(again))
    assert answer["pp_ResponseCode"] == "110" and "Duplicate" in answer["pp_ResponseMessage"]
    assert jazz.transaction(fields["pp_TxnRefNo"])["amount"] == 123450  # the first one is untouched


def test_missing_return_url_is_an_error_page(jazz: Jazz) -> None:
    response = jazz.post_form(jazz.form(pp_ReturnURL=""))
    assert response.status_code == 400


@pytest.mark.parametrize(("outcome", "code"), [("paid", "000"), ("failed", "999"), ("cancelled", "112")])
def test_buttons_post_back_signed_results(jazz: Jazz, outcome: str, code: str) -> None:
    fields, page = jazz.open()
    action, _ = forms_of(page.text)[0]
    pressed = httpx.post(f"{jazz.server.base_url}{action}", data={"outcome": outcome, "mobile": "03009999999"})
    answer = return_post(pressed)
    assert_signed(answer, jazz.salt)
    assert answer["pp_ResponseCode"] == code and answer["pp_TxnRefNo"] == fields["pp_TxnRefNo"]
    assert answer["pp_Amount"] == "123450" and answer["pp_MerchantID"] == jazz.merchant_id
    assert bool(answer["pp_RetreivalReferenceNo"]) == bool(answer["pp_AuthCode"]) == (outcome == "paid")
    # Pressing another button afterwards changes nothing.
    again = return_post(httpx.post(f"{jazz.server.base_url}{action}", data={"outcome": "paid"}))
    assert again == answer


def test_a_paid_transaction_stays_paid(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    first = jazz.pay(fields["pp_TxnRefNo"])
    later = jazz.pay(fields["pp_TxnRefNo"], "failed")
    assert first["changed"] and not later["changed"]
    assert later["transaction"]["status"] == "paid" and later["return_fields"] == first["return_fields"]
    assert first["return_url"] == RETURN_URL
    retrieval_refs = {jazz.pay(jazz.open()[0]["pp_TxnRefNo"])["return_fields"]["pp_RetreivalReferenceNo"] for _ in "ab"}
    assert first["return_fields"]["pp_RetreivalReferenceNo"] not in retrieval_refs and len(retrieval_refs) == 2


def test_pay_control_refuses_unknown_outcomes_and_transactions(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    bad = httpx.post(f"{jazz.base}/sandbox/transactions/{fields['pp_TxnRefNo']}/pay", json={"outcome": "maybe"})
    assert bad.status_code == 400
    assert httpx.post(f"{jazz.base}/sandbox/transactions/Tnope/pay").status_code == 404


def test_paying_after_the_expiry_expires_it(jazz: Jazz) -> None:
    soon = (datetime.now(PAKISTAN) + timedelta(seconds=2)).strftime("%Y%m%d%H%M%S")
    fields, _ = jazz.open(pp_TxnExpiryDateTime=soon)
    time.sleep(3.1)
    inquiry = jazz.inquire(fields["pp_TxnRefNo"])
    assert inquiry["pp_PaymentResponseCode"] == "134" and inquiry["pp_Status"] == "Expired"
    assert jazz.pay(fields["pp_TxnRefNo"])["return_fields"]["pp_ResponseCode"] == "116"


# ---- IPN -----------------------------------------------------------------------------------------------------------


def test_ipn_is_delivered_signed_with_duplicates(jazz: Jazz, ipn: PostRecorder) -> None:
    jazz.configure(duplicates=2)
    fields, _ = jazz.open()
    result = jazz.pay(fields["pp_TxnRefNo"])
    copies = [ipn.next() for _ in range(3)]
    assert all(copy == result["return_fields"] for copy in copies)
    assert_signed(copies[0], jazz.salt)
    assert copies[0]["pp_ResponseCode"] == "000"
    jazz.pay(fields["pp_TxnRefNo"])  # no change, so no new notification
    with pytest.raises(queue.Empty):
        ipn.next(timeout=0.5)


def test_ipn_is_delayed_without_delaying_the_browser_and_retried_on_5xx(jazz: Jazz, ipn: PostRecorder) -> None:
    jazz.configure(delay_ms=1000)
    ipn.failures_left = 1
    _, page = jazz.open()
    action, _ = forms_of(page.text)[0]
    started = time.monotonic()
    answer = return_post(httpx.post(f"{jazz.server.base_url}{action}", data={"outcome": "cancelled"}))
    assert time.monotonic() - started < 0.8
    with pytest.raises(queue.Empty):
        ipn.next(timeout=0.5)
    assert ipn.next() == answer  # the second attempt, after a 500
    assert answer["pp_ResponseCode"] == "112"


# ---- inquiry and refund --------------------------------------------------------------------------------------------


def test_inquiry_reports_unknown_pending_and_paid(jazz: Jazz) -> None:
    assert jazz.inquire("Tunknown")["pp_ResponseCode"] == "109"
    fields, _ = jazz.open()
    pending = jazz.inquire(fields["pp_TxnRefNo"])
    assert (pending["pp_ResponseCode"], pending["pp_PaymentResponseCode"], pending["pp_Status"]) == (
        "000",
        "157",
        "Pending",
    )
    paid = jazz.pay(fields["pp_TxnRefNo"])["return_fields"]
    answer = jazz.inquire(fields["pp_TxnRefNo"])
    assert answer["pp_PaymentResponseCode"] == "000" and answer["pp_Status"] == "Completed"
    assert answer["pp_RetrievalReferenceNo"] == paid["pp_RetreivalReferenceNo"]
    assert answer["pp_AuthCode"] == paid["pp_AuthCode"] and answer["pp_Amount"] == "123450"
    assert len(answer["pp_SettlementDate"]) == 8


def test_apis_refuse_bad_hashes_and_credentials(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    txn_ref = fields["pp_TxnRefNo"]
    jazz.pay(txn_ref)
    body = {"pp_TxnRefNo": txn_ref, "pp_MerchantID": jazz.merchant_id, "pp_Password": jazz.password}
    forged = {**body, "pp_Version": "1.1", "pp_SecureHash": "00" * 32}
    assert jazz.api(INQUIRE, forged, sign_it=False)["pp_ResponseCode"] == "115"
    refund = {**body, "pp_Amount": "100", "pp_TxnCurrency": "PKR", "pp_MerchantMPIN": jazz.mpin}
    assert jazz.api(REFUND, {**refund, "pp_SecureHash": "ab"}, sign_it=False)["pp_ResponseCode"] == "115"
    assert jazz.refund(txn_ref, "100", pp_MerchantMPIN="0000")["pp_ResponseCode"] == "101"
    assert jazz.refund(txn_ref, "100", pp_Password="nope")["pp_ResponseCode"] == "101"
    assert jazz.inquire(txn_ref)["pp_RefundedAmount"] == "0"


def test_refunds_partial_then_rest_then_over(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    txn_ref = fields["pp_TxnRefNo"]
    assert jazz.refund(txn_ref, "100")["pp_ResponseCode"] == "452"  # not paid yet
    assert jazz.refund("Tunknown", "100")["pp_ResponseCode"] == "109"
    jazz.pay(txn_ref)
    assert jazz.refund(txn_ref, "0")["pp_ResponseCode"] == "110"
    assert jazz.refund(txn_ref, "123451")["pp_ResponseCode"] == "110"
    assert jazz.refund(txn_ref, "10000")["pp_ResponseCode"] == "000"
    assert jazz.refund(txn_ref, "3450")["pp_ResponseCode"] == "000"  # a second partial refund is allowed here
    assert jazz.refund(txn_ref, "110001")["pp_ResponseCode"] == "110"
    assert jazz.refund(txn_ref, "110000")["pp_ResponseCode"] == "000"
    assert jazz.refund(txn_ref, "1")["pp_ResponseCode"] == "110"
    answer = jazz.inquire(txn_ref)
    assert answer["pp_PaymentResponseCode"] == "000" and answer["pp_RefundedAmount"] == "123450"


def test_failed_payments_cannot_be_refunded(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    jazz.pay(fields["pp_TxnRefNo"], "failed")
    assert jazz.refund(fields["pp_TxnRefNo"], "100")["pp_ResponseCode"] == "452"


# ---- control -------------------------------------------------------------------------------------------------------


def test_config_partial_update_validation_and_listing(jazz: Jazz) -> None:
    config = jazz.configure(duplicates=1, inquiry_delay_ms=5)
    assert config["duplicates"] == 1 and config["inquiry_delay_ms"] == 5 and config["enabled"] is False
    bad = httpx.post(f"{jazz.base}/sandbox/config", json={"duplicates": -1, "colour": "red"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"duplicates", "colour"}
    reset = httpx.delete(f"{jazz.base}/sandbox/config").json()
    assert reset["duplicates"] == 0 and reset["enabled"] is True
    fields, _ = jazz.open()
    page = httpx.get(f"{jazz.base}/sandbox/transactions", headers={"Accept": "text/html"})
    assert fields["pp_TxnRefNo"] in page.text and "<table>" in page.text


def test_concurrent_refunds_never_exceed_the_paid_amount(jazz: Jazz) -> None:
    fields, _ = jazz.open()
    jazz.pay(fields["pp_TxnRefNo"])
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda _: jazz.refund(fields["pp_TxnRefNo"], "20000")["pp_ResponseCode"], range(10)))
    assert codes.count("000") == 6 and codes.count("110") == 4  # 6 * 200.00 <= 1,234.50 < 7 * 200.00
    assert jazz.inquire(fields["pp_TxnRefNo"])["pp_RefundedAmount"] == "120000"
