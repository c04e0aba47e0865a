"""Order fixtures: the checkout's market and buyers, texts the customer would get, and staff moving a merchant order."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django_tenants.utils import schema_context

from marketplace.checkout.tests.conftest import cake, market, new_buyer, rice  # noqa: F401  (fixtures)
from marketplace.listings import tasks as listing_tasks
from marketplace.orders.models import CustomerOrderPart
from shared_apps.payments.tests.conftest import place, queued, sandbox  # noqa: F401  (fixtures)
from shared_apps.sms.testing import sms_kicks_recorded
from tenant_apps.inventory.models import StockLevel
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.orders.states import STAFF, Actor, merchant_order_transition

PHONE = "+923001234567"  # what the buyers' "03001234567" becomes


@pytest.fixture
def texts(monkeypatch) -> list[tuple[str, str]]:
    """(to, body) of every SMS handed to Celery, at the task boundary (the outbox row's kick). Only callbacks run by
    `committed()` reach it: tests run inside a transaction that never commits."""
    sent = sms_kicks_recorded(monkeypatch)
    monkeypatch.setattr(listing_tasks.listings_publish, "delay", lambda **kwargs: None)  # no broker in these tests
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[[], AbstractContextManager]:
    """`with committed():` runs the on-commit callbacks of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def staff_move(part_number: str, *statuses: str, reason: str = "") -> MerchantOrder:
    """Move one merchant order through `statuses` as the merchant's staff (as the console does)."""
    part = CustomerOrderPart.objects.select_related("merchant").get(number=part_number)
    with schema_context(part.merchant.schema_name):
        for status in statuses:
            order = MerchantOrder.objects.get(pk=part.merchant_order_id)
            order = merchant_order_transition(
                order=order, to=status, actor=Actor(STAFF, role="merchant"), reason=reason
            )
    return order


def stock(listing) -> tuple[int, int]:
    """(on_hand, reserved) of a listing's variant at its branch, read in its merchant's schema."""
    with schema_context(listing.merchant.schema_name):
        level = StockLevel.objects.get(branch_id=listing.branch_id, variant_id=listing.variant_id)
    return level.on_hand, level.reserved
