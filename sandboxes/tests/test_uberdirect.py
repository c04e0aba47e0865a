"""The Uber Direct sandbox over real HTTP: the token, quotes, deliveries, cancel rules, the simulated courier and its
signed notifications (duplicated and late by a seeded chance, or not at all)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.conf import settings

from sandboxes.testing import PostRecorder, SandboxServer, post_recorder

SHOP = {"pickup_latitude": 31.5102, "pickup_longitude": 74.3443}
HOME = {"dropoff_latitude": 31.5002, "dropoff_longitude": 74.3343}


@dataclass
class Uber:
    base: str  # {sandbox}/uber

    def token(self, secret: str | None = None) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.UBER_DIRECT_CLIENT_ID,
            "client_secret": secret or settings.UBER_DIRECT_CLIENT_SECRET,
            "scope": "eats.deliveries",
        }
        return httpx.post(f"{self.base}/oauth/v2/token", data=form, timeout=5)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> httpx.Response:
        bearer = token or self.token().json()["access_token"]
        url = f"{self.base}/v1/customers/{settings.UBER_DIRECT_CUSTOMER_ID}{path}"
        return httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {bearer}"}, timeout=5)

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/config", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def deliver(self, **overrides: Any) -> dict[str, Any]:
        quote = self.call("POST", "/delivery_quotes", {**SHOP, **HOME}).json()
        body = {
            "quote_id": quote["id"],
            "idempotency_key": f"k-{time.monotonic_ns()}",
            **SHOP,
            **HOME,
            "manifest_items": [{"name": "Rice", "quantity": 1}],
            **overrides,
        }
        response = self.call("POST", "/deliveries", body)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def uber(sandbox_server: SandboxServer) -> Iterator[Uber]:
    control = Uber(f"{sandbox_server.base_url}/uber")
    httpx.delete(f"{control.base}/sandbox/config", timeout=5).raise_for_status()
    control.configure(enabled=False, autodrive=False, duplicate_rate=0, late_rate=0)
    yield control
    httpx.delete(f"{control.base}/sandbox/config", timeout=5).raise_for_status()
    control.configure(enabled=False)


@pytest.fixture
def hooks(uber: Uber) -> Iterator[PostRecorder]:
    with post_recorder() as received:
        uber.configure(enabled=True, webhook_url=f"{received.base_url}/hooks/uber")
        yield received


def verified(received) -> dict[str, Any]:
    expected = hmac.new(settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-uber-signature"], expected)
    return json.loads(received.body)


def test_the_token_needs_the_client_credentials_and_calls_need_the_token(uber):
    assert uber.token(secret="wrong").status_code == 401
    granted = uber.token().json()
    assert granted["token_type"] == "Bearer" and granted["expires_in"] > 0
    assert uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}, token="nope").status_code == 401
    assert uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}, token=granted["access_token"]).status_code == 200
    httpx.post(f"{uber.base}/sandbox/tokens/revoke", timeout=5).raise_for_status()
    assert uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}, token=granted["access_token"]).status_code == 401


def test_quotes_expire_are_used_once_and_far_addresses_are_undeliverable(uber):
    quote = uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}).json()
    assert quote["id"].startswith("dqt_") and quote["fee"] >= 15000 and quote["expires"]
    far = uber.call("POST", "/delivery_quotes", {**SHOP, "dropoff_latitude": 24.86, "dropoff_longitude": 67.0})
    assert far.status_code == 422 and far.json()["code"] == "address_undeliverable"
    uber.deliver(quote_id=quote["id"])
    used = uber.call("POST", "/deliveries", {**SHOP, **HOME, "quote_id": quote["id"], "idempotency_key": "other",
                                              "manifest_items": [{"name": "Rice", "quantity": 1}]})  # fmt: skip
    assert used.status_code == 400 and used.json()["code"] == "used_quote"
    uber.configure(quote_ttl_seconds=0)
    stale = uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}).json()
    expired = uber.call("POST", "/deliveries", {**SHOP, **HOME, "quote_id": stale["id"], "idempotency_key": "x2",
                                                 "manifest_items": [{"name": "Rice", "quantity": 1}]})  # fmt: skip
    assert expired.status_code == 400 and expired.json()["code"] == "expired_quote"


def test_a_repeated_idempotency_key_is_409_naming_the_first_delivery(uber):
    first = uber.deliver(idempotency_key="same-key-1")
    again = uber.call("POST", "/delivery_quotes", {**SHOP, **HOME}).json()
    repeat = uber.call("POST", "/deliveries", {**SHOP, **HOME, "quote_id": again["id"], "idempotency_key": "same-key-1",
                                                "manifest_items": [{"name": "Rice", "quantity": 1}]})  # fmt: skip
    assert repeat.status_code == 409
    assert repeat.json()["code"] == "duplicate_delivery" and repeat.json()["metadata"]["delivery_id"] == first["id"]


def test_bad_requests_are_400_not_500(uber):
    for body in ({}, {**SHOP}, {**SHOP, **HOME, "manifest_items": []}, {**SHOP, "dropoff_latitude": 95,
                                                                          "dropoff_longitude": 0}):  # fmt: skip
        response = uber.call("POST", "/deliveries", body)
        assert response.status_code == 400 and response.json()["code"] == "invalid_params", body
    bearer = uber.token().json()["access_token"]
    url = f"{uber.base}/v1/customers/{settings.UBER_DIRECT_CUSTOMER_ID}/deliveries"
    raw = httpx.post(url, content=b"{oops", headers={"Authorization": f"Bearer {bearer}"}, timeout=5)
    assert raw.status_code == 400
    assert uber.call("GET", "/deliveries/del_nope").status_code == 404


def test_cancel_only_while_pending_or_on_the_way_to_the_shop(uber):
    early = uber.deliver()
    assert uber.call("POST", f"/deliveries/{early['id']}/cancel").json()["status"] == "canceled"
    late = uber.deliver()
    httpx.post(f"{uber.base}/sandbox/deliveries/{late['id']}/advance", json={"status": "dropoff"}, timeout=5)
    refused = uber.call("POST", f"/deliveries/{late['id']}/cancel")
    assert refused.status_code == 400 and refused.json()["code"] == "noncancelable_delivery"


def test_the_simulated_courier_drives_a_straight_line_and_every_change_is_signed(uber, hooks):
    uber.configure(autodrive=True)
    delivery = uber.deliver()
    statuses, positions = [], []
    deadline = time.monotonic() + 30
    while "delivered" not in statuses:
        assert time.monotonic() < deadline, statuses
        event = verified(hooks.next())
        assert event["delivery_id"] == delivery["id"] and event["event_id"]
        if event["kind"] == "event.delivery_status":
            statuses.append(event["status"])
        else:
            positions.append((event["location"]["lat"], event["location"]["lng"]))
    assert [s for i, s in enumerate(statuses) if s not in statuses[:i]] == [
        "pending",
        "pickup",
        "pickup_complete",
        "dropoff",
        "delivered",
    ]
    assert len(positions) >= 3
    assert positions[-1] == pytest.approx((HOME["dropoff_latitude"], HOME["dropoff_longitude"]), abs=1e-5)
    final = uber.call("GET", f"/deliveries/{delivery['id']}").json()
    assert final["status"] == "delivered" and final["complete"] and final["courier_imminent"]


def test_notifications_are_duplicated_and_late_by_a_seeded_chance(uber, hooks):
    uber.configure(duplicate_rate=1.0, late_rate=0)
    delivery = uber.deliver()
    first, second = verified(hooks.next()), verified(hooks.next())
    assert first == second  # the same event id twice: at least once, as Uber's
    uber.configure(duplicate_rate=0, late_rate=1.0, late_ms=2500)
    httpx.post(f"{uber.base}/sandbox/deliveries/{delivery['id']}/advance", json={"status": "pickup"}, timeout=5)
    uber.configure(late_rate=0)
    httpx.post(f"{uber.base}/sandbox/deliveries/{delivery['id']}/advance", json={"status": "dropoff"}, timeout=5)
    arrived = [verified(hooks.next())["status"], verified(hooks.next())["status"]]
    assert arrived == ["dropoff", "pickup"]  # the late one overtaken
    uber.configure(enabled=False)
    httpx.post(f"{uber.base}/sandbox/deliveries/{delivery['id']}/advance", json={"status": "delivered"}, timeout=5)
    hooks.assert_quiet(0.5)


def test_the_config_refuses_unknown_keys_and_wrong_types(uber):
    assert httpx.post(f"{uber.base}/sandbox/config", json={"nope": 1}, timeout=5).status_code == 400
    assert httpx.post(f"{uber.base}/sandbox/config", json={"duplicate_rate": "high"}, timeout=5).status_code == 400
    assert httpx.post(f"{uber.base}/sandbox/config", json={"late_ms": -1}, timeout=5).status_code == 400
