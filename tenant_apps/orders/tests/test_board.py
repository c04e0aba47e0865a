"""The orders board beyond the queue: the history (past days, search by order number or phone), the printable slip,
reject refused once an order has left the branch, and the dashboard's board (top products, average order value, per
branch orders, sales and preparation time) over a chosen period, at a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.orders.errors import OrderError, OrderErrorCode
from tenant_apps.orders.models import MerchantOrder, OrderStatus, OrderTransition
from tenant_apps.orders.selectors import Period, order_board
from tenant_apps.orders.states import REJECTABLE, STAFF, TRANSITIONS, Actor, merchant_order_transition
from tenant_apps.orders.tests.conftest import BUTTER, RICE
from tenant_apps.staff.models import AuditEntry, Membership
from tests.query_counts import assert_list_queries_flat, html_count

S = OrderStatus


def _api(grocer, order, *actions: str) -> None:
    for action in actions:
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200


def test_only_orders_still_in_the_branch_are_rejectable():
    assert {src for src, moves in TRANSITIONS.items() if S.REJECTED in moves} == REJECTABLE


def test_an_order_out_for_delivery_cannot_be_rejected_nor_is_it_offered(grocer, place):
    order = place(fulfilment="delivery")
    _api(grocer, order, "accept", "prepare", "ready")
    refused = grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/reject", {"reason": "Too late"})
    assert refused.status_code == 409 and refused.json()["code"] == "order_transition_invalid"
    assert "can no longer be rejected" in refused.json()["message"]
    assert grocer.api("manager", "get", f"/api/v1/console/orders/{order.pk}").json()["actions"] == ["handover"]
    page = grocer.page_client("manager").get(f"/orders/{order.pk}/").content.decode()
    assert 'name="action" value="reject"' not in page
    with schema_context(grocer.merchant.schema_name), pytest.raises(OrderError) as caught:
        merchant_order_transition(
            order=MerchantOrder.objects.get(pk=order.pk), to=S.REJECTED, actor=Actor(STAFF, role="merchant"), reason="x"
        )
    assert caught.value.code == OrderErrorCode.TRANSITION_INVALID
    assert grocer.order(order.pk).status == S.OUT_FOR_DELIVERY


def test_every_staff_move_is_in_the_audit_log_in_words(grocer, place):
    order = place()
    _api(grocer, order, "accept")
    grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/reject", {"reason": "Out of rice"})
    with schema_context(grocer.merchant.schema_name):
        entries = list(AuditEntry.objects.filter(kind="order").order_by("id"))
        sentences = [(e.branch_id, e.actor_id, e.data["to"]) for e in entries]
    manager = grocer.users["manager"].pk
    assert sentences == [(grocer.liberty.pk, manager, "accepted"), (grocer.liberty.pk, manager, "rejected")]


def test_history_finds_an_order_by_number_or_by_phone_however_typed(grocer, place):
    first, second = place(), place(items=[(BUTTER, 1)])
    with schema_context(grocer.merchant.schema_name):
        MerchantOrder.objects.filter(pk=second.pk).update(customer_phone="+923217654321")
    client = grocer.page_client("manager")
    everything = client.get("/orders/history/").content.decode()
    assert everything.count('class="history-row"') == 2
    by_number = client.get(f"/orders/history/?q={first.number.lower()}").content.decode()
    assert first.number in by_number and second.number not in by_number
    for typed in ("0321 7654321", "+92 321 765 4321", "03217654321"):
        by_phone = client.get("/orders/history/", {"q": typed}).content.decode()
        assert second.number in by_phone and first.number not in by_phone, typed
    nothing = client.get("/orders/history/?q=NOPE-1").content.decode()
    assert "No order matches" in nothing


def test_history_shows_past_days_and_narrows_by_date_and_status(grocer, place):
    old, today = place(), place()
    _api(grocer, today, "accept")
    with schema_context(grocer.merchant.schema_name):
        MerchantOrder.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=40))
    client = grocer.page_client("manager")
    recent = client.get("/orders/history/").content.decode()
    assert today.number in recent and old.number not in recent  # the last 30 days by default
    day = timezone.localtime(old.created_at - timedelta(days=40)).date().isoformat()  # the shop's day, not UTC's
    that_day = client.get(f"/orders/history/?from={day}&to={day}").content.decode()
    assert old.number in that_day and today.number not in that_day
    accepted = client.get("/orders/history/?status=accepted").content.decode()
    assert today.number in accepted and old.number not in accepted
    assert client.get("/orders/history/?from=not-a-date").status_code == 200


def test_a_branch_manager_never_sees_another_branchs_history(grocer, place):
    order = place()
    assert order.number not in grocer.page_client("manager_dha").get("/orders/history/").content.decode()
    assert grocer.page_client("manager_dha").get(f"/orders/{order.pk}/slip/").status_code == 404


def test_the_history_costs_the_same_for_one_order_or_four(grocer, place, host_cache_held):
    place()
    client = grocer.page_client("shop_owner")
    assert_list_queries_flat(
        read=lambda: client.get("/orders/history/"),
        rows=html_count('class="history-row"'),
        add_rows=lambda: [place(items=[(RICE, 1), (BUTTER, 1)]) for _ in range(3)],
        few=1,
        many=4,
    )


def test_the_slip_has_what_the_kitchen_and_the_packer_need(grocer, place):
    order = place(items=[(RICE, 2), (BUTTER, 3)], fulfilment="delivery")
    with schema_context(grocer.merchant.schema_name):
        MerchantOrder.objects.filter(pk=order.pk).update(note="No plastic bags please")
    slip = grocer.page_client("employee").get(f"/orders/{order.pk}/slip/").content.decode()
    for text in (
        order.number,
        "DELIVERY",
        "Ayesha Khan",
        "House 12, Street 4, Gulberg III",
        "No plastic bags please",
        "2 \N{MULTIPLICATION SIGN}",
        "3 \N{MULTIPLICATION SIGN}",
        "Guard Basmati Rice",
        "Nurpur Butter",
        "Collect cash",
    ):
        assert text in slip, text
    assert "css/order-slip.css" in slip and "data-print" in slip and "js/page.js" in slip  # prints, under the CSP
    detail = grocer.page_client("employee").get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/slip/"' in detail


def test_the_board_counts_sales_average_order_top_products_and_prep_time(grocer, place):
    rice, mixed, rejected = place(items=[(RICE, 2)]), place(items=[(RICE, 1), (BUTTER, 3)]), place()
    _api(grocer, rice, "accept", "prepare", "ready")
    grocer.api("manager", "post", f"/api/v1/console/orders/{rejected.pk}/reject", {"reason": "Closed"})
    with schema_context(grocer.merchant.schema_name):
        moves = OrderTransition.objects.filter(order_id=rice.pk)
        accepted = moves.get(to_status=S.ACCEPTED).created_at
        moves.filter(to_status=S.READY_FOR_PICKUP).update(created_at=accepted + timedelta(minutes=12))
        owner = Membership.objects.get(user=grocer.users["shop_owner"])
        board = order_board(actor=owner, period=Period.TODAY)
    assert board.orders == 2 and board.sales == rice.total + mixed.total  # the rejected order is not a sale
    assert board.average_order == ((rice.total + mixed.total) / 2).quantize(Decimal("0.01"))
    assert [(p.title, p.units) for p in board.top_products] == [("Nurpur Butter", 3), ("Guard Basmati Rice", 3)]
    (liberty,) = board.branches
    assert (liberty.branch, liberty.orders, liberty.prep, liberty.prepared) == (
        "Liberty Market",
        2,
        timedelta(minutes=12),
        1,
    )


def test_the_dashboard_shows_the_board_for_the_chosen_period(grocer, place):
    order = place()
    _api(grocer, order, "accept", "prepare", "ready")
    client = grocer.page_client("shop_owner")
    page = client.get("/?period=30d").content.decode()
    assert 'href="/?period=30d" aria-current="page"' in page
    assert "Top products" in page and "Guard Basmati Rice" in page and "Average order" in page
    assert 'class="branch-figure"' in page and "Prep time" in page
    assert "Rs 1,180" in page  # two rice at Rs 590, written one way
    assert client.get("/?period=forever").status_code == 200  # an unknown period falls back to 7 days


def test_the_dashboard_costs_the_same_with_more_orders_products_and_branches(grocer, place, host_cache_held):
    place()
    client = grocer.page_client("merchant")

    def read():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/?period=7d")
        assert response.status_code == 200
        return [q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]

    read()
    few = len(read())
    for _ in range(3):
        order = place(items=[(RICE, 1), (BUTTER, 2)])
        _api(grocer, order, "accept", "prepare", "ready")
    read()
    many = len(read())
    assert many == few <= 30, f"{few} queries with one order, {many} with four"
