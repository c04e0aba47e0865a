"""Operators work the approval queue in the admin: it lists only merchants waiting, approve makes them live, reject
asks for the reason the merchant will read and changes nothing without one."""

import itertools
import re

from django.test import override_settings

from tenants.models import Merchant, MerchantStatus, OnboardingPolicy
from tenants.services import merchant_go_live
from tests.query_counts import assert_list_queries_flat

QUEUE = "/admin/tenants/approvalqueueentry/"
_n = itertools.count(1)


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def _waiting(make_merchant, slug: str) -> Merchant:
    merchant = make_merchant(slug=slug, name=slug.replace("-", " ").title(), pending=True)
    return merchant_go_live(merchant=merchant, by=merchant.owner)


def test_the_queue_lists_only_merchants_waiting_for_approval(admin_client, make_merchant):
    _waiting(make_merchant, "waiting-grocer")
    make_merchant(slug="pending-grocer", name="Pending Grocer", pending=True)
    make_merchant(slug="live-grocer", name="Live Grocer")
    html = admin_client.get(QUEUE).content.decode()
    assert "Waiting Grocer" in html and "Pending Grocer" not in html and "Live Grocer" not in html


def test_approve_from_the_queue_makes_it_live(admin_client, make_merchant):
    merchant = _waiting(make_merchant, "waiting-grocer")
    response = admin_client.post(QUEUE, {"action": "approve", "_selected_action": [merchant.pk]}, follow=True)
    assert response.status_code == 200 and "are live now" in response.content.decode()
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.ACTIVE


def test_reject_asks_for_a_reason_and_needs_one(admin_client, make_merchant):
    merchant = _waiting(make_merchant, "waiting-grocer")
    form = admin_client.post(QUEUE, {"action": "reject", "_selected_action": [merchant.pk]})
    assert form.status_code == 200 and "Reason the merchant will read" in form.content.decode()
    empty = admin_client.post(QUEUE, {"action": "reject", "_selected_action": [merchant.pk], "apply": "1"})
    assert empty.status_code == 200 and Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.AWAITING_APPROVAL
    done = admin_client.post(
        QUEUE,
        {"action": "reject", "_selected_action": [merchant.pk], "apply": "1", "reason": "Add your shop's phone."},
    )
    assert done.status_code == 302
    rejected = Merchant.objects.get(pk=merchant.pk)
    assert (rejected.status, rejected.rejection_reason) == (MerchantStatus.PENDING, "Add your shop's phone.")


def test_operators_flip_the_policy_in_the_admin(admin_client):
    response = admin_client.post("/admin/tenants/onboardingpolicy/add/", {"approval_required": "on"})
    assert response.status_code == 302
    assert OnboardingPolicy.objects.get(pk=1).approval_required is True


def test_the_queue_costs_the_same_for_one_merchant_or_four(admin_client, make_merchant):
    _waiting(make_merchant, f"queue-shop-{next(_n)}")

    def rows(response) -> int:
        assert response.status_code == 200
        return len(re.findall(r'name="_selected_action" value="\d+"', response.content.decode()))

    def more() -> None:
        for _ in range(3):
            _waiting(make_merchant, f"queue-shop-{next(_n)}")

    assert_list_queries_flat(read=lambda: admin_client.get(QUEUE), rows=rows, add_rows=more, few=1, many=4)
