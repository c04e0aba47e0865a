"""A grocer with staff in every role, and orders placed through the real cart and checkout API.

Gulberg Grocer (one store, branches Liberty Market and DHA Y Block) from the discovery market, plus: a Shop Owner,
a Branch Manager of each branch, an Employee of Liberty with the process_orders duty and one without duties."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from marketplace.checkout.tests.conftest import LIBERTY, listing, new_buyer  # noqa: F401 (new_buyer: fixture)
from marketplace.discovery.tests.market import SHOPS, Market, build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_get_or_create_by_phone
from shared_apps.accounts.tokens import token_pair_issue
from shared_apps.payments.testing import payments_delete_all
from tenant_apps.fulfilment.models import Delivery
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.staff.models import Membership, Role
from tenant_apps.stores.models import Branch
from tenants.models import Merchant

GROCER = "gulberg-grocer"
RICE = ("Guard Basmati Rice", "1 kg")  # Rs 590, 10 units at each branch
BUTTER = ("Nurpur Butter", "200 g")  # Rs 640
STAFF_PHONES = {
    "shop_owner": "+923007100001",
    "manager": "+923007100002",
    "manager_dha": "+923007100003",
    "employee": "+923007100004",
    "employee_plain": "+923007100005",
}


@dataclass
class Grocer:
    market: Market
    merchant: Merchant
    liberty: Branch
    dha: Branch
    users: dict[str, User] = field(default_factory=dict)  # merchant, shop_owner, manager, manager_dha, employee, ...
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"{self.merchant.slug}.localhost"

    def page_client(self, who: str) -> Client:
        client = Client(HTTP_HOST=self.host)
        client.force_login(self.users[who])
        return client

    def api(self, who: str, method: str, path: str, body: dict | None = None):
        client = Client(HTTP_HOST=self.host)
        if who not in self.tokens:
            self.tokens[who] = token_pair_issue(user=self.users[who]).access
        token = self.tokens[who]
        return getattr(client, method)(
            path,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    def hand_over(self, order_id: int, who: str = "manager"):
        """A pickup ready at the counter handed over the only way there is: with the customer's pickup code."""
        with schema_context(self.merchant.schema_name):
            delivery = Delivery.objects.get(order_id=order_id)
        return self.api(
            who, "post", f"/api/v1/console/deliveries/{delivery.pk}/handover", {"code": delivery.pickup_code}
        )

    def order(self, order_id: int) -> MerchantOrder:
        with schema_context(self.merchant.schema_name):
            return MerchantOrder.objects.get(pk=order_id)


@pytest.fixture
def grocer(make_merchant) -> Iterator[Grocer]:
    market = build_market(make_merchant, shops=tuple(s for s in SHOPS if s.slug == GROCER))
    shop = market.shops[GROCER]
    liberty, dha = shop.branches
    users = {"merchant": shop.merchant.owner}
    with schema_context(shop.merchant.schema_name):
        store_id = liberty.store_id
        specs = {
            "shop_owner": {"role": Role.SHOP_OWNER, "store_id": store_id},
            "manager": {"role": Role.BRANCH_MANAGER, "branch_id": liberty.pk},
            "manager_dha": {"role": Role.BRANCH_MANAGER, "branch_id": dha.pk},
            "employee": {"role": Role.EMPLOYEE, "branch_id": liberty.pk, "duties": ["process_orders"]},
            "employee_plain": {"role": Role.EMPLOYEE, "branch_id": liberty.pk, "duties": []},
        }
        for key, spec in specs.items():
            users[key] = user_get_or_create_by_phone(phone=STAFF_PHONES[key])
            Membership.objects.create(user=users[key], **spec)
    yield Grocer(market=market, merchant=shop.merchant, liberty=liberty, dha=dha, users=users)
    # customer orders and their parts hold the merchant (PROTECT): a transactional test's teardown drops merchants
    payments_delete_all()
    CustomerOrder.objects.all().delete()


@pytest.fixture
def place(grocer, new_buyer) -> Callable[..., MerchantOrder]:  # noqa: F811 (new_buyer is the imported fixture)
    """Place an order at the grocer's Liberty branch through the cart and checkout API, as a new guest:
    `place()` → 2 x rice, pickup, cash; `place(items=[(RICE, 1), (BUTTER, 3)], fulfilment="delivery",
    payment="foree")`."""

    def make(
        *, items: list[tuple[tuple[str, str], int]] | None = None, fulfilment: str = "pickup", payment: str = "cod"
    ) -> MerchantOrder:
        buyer = new_buyer()
        for (title, variant), quantity in items or [(RICE, 2)]:
            row = listing(GROCER, title, variant, branch="Liberty Market")
            assert buyer.add(row.pk, quantity).status_code == 201
        group = f"{GROCER}:{grocer.liberty.pk}"
        body = {
            "payment_method": payment,
            "contact_phone": "03001234567",
            "contact_name": "Ayesha Khan",
            "lat": LIBERTY[0],
            "lng": LIBERTY[1],
            "groups": [{"group": group, "fulfilment": fulfilment, "address": "House 12, Street 4, Gulberg III"}],
        }
        response = buyer.checkout(body)
        assert response.status_code == 201, response.json()
        number = response.json()["parts"][0]["number"]
        with schema_context(grocer.merchant.schema_name):
            return MerchantOrder.objects.get(number=number)

    return make
