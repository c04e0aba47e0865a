"""Test helpers for logistics (imported by tests only): the courier sandboxes' control endpoints, the values a
delivery needs, and a recorder of what the signal told."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from shared_apps.logistics.couriers.base import ManifestItem, Stop
from shared_apps.logistics.couriers.uberdirect import _tokens

SHOP = Stop(
    name="Gulberg Grocer",
    phone="+924235761234",
    address="12 Main Blvd, Gulberg",
    latitude=Decimal("31.510200"),
    longitude=Decimal("74.344300"),
    city="Lahore",
)
HOME = Stop(
    name="Ayesha Khan",
    phone="+923001234567",
    address="45 Street 3, Model Town",
    latitude=Decimal("31.483400"),
    longitude=Decimal("74.325900"),
    city="Lahore",
    notes="Ring twice",
)
FAR = Stop(name="Far away", phone="+923001112222", address="Saddar", latitude=Decimal("24.8607"),
           longitude=Decimal("67.0011"), city="Karachi")  # fmt: skip
ITEMS = [ManifestItem(name="Basmati rice 5 kg", quantity=1, price=Decimal("1450.00"))]


class CourierSandbox:
    """One courier sandbox's control endpoints (not part of the courier's protocol)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/sandbox/config", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        httpx.delete(f"{self.base}/sandbox/config", timeout=5).raise_for_status()

    def advance(self, provider_id: str, **body: Any) -> dict[str, Any]:
        kind = "deliveries" if "/uber" in self.base else "parcels"
        response = httpx.post(f"{self.base}/sandbox/{kind}/{provider_id}/advance", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def listing(self) -> list[dict[str, Any]]:
        kind = "deliveries" if "/uber" in self.base else "parcels"
        response = httpx.get(f"{self.base}/sandbox/{kind}", timeout=5)
        response.raise_for_status()
        return response.json()[kind]

    def revoke_tokens(self) -> None:
        httpx.post(f"{self.base}/sandbox/tokens/revoke", timeout=5).raise_for_status()


def tokens_forget() -> None:
    """This process's Uber tokens, forgotten (a test that counts token requests starts from none)."""
    _tokens.clear()


@dataclass
class StatusRecorder:
    """Every courier_status_changed this test saw: (courier delivery id, from, to)."""

    moves: list[tuple[int, str, str]] = field(default_factory=list)

    def __call__(self, sender, delivery, from_status: str, to_status: str, **kwargs: Any) -> None:
        self.moves.append((delivery.pk, from_status, to_status))

    def of(self, delivery_id: int) -> list[tuple[str, str]]:
        return [(a, b) for pk, a, b in self.moves if pk == delivery_id]


def idempotency_key() -> str:
    return secrets.token_hex(16)
