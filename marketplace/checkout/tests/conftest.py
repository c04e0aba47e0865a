"""Shopping fixtures: the small Lahore market of the discovery tests, and an API client per guest."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from marketplace.checkout.tests.quoting import courier_worker, uber  # noqa: F401 (fixtures for partner delivery)
from marketplace.discovery.tests.market import Market, build_market
from marketplace.listings.models import Listing

LIBERTY = (31.5102, 74.3443)  # next to Gulberg Grocer's Liberty Market branch and Crust & Crumb


@dataclass
class Buyer:
    client: Client
    token: str

    def call(self, method: str, path: str, body: dict | None = None, **headers: str):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return getattr(self.client, method)(
            path,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **extra,
        )

    def add(self, listing_id: int, quantity: int = 1):
        return self.call("post", "/api/v1/cart/items", {"listing_id": listing_id, "quantity": quantity})

    def checkout(self, body: dict | None = None, key: str | None = None):
        body = body or {"payment_method": "cod", "contact_phone": "03001234567"}
        return self.call("post", "/api/v1/checkout", body, **{"Idempotency-Key": key or uuid.uuid4().hex})


@pytest.fixture
def market(make_merchant) -> Market:
    return build_market(make_merchant)


@pytest.fixture
def new_buyer(db) -> Callable[[], Buyer]:
    def make() -> Buyer:
        client = Client(HTTP_HOST="localhost")
        token = client.post("/api/v1/auth/guest").json()["access"]
        return Buyer(client, token)

    return make


def listing(shop: str, title: str, variant: str, *, branch: str | None = None) -> Listing:
    rows = Listing.objects.filter(merchant__slug=shop, title=title, variant_name=variant)
    if branch:
        rows = rows.filter(branch_name=branch)
    return rows.order_by("branch_id").first()


@pytest.fixture
def rice(market) -> Listing:
    """The grocer's 1 kg rice at Liberty Market (10 in stock, Rs 590)."""
    return listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")


@pytest.fixture
def cake(market) -> Listing:
    """The bakery's 1 lb chocolate cake (10 in stock, Rs 1,800)."""
    return listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
