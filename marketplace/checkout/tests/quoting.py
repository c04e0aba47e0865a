"""Helpers for checkout tests with partner delivery: the Uber Direct sandbox over real HTTP, a branch that offers
partner delivery, and the quote worker run in the test (the request's task_send is caught, the task run directly)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.checkout.services import QUOTE_ASK_CACHE
from shared_apps.logistics.services import QUOTE_TASK
from shared_apps.logistics.tasks import courier_quote_task
from shared_apps.logistics.testing import CourierSandbox, tokens_forget
from tenant_apps.stores.models import Branch


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
def courier_worker() -> Iterator[Callable[[], int]]:
    """Quote requests are queued, not sent; calling the fixture runs what a worker would (returns how many)."""
    with mock.patch("shared_apps.logistics.services.task_send") as sent:

        def run() -> int:
            calls = [call for call in sent.call_args_list if call.args == (QUOTE_TASK,)]
            sent.reset_mock()
            for call in calls:
                courier_quote_task(**call.kwargs)
            return len(calls)

        yield run


def partner_offered(item) -> str:
    """Let the item's branch offer partner delivery; returns its cart group's key."""
    with schema_context(item.merchant.schema_name):
        Branch.objects.filter(pk=item.branch_id).update(offers_partner_delivery=True)
    return f"{item.merchant.slug}:{item.branch_id}"


def quote_age(key: str, *, fee: Decimal | None = None) -> None:
    """Make the answered quote under `key` expired (a minute ago), optionally with another fee than it had."""
    ask = cache.get(QUOTE_ASK_CACHE.format(key))
    ask["quote"]["expires_at"] = (timezone.now() - timedelta(minutes=1)).isoformat()
    if fee is not None:
        ask["quote"]["fee"] = str(fee)
    cache.set(QUOTE_ASK_CACHE.format(key), ask, 3600)
