"""Every changelist of the platform admin panel, and its start page's recent merchants, costs the same queries for
one row or several: a column that reads a relation (owner, user, customer order, parent) must not read it per row."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from shared_apps.accounts.models import User
from shared_apps.categories.models import Category
from shared_apps.logistics.models import CourierDelivery, CourierWebhook
from shared_apps.payments.models import WebhookEvent
from tests.access_world import paid_cash_order_add
from tests.query_counts import assert_list_queries_flat
from tests.shop_factory import build_shop

_n = itertools.count(1)


@dataclass(frozen=True)
class Changelist:
    """One admin list: where it is, and how a test adds `count` rows to it (`world` holds what rows need)."""

    path: str
    add: Callable[[dict, int], None]


def _user(world: dict, count: int) -> None:
    for _ in range(count):
        User.objects.create_user(phone=f"+92301{next(_n):07d}", name="Listed user")


def _group(world: dict, count: int) -> None:
    for _ in range(count):
        Group.objects.create(name=f"Operators {next(_n)}")


def _device(world: dict, count: int) -> None:
    for _ in range(count):
        user = User.objects.create_user(phone=f"+92302{next(_n):07d}")
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _category(world: dict, count: int) -> None:
    parent = Category.objects.create(slug=f"aisle-{next(_n)}", name="Aisle")
    for _ in range(count - 1):
        Category.objects.create(slug=f"shelf-{next(_n)}", name="Shelf", parent=parent)


def _paid_order(world: dict, count: int) -> None:
    """Paid cash orders (a customer order, its part, intent and ledger), alternating between two shops."""
    for i in range(count):
        shop = world["shops"][i % len(world["shops"])]
        ids = {"B": shop.branches[0].pk}
        paid_cash_order_add(shop.merchant, ids, "B", f"A{next(_n)}", Decimal("250.00"))


def _webhook(world: dict, count: int) -> None:
    for _ in range(count):
        WebhookEvent.objects.create(gateway="foree", dedupe_key=f"txn-{next(_n)}", body="{}")


def _courier_delivery(world: dict, count: int) -> None:
    for _ in range(count):
        n = next(_n)
        delivery = CourierDelivery.objects.create(
            provider="uber", idempotency_key=f"key-{n}", reference=f"CD{n}", merchant_schema="s", merchant_order_id=n
        )
        CourierWebhook.objects.create(provider="uber", dedup_key=f"evt-{n}", delivery=delivery, body="{}")


def _courier_webhook(world: dict, count: int) -> None:
    for _ in range(count):
        CourierWebhook.objects.create(provider="uber", dedup_key=f"evt-{next(_n)}", body="{}")


def _merchant(world: dict, count: int) -> None:
    for _ in range(count):
        world["make_merchant"]()


CHANGELISTS = {
    "users": Changelist("/admin/accounts/user/", _user),
    "groups": Changelist("/admin/auth/group/", _group),
    "authenticators": Changelist("/admin/otp_totp/totpdevice/", _device),
    "categories": Changelist("/admin/categories/category/", _category),
    "customer orders": Changelist("/admin/customer_orders/customerorder/", _paid_order),
    "transactions": Changelist("/admin/payments/paymentintent/", _paid_order),
    "webhooks": Changelist("/admin/payments/webhookevent/", _webhook),
    "courier deliveries": Changelist("/admin/logistics/courierdelivery/", _courier_delivery),
    "courier webhooks": Changelist("/admin/logistics/courierwebhook/", _courier_webhook),
    "merchants": Changelist("/admin/tenants/merchant/", _merchant),
}


def _rows(path: str) -> Callable[[object], int]:
    """Distinct objects the page links to for a change: one per row of the list."""
    link = re.compile(re.escape(path) + r"(\d+)/change/")

    def count(response) -> int:
        assert response.status_code == 200, response.content[:300]
        return len(set(link.findall(response.content.decode())))

    return count


@pytest.fixture
def world(make_merchant) -> dict:
    """Two shops of one branch each (orders need a branch to belong to) and a way to make more merchants."""
    shops = [build_shop(make_merchant, slug=f"admin-shop-{i}", products=0, branches=("gulberg",)) for i in range(2)]
    return {"make_merchant": make_merchant, "shops": shops}


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_each_changelist_costs_the_same_for_one_row_or_four(name, admin_client, world):
    changelist = CHANGELISTS[name]
    rows = _rows(changelist.path)
    admin_client.get(changelist.path)
    already = rows(admin_client.get(changelist.path))  # the admin and the shops' owners, merchants and devices
    changelist.add(world, 1)
    assert_list_queries_flat(
        read=lambda: admin_client.get(changelist.path),
        rows=rows,
        add_rows=lambda: changelist.add(world, 3),
        few=already + 1,
        many=already + 4,
    )


def test_the_start_pages_recent_merchants_cost_the_same_for_two_or_five(admin_client, world):
    assert_list_queries_flat(
        read=lambda: admin_client.get("/admin/"),
        rows=_rows("/admin/tenants/merchant/"),
        add_rows=lambda: _merchant(world, 3),
        few=2,
        many=5,
    )
