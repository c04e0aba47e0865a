"""Logistics fixtures: the session's courier sandboxes (sandboxes/uberdirect.py, sandboxes/postex.py) driven by their
control endpoints, quiet unless a test asks for notifications, and a recorder of courier_status_changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared_apps.logistics.signals import courier_status_changed
from shared_apps.logistics.testing import CourierSandbox, StatusRecorder, tokens_forget


@pytest.fixture
def uber(courier_settings: Any) -> Iterator[CourierSandbox]:
    control = CourierSandbox(courier_settings.UBER_DIRECT_API_BASE)
    control.reset()
    control.configure(enabled=False, autodrive=False, duplicate_rate=0, late_rate=0)
    tokens_forget()
    yield control
    control.reset()
    control.configure(enabled=False)


@pytest.fixture
def postex(courier_settings: Any) -> Iterator[CourierSandbox]:
    control = CourierSandbox(courier_settings.POSTEX_API_BASE.split("/services/")[0])
    control.reset()
    control.configure(autodrive=False)
    yield control
    control.reset()


@pytest.fixture
def status_moves() -> Iterator[StatusRecorder]:
    recorder = StatusRecorder()
    courier_status_changed.connect(recorder, weak=False)
    yield recorder
    courier_status_changed.disconnect(recorder)
