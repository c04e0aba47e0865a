"""The console's orders API per role: the queue (scoped, filtered, paginated, a fixed number of queries), one order
with its lines and history, and the staff's moves with the state machine's errors."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenant_apps.inventory.models import StockLevel
from tenant_apps.orders.models import OrderStatus
from tenant_apps.orders.tests.conftest import BUTTER, RICE

S = OrderStatus
BASE = "/api/v1/console/orders"


def test_a_pickup_order_walks_through_the_api(grocer, place):
    order = place(items=[(RICE, 2), (BUTTER, 1)])
    steps = [
        ("accept", S.ACCEPTED, "employee"),
        ("prepare", S.PREPARING, "employee"),
        ("ready", S.READY_FOR_PICKUP, "manager"),
    ]
    for action, status, who in steps:
        response = grocer.api(who, "post", f"{BASE}/{order.pk}/{action}")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    assert response.json()["actions"] == []  # a pickup is handed over with the customer's code, not a plain move
    plain = grocer.api("employee", "post", f"{BASE}/{order.pk}/handover")
    assert plain.status_code == 409 and plain.json()["field"] == "code"
    assert grocer.order(order.pk).status == S.READY_FOR_PICKUP
    assert grocer.hand_over(order.pk, "employee").json()["order_status"] == S.PICKED_UP
    body = grocer.api("employee", "get", f"{BASE}/{order.pk}").json()
    assert body["actions"] == [] and body["items"] == 3 and body["stock_state"] == "sold"
    assert [(line["title"], line["quantity"]) for line in body["lines"]] == [(RICE[0], 2), (BUTTER[0], 1)]
    history = [(t["from_status"], t["to_status"], t["actor_role"]) for t in body["transitions"]]
    assert history == [
        ("", S.PLACED, "customer"),
        (S.PLACED, S.ACCEPTED, "employee"),
        (S.ACCEPTED, S.PREPARING, "employee"),
        (S.PREPARING, S.READY_FOR_PICKUP, "branch_manager"),
        (S.READY_FOR_PICKUP, S.PICKED_UP, "employee"),
    ]
    assert body["transitions"][1]["actor_id"] == grocer.users["employee"].pk


def test_a_delivery_order_goes_out_and_is_delivered(grocer, place):
    order = place(fulfilment="delivery")
    assert grocer.api("manager", "get", f"{BASE}/{order.pk}").json()["actions"] == ["accept", "reject"]
    for action in ("accept", "prepare"):
        assert grocer.api("merchant", "post", f"{BASE}/{order.pk}/{action}").status_code == 200
    ready = grocer.api("shop_owner", "post", f"{BASE}/{order.pk}/ready").json()
    assert ready["status"] == S.OUT_FOR_DELIVERY and ready["actions"] == ["handover"]
    assert grocer.api("manager", "post", f"{BASE}/{order.pk}/handover").json()["status"] == S.DELIVERED


def test_refused_moves_are_409_with_the_state_machines_code(grocer, place):
    order = place()
    early = grocer.api("manager", "post", f"{BASE}/{order.pk}/handover")
    assert early.status_code == 409
    assert early.json()["code"] == "order_transition_invalid"
    assert early.json()["details"]["status"] == S.PLACED and early.json()["details"]["allowed"] == [
        "accepted",
        "rejected",
    ]
    assert grocer.api("manager", "post", f"{BASE}/{order.pk}/accept").status_code == 200
    twice = grocer.api("employee", "post", f"{BASE}/{order.pk}/accept")
    assert (twice.status_code, twice.json()["code"]) == (409, "order_transition_invalid")
    assert grocer.api("manager", "post", f"{BASE}/{order.pk}/ready").json()["code"] == "order_transition_invalid"


def test_reject_needs_a_reason_and_gives_the_stock_back(grocer, place):
    order = place(items=[(RICE, 4)])
    empty = grocer.api("manager", "post", f"{BASE}/{order.pk}/reject", {"reason": "  "})
    assert (empty.status_code, empty.json()["code"], empty.json()["field"]) == (400, "reason_required", "reason")
    missing = grocer.api("manager", "post", f"{BASE}/{order.pk}/reject", {})
    assert (missing.status_code, missing.json()["field"]) == (400, "reason")
    rejected = grocer.api("manager", "post", f"{BASE}/{order.pk}/reject", {"reason": "Rice is out"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["reason"]) == (S.REJECTED, "Rice is out")
    assert rejected.json()["transitions"][-1]["reason"] == "Rice is out"
    with schema_context(grocer.merchant.schema_name):
        level = StockLevel.objects.get(branch=grocer.liberty, variant_id=order.lines.get().variant_id)
    assert (level.on_hand, level.reserved) == (10, 0)


def test_roles_and_scope(grocer, place):
    order = place()
    url = f"{BASE}/{order.pk}"
    for who in ("merchant", "shop_owner", "manager", "employee"):
        assert grocer.api(who, "get", url).status_code == 200, who
        assert [o["id"] for o in grocer.api(who, "get", BASE).json()["items"]] == [order.pk], who
    # an Employee without the process_orders duty: in scope, not allowed
    for method, path in (("get", BASE), ("get", url), ("post", f"{url}/accept")):
        response = grocer.api("employee_plain", method, path)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), path
    # the other branch's manager: the order does not exist for them
    assert grocer.api("manager_dha", "get", BASE).json()["items"] == []
    for method, path in (("get", url), ("post", f"{url}/accept"), ("post", f"{url}/reject")):
        response = grocer.api("manager_dha", method, path, {"reason": "no"} if path.endswith("reject") else None)
        assert response.status_code == 404, path
    assert grocer.api("manager_dha", "get", f"{BASE}?branch_id={grocer.liberty.pk}").status_code == 404
    assert grocer.order(order.pk).status == S.PLACED


def test_list_filters_and_pages(grocer, place):
    first, second, third = place(), place(fulfilment="delivery"), place()
    grocer.api("manager", "post", f"{BASE}/{second.pk}/accept")
    grocer.api("manager", "post", f"{BASE}/{third.pk}/reject", {"reason": "Closed for prayer"})

    def ids(query: str) -> list[int]:
        response = grocer.api("merchant", "get", f"{BASE}{query}")
        assert response.status_code == 200, response.json()
        return [o["id"] for o in response.json()["items"]]

    assert ids("") == [third.pk, second.pk, first.pk]  # newest first
    assert ids("?open=true") == [second.pk, first.pk]
    assert ids("?status=accepted") == [second.pk]
    assert ids(f"?branch_id={grocer.liberty.pk}&status=placed") == [first.pk]
    assert ids(f"?branch_id={grocer.dha.pk}") == []
    page = grocer.api("merchant", "get", f"{BASE}?limit=2&offset=1").json()
    assert page["count"] == 3 and [o["id"] for o in page["items"]] == [second.pk, first.pk]
    assert grocer.api("merchant", "get", f"{BASE}?status=lost").status_code == 400
    summary = grocer.api("merchant", "get", f"{BASE}?status=accepted").json()["items"][0]
    assert summary["branch_name"] == "Liberty Market" and summary["fulfilment"] == "delivery"
    assert (
        summary["customer_name"] == "Ayesha Khan"
        and summary["items"] == 2
        and summary["actions"]
        == [
            "prepare",
            "reject",
        ]
    )


def test_the_list_costs_the_same_queries_for_one_order_or_many(grocer, place, host_cache_held):
    place()

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = grocer.api("shop_owner", "get", f"{BASE}?open=true")
        assert response.status_code == 200
        sql = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
        return len(sql), len(response.json()["items"])

    queries()  # the first request warms the tenant-domain cache
    one, n = queries()
    assert n == 1
    for _ in range(4):
        place(items=[(RICE, 1), (BUTTER, 1)])
    many, n = queries()
    assert n == 5
    assert many == one == 4, f"{one} queries for one order, {many} for five"  # user, membership, count, page
