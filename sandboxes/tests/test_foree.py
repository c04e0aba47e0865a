"""The Foree Pay sandbox over real HTTP: the bill API, the hosted page, notifications and the control endpoints."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings

from sandboxes.testing import PostRecorder, SandboxServer, post_recorder


@dataclass
class Foree:
    base: str  # {sandbox}/foree
    key: str

    def api(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        headers = {"X-API-KEY": self.key if key is None else key}
        return httpx.post(f"{self.base}{path}", json=body, headers=headers, timeout=10)

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/config", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def create(self, **overrides: Any) -> dict[str, Any]:
        response = self.api("/business/import_bill", bill_body(**overrides))
        payload = response.json()
        assert response.status_code == 200 and payload["response_code"] == 0, payload
        return payload["response_data"]

    def status(self, reference: str) -> dict[str, Any]:
        payload = self.api("/checkout/bill_status", {"reference_number": reference}).json()
        assert payload["response_code"] == 0, payload
        return payload["response_data"]["bill"]

    def act(self, reference: str, **body: Any) -> httpx.Response:
        return httpx.post(f"{self.base}/sandbox/bills/{reference}/pay", json=body, timeout=10)


def new_crn() -> str:
    return "T" + secrets.token_hex(6)


def bill_body(**overrides: Any) -> dict[str, Any]:
    expiry = int(time.time() * 1000) + 15 * 60 * 1000
    body = {
        "crn": new_crn(),
        "sub_biller_name": "Corner Store",
        "consumer_name": "Ayesha Khan",
        "customer_email_address": "ayesha@example.com",
        "customer_phone_number": "03001234567",
        "amount": "1500.50",
        "late_amount": "1500.50",
        "due_date": expiry,
        "expiry_date": expiry,
        "return_url": "https://shop.example/pay/return?attempt=7",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def foree(sandbox_server: SandboxServer) -> Iterator[Foree]:
    """The sandbox with notifications off (nothing reaches a developer's server on :8000); config reset after."""
    client = Foree(base=f"{sandbox_server.base_url}/foree", key=settings.FOREE_API_KEY)
    httpx.delete(f"{client.base}/sandbox/config", timeout=5).raise_for_status()
    client.configure(enabled=False)
    yield client
    httpx.delete(f"{client.base}/sandbox/config", timeout=5).raise_for_status()


@pytest.fixture
def receiver(foree: Foree) -> Iterator[PostRecorder]:
    """Our notification endpoint stand-in: `next()` is each JSON body, answered like our webhook view (503 while
    `failures_left`); the sandbox is configured to notify it."""
    reply = b'{"code": "00", "status": true, "message": "Received"}'
    with post_recorder(parse=lambda received: json.loads(received.body), reply=reply) as received:
        received.url = f"{received.base_url}/api/v1/payments/webhooks/foree"
        foree.configure(enabled=True, notification_url=received.url)
        yield received


# ---- the bill API --------------------------------------------------------------------------------------------------


def test_a_wrong_api_key_is_refused_with_401(foree: Foree) -> None:
    for path in ("/business/import_bill", "/checkout/bill_status"):
        response = foree.api(path, bill_body(), key="not-the-key")
        assert response.status_code == 401
        assert response.json() == {"response_code": 401, "response_message": "Invalid API key"}
    response = httpx.post(f"{foree.base}/business/import_bill", json=bill_body(), timeout=5)  # no header at all
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"crn": None}, "crn"),
        ({"crn": "has spaces"}, "crn"),
        ({"crn": "X" * 21}, "crn"),
        ({"amount": None}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"expiry_date": None}, "expiry_date"),
        ({"expiry_date": 1_000_000}, "expiry_date"),
        ({"expiry_date": "tomorrow"}, "expiry_date"),
        ({"return_url": "/relative"}, "return_url"),
    ],
)
def test_import_bill_validates_fields(foree: Foree, overrides: dict[str, Any], message: str) -> None:
    response = foree.api("/business/import_bill", bill_body(**overrides))
    payload = response.json()
    assert payload["response_code"] == 400
    assert message in payload["response_message"]


def test_import_bill_refuses_a_body_that_is_not_json(foree: Foree) -> None:
    response = httpx.post(
        f"{foree.base}/business/import_bill", content=b"crn=1", headers={"X-API-KEY": foree.key}, timeout=5
    )
    assert response.json()["response_code"] == 400


def test_a_crn_is_unique_per_api_key(foree: Foree) -> None:
    crn = new_crn()
    foree.create(crn=crn)
    payload = foree.api("/business/import_bill", bill_body(crn=crn)).json()
    assert payload["response_code"] == 409
    assert crn in payload["response_message"]


def test_a_new_bill_is_unpaid_with_a_link_to_the_hosted_page(foree: Foree, sandbox_server: SandboxServer) -> None:
    crn = new_crn()
    data = foree.create(crn=crn, amount=1500.5)  # a JSON number is accepted too
    assert re.fullmatch(r"FP\d{12}", data["reference_number"])
    assert data["payment_link"] == f"{sandbox_server.base_url}/foree/pay/{data['reference_number']}"
    assert data["bill_status"] == "unpaid"

    bill = foree.status(data["reference_number"])
    assert bill["crn"] == crn
    assert bill["bill_status"] == "unpaid"
    assert bill["amount"] == 1500.5 and bill["paid_amount"] is None
    assert bill["transaction_ref_id"] is None


def test_bill_status_of_an_unknown_bill_is_an_error(foree: Foree) -> None:
    payload = foree.api("/checkout/bill_status", {"reference_number": "FP000000000000"}).json()
    assert payload["response_code"] == 404
    assert foree.api("/checkout/bill_status", {}).json()["response_code"] == 404


# ---- the hosted page -----------------------------------------------------------------------------------------------


def test_the_hosted_page_shows_the_bill_and_three_buttons(foree: Foree) -> None:
    crn = new_crn()
    data = foree.create(crn=crn, amount="12500.00")
    page = httpx.get(data["payment_link"], timeout=5)
    assert page.status_code == 200
    text = page.text
    assert "<html lang='en'>" in text and "width=device-width" in text
    assert "Corner Store" in text and "PKR 12,500.00" in text and crn in text
    for value, label in (("paid", "Pay"), ("failed", "Fail"), ("cancelled", "Cancel")):
        assert f"value='{value}'>{label}</button>" in text
    assert "http" not in text.split("<body>", 1)[1].replace(data["reference_number"], "")  # no external assets


def test_pay_redirects_to_the_return_url_and_notifies(foree: Foree, receiver: PostRecorder) -> None:
    crn = new_crn()
    data = foree.create(crn=crn)
    reference = data["reference_number"]
    response = httpx.post(data["payment_link"], data={"action": "paid"}, timeout=5)

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example", "/pay/return")
    assert parse_qs(location.query) == {"attempt": ["7"], "crn": [crn], "reference_number": [reference]}

    bill = foree.status(reference)
    assert bill["bill_status"] == "paid"
    assert bill["paid_amount"] == bill["amount"] == 1500.5
    assert re.fullmatch(r"FT\d{14}", bill["transaction_ref_id"])
    assert bill["transaction_date_time"] and bill["instrument_type"] and bill["payment_channel"]

    notified = receiver.next()["response_data"]["bill"]
    assert notified["reference_number"] == reference
    assert notified["buisness_crn"] == crn
    assert notified["bill_status"] == "Paid"
    assert notified["paid_amount"] == 1500.5
    assert notified["transaction_ref_id"] == bill["transaction_ref_id"]


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_fail_and_cancel(foree: Foree, receiver: PostRecorder, outcome: str) -> None:
    data = foree.create()
    response = httpx.post(data["payment_link"], data={"action": outcome}, timeout=5)
    assert response.status_code == 303
    assert foree.status(data["reference_number"])["bill_status"] == outcome
    assert foree.status(data["reference_number"])["paid_amount"] is None
    assert receiver.next()["response_data"]["bill"]["bill_status"] == outcome.capitalize()


def test_a_failed_bill_can_still_be_paid_but_a_cancelled_one_cannot(foree: Foree) -> None:
    failed = foree.create()
    httpx.post(failed["payment_link"], data={"action": "failed"}, timeout=5)
    httpx.post(failed["payment_link"], data={"action": "paid"}, timeout=5)
    assert foree.status(failed["reference_number"])["bill_status"] == "paid"

    cancelled = foree.create()
    httpx.post(cancelled["payment_link"], data={"action": "cancelled"}, timeout=5)
    httpx.post(cancelled["payment_link"], data={"action": "paid"}, timeout=5)
    assert foree.status(cancelled["reference_number"])["bill_status"] == "cancelled"


def test_a_paid_bill_stays_paid_and_is_notified_once(foree: Foree, receiver: PostRecorder) -> None:
    data = foree.create()
    reference = data["reference_number"]
    httpx.post(data["payment_link"], data={"action": "paid"}, timeout=5)
    paid = foree.status(reference)
    receiver.next()

    again = httpx.post(data["payment_link"], data={"action": "failed"}, timeout=5)
    assert again.status_code == 303  # the browser still goes back to the shop
    assert foree.act(reference, outcome="cancelled").json()["changed"] is False
    assert foree.act(reference, outcome="paid").json()["changed"] is False
    assert foree.status(reference) == paid
    receiver.assert_quiet()
    assert "Return to the merchant" in httpx.get(data["payment_link"], timeout=5).text


def test_concurrent_clicks_pay_exactly_once(foree: Foree, receiver: PostRecorder) -> None:
    reference = foree.create()["reference_number"]
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: foree.act(reference, outcome="paid").json(), range(10)))
    assert sum(result["changed"] for result in results) == 1
    assert len({result["bill"]["transaction_ref_id"] for result in results}) == 1
    receiver.next()
    receiver.assert_quiet()


def test_an_expired_bill_cannot_be_paid(foree: Foree) -> None:
    data = foree.create(expiry_date=int(time.time() * 1000) + 700)
    time.sleep(0.9)
    assert foree.status(data["reference_number"])["bill_status"] == "expired"
    page = httpx.post(data["payment_link"], data={"action": "paid"}, timeout=5)
    assert page.status_code == 410
    assert "expired" in page.text and "role='alert'" in page.text
    assert foree.act(data["reference_number"]).status_code == 409
    assert foree.status(data["reference_number"])["bill_status"] == "expired"


def test_without_a_return_url_the_page_says_done(foree: Foree) -> None:
    data = foree.create(return_url=None)
    response = httpx.post(data["payment_link"], data={"action": "paid"}, timeout=5)
    assert response.status_code == 200
    assert "Done" in response.text and "paid" in response.text


def test_an_unknown_bill_page_is_404(foree: Foree) -> None:
    assert httpx.get(f"{foree.base}/pay/FP000000000000", timeout=5).status_code == 404


# ---- notifications and control endpoints ---------------------------------------------------------------------------


def test_duplicates_sends_extra_copies(foree: Foree, receiver: PostRecorder) -> None:
    foree.configure(duplicates=2)
    reference = foree.create()["reference_number"]
    assert foree.act(reference, outcome="paid").json()["changed"] is True
    copies = [receiver.next() for _ in range(3)]
    assert copies[0] == copies[1] == copies[2]
    receiver.assert_quiet()


def test_delays_deliver_notifications_out_of_order(foree: Foree, receiver: PostRecorder) -> None:
    reference = foree.create()["reference_number"]
    foree.act(reference, outcome="failed", delay_ms=800)
    foree.act(reference, outcome="paid", delay_ms=0)
    statuses = [receiver.next()["response_data"]["bill"]["bill_status"] for _ in range(2)]
    assert statuses == ["Paid", "Failed"]


def test_a_configured_delay_holds_back_the_notification_not_the_redirect(foree: Foree, receiver: PostRecorder) -> None:
    foree.configure(delay_ms=1000)
    data = foree.create()
    started = time.monotonic()
    assert httpx.post(data["payment_link"], data={"action": "paid"}, timeout=5).status_code == 303
    assert time.monotonic() - started < 0.8
    receiver.next()
    assert time.monotonic() - started >= 1.0


def test_delivery_is_retried_after_a_5xx(foree: Foree, receiver: PostRecorder) -> None:
    receiver.failures_left = 2
    reference = foree.create()["reference_number"]
    foree.act(reference, outcome="paid")
    assert receiver.next()["response_data"]["bill"]["reference_number"] == reference
    assert receiver.hits == 3


def test_notifications_can_be_disabled(foree: Foree, receiver: PostRecorder) -> None:
    foree.configure(enabled=False)
    foree.act(foree.create()["reference_number"], outcome="paid")
    receiver.assert_quiet()


def test_config_validates_and_resets(foree: Foree) -> None:
    base = f"{foree.base}/sandbox/config"
    assert httpx.post(base, json={"nope": 1}, timeout=5).status_code == 400
    assert httpx.post(base, json={"duplicates": -1}, timeout=5).status_code == 400
    assert httpx.post(base, json={"enabled": "yes"}, timeout=5).status_code == 400
    assert foree.configure(status_delay_ms=5)["status_delay_ms"] == 5
    assert httpx.get(base, timeout=5).json()["status_delay_ms"] == 5
    reset = httpx.delete(base, timeout=5).json()
    assert reset["status_delay_ms"] == 0 and reset["enabled"] is True and reset["duplicates"] == 0


def test_control_pay_validates(foree: Foree) -> None:
    reference = foree.create()["reference_number"]
    assert foree.act("FP000000000000").status_code == 404
    assert foree.act(reference, outcome="refunded").status_code == 400
    assert foree.act(reference, delay_ms=-1).status_code == 400
    result = foree.act(reference).json()  # outcome defaults to paid
    assert result["changed"] is True and result["bill"]["bill_status"] == "paid"
    assert "reference_number=" in result["return_url"]


def test_the_bills_list_shows_every_bill_newest_first(foree: Foree) -> None:
    first = foree.create()["reference_number"]
    second = foree.create()["reference_number"]
    bills = httpx.get(f"{foree.base}/sandbox/bills", timeout=5).json()["bills"]
    references = [bill["reference_number"] for bill in bills]
    assert references.index(second) < references.index(first)
    assert "key_digest" not in bills[0]


def test_the_index_page_links_the_bills_list(sandbox_server: SandboxServer) -> None:
    page = httpx.get(f"{sandbox_server.base_url}/", timeout=5).text
    assert "href='/foree/sandbox/bills'" in page and "Foree Pay" in page
