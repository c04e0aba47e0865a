"""Payments fixtures: online orders placed through the real checkout, paid in the real sandboxes (sandboxes/foree.py,
sandboxes/jazzcash.py) as the customer's browser would, and the notifications those providers send."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from marketplace.checkout.tests.conftest import cake, market, new_buyer, rice  # noqa: F401  (fixtures)
from marketplace.orders.models import CustomerOrder
from shared_apps.payments import services, tasks
from shared_apps.payments.gateways.jazzcash import secure_hash
from shared_apps.payments.ledger import ledger_problems
from shared_apps.payments.models import PaymentAttempt
from shared_apps.payments.services import payment_attempt_start, payment_redirect

PHONE = "03001234567"


class Sandbox:
    """The session's sandboxes process, as the tests drive it: configure, pay like the customer, read notifications."""

    def __init__(self, base_url: str, settings) -> None:
        self.base = base_url
        self.settings = settings

    def configure(self, provider: str, **config) -> None:
        httpx.post(f"{self.base}/{provider}/sandbox/config", json=config, timeout=5).raise_for_status()

    def reset(self) -> None:
        for provider in ("foree", "jazzcash"):
            httpx.delete(f"{self.base}/{provider}/sandbox/config", timeout=5).raise_for_status()
            self.configure(provider, enabled=False)  # the tests deliver notifications themselves

    def open(self, attempt: PaymentAttempt) -> None:
        """The customer's browser reaches the provider's page (JazzCash: the form post creates the transaction)."""
        if attempt.gateway == "jazzcash":
            target = payment_redirect(attempt)
            httpx.post(target.url, data=target.fields, timeout=10).raise_for_status()

    def pay(self, attempt: PaymentAttempt, outcome: str = "paid") -> dict:
        """The customer presses Pay / Fail / Cancel. Returns what the provider would notify us with (JazzCash: the
        signed return fields; Foree: the notification JSON)."""
        if attempt.gateway == "jazzcash":
            self.open(attempt)
            url = f"{self.base}/jazzcash/sandbox/transactions/{attempt.reference}/pay"
            response = httpx.post(url, json={"outcome": outcome}, timeout=10)
            response.raise_for_status()
            return response.json()["return_fields"]
        url = f"{self.base}/foree/sandbox/bills/{attempt.provider_reference}/pay"
        httpx.post(url, json={"outcome": outcome}, timeout=10).raise_for_status()
        return self.foree_notification(attempt)

    def foree_notification(self, attempt: PaymentAttempt, **override) -> dict:
        response = httpx.post(
            f"{self.base}/foree/checkout/bill_status",
            json={"reference_number": attempt.provider_reference},
            headers={"X-API-KEY": self.settings.FOREE_API_KEY},
            timeout=10,
        )
        bill = response.json()["response_data"]["bill"]
        bill = {**bill, "buisness_crn": bill.get("crn", attempt.reference), **override}
        return {"response_code": 0, "response_data": {"bill": bill}}

    def jazzcash_refunded_paisa(self, attempt: PaymentAttempt) -> int:
        rows = httpx.get(f"{self.base}/jazzcash/sandbox/transactions", timeout=5).json()["transactions"]
        return int(next(row["refunded"] for row in rows if row["txn_ref"] == attempt.reference))


def notification_body(attempt: PaymentAttempt, notice: dict) -> tuple[bytes, str]:
    """(body, content type) as the provider posts `notice`: JazzCash form-encoded, Foree JSON."""
    if attempt.gateway == "jazzcash":
        return httpx.QueryParams(notice).__str__().encode(), "application/x-www-form-urlencoded"
    return json.dumps(notice).encode(), "application/json"


def jazzcash_signed(fields: dict, salt: str, **changes) -> dict:
    """`fields` with `changes`, signed again as JazzCash would (a genuine message we make up, e.g. a late failure)."""
    out = {k: v for k, v in {**fields, **changes}.items() if k != "pp_SecureHash"}
    return {**out, "pp_SecureHash": secure_hash(out, salt).upper()}


@pytest.fixture
def sandbox(payment_settings, sandbox_server, settings) -> Iterator[Sandbox]:
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 5
    box = Sandbox(sandbox_server.base_url, settings)
    box.reset()
    yield box
    box.reset()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit callbacks of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, tuple]]:
    """Tasks handed to Celery by payments code, recorded at the task boundary (no worker in these tests; the
    end-to-end tests run the real one)."""
    sent: list[tuple[str, tuple]] = []
    for name in ("webhook_process_task", "refund_process_task", "part_refund_task"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _name=name: sent.append((_name, args)))
    # services queue by name (kernel.tasks.task_send): the tasks module imports them
    monkeypatch.setattr(
        services, "task_send", lambda name, **kwargs: sent.append((name.rsplit(".", 1)[1], tuple(kwargs.values())))
    )
    return sent


@pytest.fixture
def place(new_buyer):  # noqa: F811
    """place(method, *listings) → a CustomerOrder checked out by a new guest with one of each listing."""

    def make(method: str, *listings) -> CustomerOrder:
        buyer = new_buyer()
        for item in listings:
            assert buyer.add(item.pk, 1).status_code == 201
        response = buyer.checkout({"payment_method": method, "contact_phone": PHONE})
        assert response.status_code == 201, response.content
        order = CustomerOrder.objects.get(pk=response.json()["id"])
        order.buyer = buyer
        return order

    return make


def start(order: CustomerOrder, gateway: str, key: str = "") -> PaymentAttempt:
    return payment_attempt_start(intent=order.payment, gateway=gateway, idempotency_key=key)


def books_balance(order: CustomerOrder) -> None:
    order.payment.refresh_from_db()
    assert ledger_problems(order.payment) == []
