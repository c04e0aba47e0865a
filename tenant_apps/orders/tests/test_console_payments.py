"""The console's money: shares and settlements per role scope (two merchants never see each other's rows), the
merchant's refund out of its own part (API and the order page), and the payments page. Paid orders are real cash
orders: placed through checkout, then handed over by staff, which captures the cash in the ledger."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.payments.errors import PaymentError, PaymentErrorCode
from shared_apps.payments.ledger import ledger_problems
from shared_apps.payments.models import PaymentIntent, Refund
from tenant_apps.orders.models import OrderStatus
from tenant_apps.orders.tests.conftest import BUTTER, RICE
from tenant_apps.stores.models import Branch, Store
from tests.access_world import paid_cash_order_add

SHARES = "/api/v1/console/payments/shares"
SETTLEMENTS = "/api/v1/console/payments/settlements"
_numbers = itertools.count(1)


@pytest.fixture
def paid(grocer, place):
    """A cash order at Liberty placed through checkout and handed over by the Branch Manager: paid, in the ledger."""

    def make(items=None) -> int:
        order = place(items=items or [(RICE, 2)])
        for action in ("accept", "prepare", "ready"):
            response = grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}")
            assert response.status_code == 200, response.json()
        assert grocer.hand_over(order.pk).status_code == 200
        assert grocer.order(order.pk).paid_at is not None
        return order.pk

    return make


def _dha_paid(grocer, amount: str = "100.00") -> int:
    """A paid cash order at the DHA branch (DHA is closed to checkout: built directly, see tests/access_world.py)."""
    return paid_cash_order_add(grocer.merchant, {"DHA": grocer.dha.pk}, "DHA", f"G{next(_numbers)}", Decimal(amount))


def _intent(grocer, order_id: int) -> PaymentIntent:
    number = grocer.order(order_id).number
    return PaymentIntent.objects.get(customer_order__parts__number=number)


def test_shares_and_settlements_follow_the_scope(grocer, paid):
    liberty = paid()  # 2 x rice: Rs 1,180 → commission 59.00, share 1,121.00
    dha = _dha_paid(grocer)  # Rs 100 → commission 5.00, share 95.00
    numbers = {grocer.order(liberty).number: "Liberty Market", grocer.order(dha).number: "DHA"}
    expected = {
        "merchant": set(numbers),
        "shop_owner": set(numbers),
        "manager": {grocer.order(liberty).number},
        "manager_dha": {grocer.order(dha).number},
    }
    for who, seen in expected.items():
        body = grocer.api(who, "get", SHARES).json()
        assert {row["number"] for row in body["items"]} == seen, who
        assert body["count"] == len(seen)
    row = next(r for r in grocer.api("manager", "get", SHARES).json()["items"])
    assert row["merchant_order_id"] == liberty and row["branch_id"] == grocer.liberty.pk
    assert (row["total"], row["share"], row["commission"], row["refunded"], row["net"]) == (
        "1180.00",
        "1121.00",
        "59.00",
        "0.00",
        "1121.00",
    )

    day = grocer.api("merchant", "get", SETTLEMENTS).json()["items"]
    assert len(day) == 1 and day[0]["day"] == timezone.localdate().isoformat()
    assert (day[0]["gross"], day[0]["commission"], day[0]["refunded"], day[0]["net"]) == (
        "1280.00",
        "64.00",
        "0.00",
        "1216.00",
    )
    assert day[0]["paid_out"] is False
    manager_day = grocer.api("manager", "get", SETTLEMENTS).json()["items"]
    assert (manager_day[0]["gross"], manager_day[0]["net"]) == ("1180.00", "1121.00")

    # filters: a branch in scope, a branch outside it (404), dates
    only_dha = grocer.api("shop_owner", "get", f"{SHARES}?branch_id={grocer.dha.pk}").json()["items"]
    assert [r["number"] for r in only_dha] == [grocer.order(dha).number]
    outside = grocer.api("manager", "get", f"{SHARES}?branch_id={grocer.dha.pk}")
    assert (outside.status_code, outside.json()["code"]) == (404, "not_found")
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    assert grocer.api("merchant", "get", f"{SHARES}?date_from={tomorrow}").json()["count"] == 0
    assert grocer.api("merchant", "get", f"{SETTLEMENTS}?date_to={tomorrow}").json()["count"] == 1


def test_employees_never_see_money(grocer, paid):
    order_id = paid()
    for who in ("employee", "employee_plain"):
        for url in (SHARES, SETTLEMENTS):
            assert grocer.api(who, "get", url).status_code == 403, (who, url)
        refund = grocer.api(who, "post", f"/api/v1/console/orders/{order_id}/refund", {"amount": "1", "reason": "x"})
        assert refund.status_code == 403, who
        assert grocer.page_client(who).get("/payments/").status_code == 403
    assert not Refund.objects.exists()


def test_another_merchants_rows_never_show(grocer, paid, make_merchant):
    other = make_merchant(slug="other-grocer", name="Other Grocer")
    paid()
    with schema_context(other.schema_name):
        store = Store.objects.create(name="Other store", slug="other")
        branch = Branch.objects.create(
            store=store,
            name="Other branch",
            address="1 road",
            latitude=Decimal("31.5"),
            longitude=Decimal("74.3"),
            area="Gulberg",
        )
    # the same branch id as the grocer's Liberty would not matter either: rows are cut by merchant first
    paid_cash_order_add(other, {"B": branch.pk}, "B", "X", Decimal("777.00"))
    mine = grocer.api("merchant", "get", SHARES).json()
    assert mine["count"] == 1 and "777.00" not in {row["total"] for row in mine["items"]}
    assert grocer.api("merchant", "get", SETTLEMENTS).json()["items"][0]["gross"] == "1180.00"

    client = Client(HTTP_HOST=f"{other.slug}.localhost")
    from shared_apps.accounts.tokens import token_pair_issue

    token = token_pair_issue(user=other.owner).access
    theirs = client.get(SHARES, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [row["total"] for row in theirs["items"]] == ["777.00"]
    # the grocer's owner on the other merchant's host: not a member there
    grocer_token = token_pair_issue(user=grocer.users["merchant"]).access
    assert client.get(SHARES, HTTP_AUTHORIZATION=f"Bearer {grocer_token}").status_code == 404


def test_merchant_refunds_part_then_all_of_its_share(grocer, paid):
    order_id = paid()
    url = f"/api/v1/console/orders/{order_id}/refund"
    partial = grocer.api("manager", "post", url, {"amount": "100.00", "reason": "One bag was torn"})
    assert partial.status_code == 201, partial.json()
    body = partial.json()
    assert (body["amount"], body["status"], body["refundable"]) == ("100.00", "succeeded", "1080.00")
    refund = Refund.objects.get(reference=body["reference"])
    assert (refund.requested_as, refund.requested_by_id) == ("merchant", grocer.users["manager"].pk)
    intent = _intent(grocer, order_id)
    assert ledger_problems(intent) == []
    row = grocer.api("manager", "get", SHARES).json()["items"][0]
    assert (row["commission"], row["refunded"], row["net"]) == ("54.00", "100.00", "1026.00")
    assert grocer.order(order_id).status == OrderStatus.PICKED_UP

    rest = grocer.api("shop_owner", "post", url, {"amount": "1080.00", "reason": "Customer returned it all"})
    assert rest.status_code == 201 and rest.json()["refundable"] == "0.00"
    assert ledger_problems(intent) == []
    intent.refresh_from_db()
    assert (intent.status, intent.refunded_amount) == ("refunded", Decimal("1180.00"))
    assert grocer.order(order_id).status == OrderStatus.REFUNDED
    day = grocer.api("merchant", "get", SETTLEMENTS).json()["items"][0]
    assert (day["gross"], day["commission"], day["refunded"], day["net"]) == ("1180.00", "0.00", "1180.00", "0.00")
    again = grocer.api("merchant", "post", url, {"amount": "1.00", "reason": "More"})
    assert (again.status_code, again.json()["code"]) == (409, "refund_nothing_captured")


def test_refund_errors_change_nothing(grocer, paid, place):
    order_id = paid()
    url = f"/api/v1/console/orders/{order_id}/refund"
    too_large = grocer.api("manager", "post", url, {"amount": "5000.00", "reason": "Oops"})
    assert too_large.status_code == 409
    assert (too_large.json()["code"], too_large.json()["field"], too_large.json()["details"]["refundable"]) == (
        "refund_too_large",
        "amount",
        "1180.00",
    )
    cents = grocer.api("manager", "post", url, {"amount": "1.234", "reason": "Oops"})  # the Money type's bounds
    assert (cents.status_code, cents.json()["code"], cents.json()["field"]) == (400, "invalid", "amount")
    negative = grocer.api("manager", "post", url, {"amount": "-5", "reason": "Oops"})
    assert (negative.status_code, negative.json()["code"]) == (400, "refund_amount_invalid")
    no_reason = grocer.api("manager", "post", url, {"amount": "5.00", "reason": "  "})
    assert (no_reason.status_code, no_reason.json()["code"], no_reason.json()["field"]) == (
        400,
        "reason_required",
        "reason",
    )
    unpaid = place(items=[(BUTTER, 1)])
    early = grocer.api("manager", "post", f"/api/v1/console/orders/{unpaid.pk}/refund", {"amount": "5", "reason": "x"})
    assert (early.status_code, early.json()["code"]) == (409, "refund_nothing_captured")
    other_branch = grocer.api("manager_dha", "post", url, {"amount": "5.00", "reason": "Not mine"})
    assert (other_branch.status_code, other_branch.json()["code"]) == (404, "not_found")
    assert not Refund.objects.exists()
    assert ledger_problems(_intent(grocer, order_id)) == []


def test_list_endpoints_take_a_fixed_number_of_queries(grocer, paid, django_assert_max_num_queries):
    paid()
    for _ in range(3):
        _dha_paid(grocer)
    with django_assert_max_num_queries(6):  # user, membership, scope branches, count, page (+ search path)
        shares = grocer.api("merchant", "get", f"{SHARES}?limit=50")
    assert shares.json()["count"] == 4
    with django_assert_max_num_queries(6):
        assert grocer.api("merchant", "get", SETTLEMENTS).status_code == 200


def test_payments_page_and_the_order_pages_refund_form(grocer, paid):
    order_id = paid()
    _dha_paid(grocer)
    number = grocer.order(order_id).number
    page = grocer.page_client("manager").get("/payments/")
    assert page.status_code == 200
    html = page.content.decode()
    assert number in html and "Net payable" in html and "Payouts are not made" in html
    assert "DHA-paid" not in html  # the DHA order is outside the manager's branch
    assert grocer.page_client("merchant").get(f"/payments/?branch={grocer.dha.pk}").status_code == 200
    assert 'href="/payments/"' in grocer.page_client("merchant").get("/").content.decode()

    manager = grocer.page_client("manager")
    detail = manager.get(f"/orders/{order_id}/").content.decode()
    assert f'action="/orders/{order_id}/refund/"' in detail
    assert 'action="/orders/' not in grocer.page_client("employee").get(f"/orders/{order_id}/").content.decode()

    refused = manager.post(f"/orders/{order_id}/refund/", {"amount": "9999", "reason": "x"}, follow=True)
    assert "At most Rs 1,180 can be refunded." in refused.content.decode()
    done = manager.post(f"/orders/{order_id}/refund/", {"amount": "80.00", "reason": "Late"}, follow=True)
    assert done.redirect_chain[-1][0] == f"/orders/{order_id}/"
    assert "Refunded Rs 80" in done.content.decode()
    assert Refund.objects.get().amount == Decimal("80.00")
    assert (
        grocer.page_client("manager_dha")
        .post(f"/orders/{order_id}/refund/", {"amount": "1", "reason": "x"})
        .status_code
        == 404
    )
    assert (
        grocer.page_client("employee").post(f"/orders/{order_id}/refund/", {"amount": "1", "reason": "x"}).status_code
        == 403
    )
    assert Refund.objects.count() == 1


def test_a_provider_that_does_not_answer_is_told_as_pending_not_try_again(grocer, paid, monkeypatch):
    order_id = paid()

    def unanswered(**kwargs):
        raise PaymentError(PaymentErrorCode.REFUND_PENDING)

    monkeypatch.setattr("tenant_apps.orders.refunds.refund_request", unanswered)
    url = f"/api/v1/console/orders/{order_id}/refund"
    response = grocer.api("manager", "post", url, {"amount": "5", "reason": "x"})
    assert (response.status_code, response.json()["code"]) == (503, "refund_pending")
    assert "do not refund again" in response.json()["message"]
