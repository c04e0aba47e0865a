"""The PostEx sandbox over real HTTP: create with COD, cancel while booked, track a parcel that moves on a schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.conf import settings

from sandboxes.testing import SandboxServer

BASE = "/postex/services/integration/api/order"


@dataclass
class PostEx:
    root: str  # {sandbox}

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> httpx.Response:
        headers = {"token": settings.POSTEX_API_TOKEN if token is None else token}
        return httpx.request(method, f"{self.root}{BASE}/{path}", json=body, headers=headers, timeout=5)

    def create(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "orderRefNumber": f"ref-{time.monotonic_ns()}",
            "invoicePayment": "1450.00",
            "customerName": "Ayesha Khan",
            "customerPhone": "03001234567",
            "deliveryAddress": "45 Street 3, Model Town",
            "cityName": "Lahore",
            "pickupAddressCode": "001",
            "orderType": "Normal",
            "items": 1,
            "orderDetail": "1 x Rice",
            **overrides,
        }
        return self.call("POST", "v3/create-order", body).json()

    def configure(self, **changes: Any) -> None:
        httpx.post(f"{self.root}/postex/sandbox/config", json=changes, timeout=5).raise_for_status()


@pytest.fixture
def postex(sandbox_server: SandboxServer) -> Iterator[PostEx]:
    control = PostEx(sandbox_server.base_url)
    httpx.delete(f"{control.root}/postex/sandbox/config", timeout=5).raise_for_status()
    control.configure(autodrive=False)
    yield control
    httpx.delete(f"{control.root}/postex/sandbox/config", timeout=5).raise_for_status()


def test_the_token_is_required(postex):
    assert postex.call("GET", "v1/track-order/CX-1", token="").status_code == 401
    assert postex.call("GET", "v1/track-order/CX-1", token="wrong").status_code == 401


def test_create_then_track_then_cancel_while_booked(postex):
    created = postex.create()
    assert created["statusCode"] == "200"
    tracking = created["dist"]["trackingNumber"]
    tracked = postex.call("GET", f"v1/track-order/{tracking}").json()["dist"]
    assert tracked["transactionStatus"] == "Unbooked" and tracked["invoicePayment"] == "1450.00"
    cancelled = postex.call("PUT", "v1/cancel-order", {"trackingNumber": tracking})
    assert cancelled.json()["statusCode"] == "200"
    history = postex.call("GET", f"v1/track-order/{tracking}").json()["dist"]["transactionStatusHistory"]
    assert [h["transactionStatusMessageCode"] for h in history] == ["0002"]


def test_a_parcel_on_its_way_cannot_be_cancelled(postex):
    tracking = postex.create()["dist"]["trackingNumber"]
    httpx.post(f"{postex.root}/postex/sandbox/parcels/{tracking}/advance", json={"code": "0004"}, timeout=5)
    refused = postex.call("PUT", "v1/cancel-order", {"trackingNumber": tracking})
    assert refused.status_code == 400 and "CANNOT BE CANCELLED" in refused.json()["statusMessage"]
    history = postex.call("GET", f"v1/track-order/{tracking}").json()["dist"]["transactionStatusHistory"]
    assert [h["transactionStatusMessageCode"] for h in history] == ["0001", "0003", "0004"]


def test_a_repeated_reference_an_unknown_city_and_bad_json_are_refused(postex):
    first = postex.create(orderRefNumber="same-ref")
    repeat = postex.create(orderRefNumber="same-ref")
    assert repeat["statusCode"] == "409" and repeat["dist"]["trackingNumber"] == first["dist"]["trackingNumber"]
    assert postex.create(cityName="Atlantis")["statusMessage"] == "INVALID CITY NAME"
    assert postex.create(invoicePayment="lots")["statusCode"] == "400"
    raw = httpx.post(f"{postex.root}{BASE}/v3/create-order", content=b"{", headers={"token": "sandbox-postex-token"})
    assert raw.status_code in (400, 401)


def test_parcels_move_on_a_schedule_when_autodrive_is_on(postex):
    postex.configure(autodrive=True, return_rate=0.0)
    tracking = postex.create()["dist"]["trackingNumber"]
    # SANDBOX_COURIER_TIME_SCALE=0.002 in tests: two hours of the schedule pass in about 14 seconds; the first
    # step (booked, at 2 h) is due after 14.4 s, so right away nothing has moved yet.
    tracked = postex.call("GET", f"v1/track-order/{tracking}").json()["dist"]
    assert tracked["transactionStatus"] == "Unbooked"
