"""Partner couriers behind one protocol (base.CourierAdapter). `courier_for(name)` builds the adapter the setting
LOGISTICS_COURIERS names for it (name → dotted class path with a `from_settings()`); the same adapter talks to the
real courier or to its local sandbox (sandboxes/uberdirect.py, sandboxes/postex.py), depending on settings alone."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from shared_apps.logistics.couriers.base import CourierAdapter, CourierError, CourierErrorKind


def courier_for(name: str) -> CourierAdapter:
    """The adapter for `name` ("uber", "postex"), built from the current settings (tests override them)."""
    path = dict(settings.LOGISTICS_COURIERS).get(name)
    if not path:
        raise CourierError(CourierErrorKind.REJECTED, code="unknown_courier", message=f"No courier called {name!r}.")
    return import_string(path).from_settings()


__all__ = ["CourierAdapter", "CourierError", "CourierErrorKind", "courier_for"]
