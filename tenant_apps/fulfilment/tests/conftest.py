"""Deliveries on the grocer of the orders tests (orders placed through the real cart and checkout), plus two
riders of its Liberty branch and one of DHA."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_tenants.utils import schema_context

from marketplace.checkout.tests.conftest import new_buyer  # noqa: F401  (fixture)
from shared_apps.accounts.services import user_get_or_create_by_phone
from tenant_apps.fulfilment.models import Delivery
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.orders.states import STAFF, Actor, merchant_order_transition
from tenant_apps.orders.tests.conftest import Grocer, grocer, place  # noqa: F401  (fixtures)
from tenant_apps.staff.models import Membership, Role

RIDER_PHONES = {"rider": "+923007200001", "rider2": "+923007200002", "rider_dha": "+923007200003"}


@pytest.fixture
def riders(grocer: Grocer) -> dict[str, Membership]:  # noqa: F811
    """Employees with the deliver duty: two at Liberty (where `place` orders), one at DHA."""
    made = {}
    with schema_context(grocer.merchant.schema_name):
        for key, phone in RIDER_PHONES.items():
            user = user_get_or_create_by_phone(phone=phone)
            user.name = {"rider": "Bilal Rider", "rider2": "Kamran Rider", "rider_dha": "Danish Rider"}[key]
            user.save(update_fields=["name"])
            branch = grocer.dha if key == "rider_dha" else grocer.liberty
            made[key] = Membership.objects.create(user=user, role=Role.EMPLOYEE, branch=branch, duties=["deliver"])
            grocer.users[key] = user
    return made


def moved(grocer: Grocer, order: MerchantOrder, *statuses: str) -> MerchantOrder:  # noqa: F811
    """The order moved through `statuses` by the shop's staff, as the console does."""
    with schema_context(grocer.merchant.schema_name):
        for status in statuses:
            order = merchant_order_transition(
                order=MerchantOrder.objects.get(pk=order.pk), to=status, actor=Actor(STAFF, role="branch_manager")
            )
    return order


def delivery_of(grocer: Grocer, order: MerchantOrder) -> Delivery:  # noqa: F811
    with schema_context(grocer.merchant.schema_name):
        return Delivery.objects.select_related("branch", "order").get(order_id=order.pk)


@pytest.fixture
def ready_delivery(grocer, place, riders) -> Callable[..., MerchantOrder]:  # noqa: F811
    """A cash delivery order of the shop's own riders, accepted, prepared and ready to leave."""

    def make(**kwargs) -> MerchantOrder:
        order = place(fulfilment="delivery", **kwargs)
        return moved(grocer, order, "accepted", "preparing", "out_for_delivery")

    return make
