"""Payment gateways behind one protocol (base.Gateway). `gateway_for(name)` returns the configured adapter; the same
adapter code talks to the real provider or to the local sandbox (sandboxes/foree.py, sandboxes/jazzcash.py),
depending on settings alone."""

from __future__ import annotations

from shared_apps.payments.gateways.base import Gateway, GatewayError, GatewayErrorKind
from shared_apps.payments.gateways.foree import ForeeGateway
from shared_apps.payments.gateways.jazzcash import JazzCashGateway


def gateway_for(name: str) -> Gateway:
    """The adapter for `name` ("foree" or "jazzcash"), built from the current settings (tests override them)."""
    if name == "foree":
        return ForeeGateway.from_settings()
    if name == "jazzcash":
        return JazzCashGateway.from_settings()
    raise GatewayError(GatewayErrorKind.REJECTED, code="unknown_gateway", message=f"No gateway called {name!r}.")


__all__ = ["Gateway", "GatewayError", "GatewayErrorKind", "gateway_for"]
