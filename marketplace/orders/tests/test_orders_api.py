"""The customer's orders: only their own (anyone else's is 404), in a bounded number of queries, and cancel while no
shop has accepted — stock back on the shelf and a text to say so — never after."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.orders.tests.conftest import PHONE, staff_move, stock


def _order(buyer, *lines) -> dict:
    for item, quantity in lines:
        assert buyer.add(item.pk, quantity).status_code == 201
    response = buyer.checkout()
    assert response.status_code == 201, response.json()
    return response.json()


def _error(response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert {"code", "message", "field"} <= set(body) and body["code"] == code
    return body


def _list(buyer, query: str = "") -> dict:
    response = buyer.call("get", f"/api/v1/orders{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_my_orders_only_newest_first(new_buyer, rice, cake):
    me, someone = new_buyer(), new_buyer()
    first = _order(me, (rice, 1))
    theirs = _order(someone, (cake, 1))
    second = _order(me, (cake, 2))

    mine = _list(me)
    assert mine["count"] == 2 and [o["id"] for o in mine["items"]] == [second["id"], first["id"]]
    assert [o["id"] for o in _list(someone)["items"]] == [theirs["id"]]
    page = _list(me, "?limit=1&offset=1")
    assert page["count"] == 2 and [o["id"] for o in page["items"]] == [first["id"]]


def test_listing_orders_takes_the_same_queries_for_one_or_many(new_buyer, rice):
    buyer = new_buyer()
    _order(buyer, (rice, 1))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _list(buyer)["count"] >= 1
        assert any("LIMIT" in query["sql"] for query in captured)  # one page is read, not the whole history
        return len(captured)

    one = queries()
    for _ in range(4):
        _order(buyer, (rice, 1))
    assert queries() == one <= 5  # auth, count, the page, its parts (payment joined)


def test_order_detail_with_parts_and_timeline(new_buyer, rice, cake):
    buyer = new_buyer()
    placed = _order(buyer, (rice, 2), (cake, 1))
    response = buyer.call("get", f"/api/v1/orders/{placed['id']}")
    assert response.status_code == 200
    order = response.json()
    assert order == placed
    assert (order["status"], order["contact_phone"], order["can_cancel"]) == ("placed", PHONE, True)
    grocer, bakery = order["parts"]
    assert (grocer["store_name"], grocer["branch_name"], grocer["fulfilment"]) == (
        "Gulberg Grocer",
        "Liberty Market",
        "pickup",
    )
    assert grocer["lines"] == [
        {
            "title": "Guard Basmati Rice",
            "variant_name": "1 kg",
            "quantity": 2,
            "unit_price": "590.00",
            "line_total": "1180.00",
        }
    ]
    assert [(t["status"], t["label"]) for t in grocer["timeline"]] == [("placed", "New")]
    assert Decimal(order["total"]) == Decimal(grocer["total"]) + Decimal(bakery["total"]) == Decimal("2980")
    assert order["payment"]["method"] == "cod" and order["payment"]["status"] == "requires_payment"

    staff_move(grocer["number"], "accepted")
    order = buyer.call("get", f"/api/v1/orders/{placed['id']}").json()
    assert order["status"] == "in_progress" and order["can_cancel"] is False
    assert [t["status"] for t in order["parts"][0]["timeline"]] == ["placed", "accepted"]


def test_someone_elses_order_is_404(new_buyer, rice):
    mine, theirs = new_buyer(), new_buyer()
    order = _order(theirs, (rice, 1))
    _error(mine.call("get", f"/api/v1/orders/{order['id']}"), 404, "order_not_found")
    _error(mine.call("post", f"/api/v1/orders/{order['id']}/cancel", {}), 404, "order_not_found")
    _error(mine.call("get", "/api/v1/orders/987654"), 404, "order_not_found")
    assert theirs.call("get", f"/api/v1/orders/{order['id']}").json()["status"] == "placed"


def test_cancel_before_acceptance_releases_stock_and_texts(new_buyer, rice, cake, texts, committed):
    buyer = new_buyer()
    order = _order(buyer, (rice, 2), (cake, 1))
    assert stock(rice) == (10, 2) and stock(cake) == (10, 1)

    with committed():
        response = buyer.call("post", f"/api/v1/orders/{order['id']}/cancel", {"reason": "Ordered by mistake"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled" and body["can_cancel"] is False
    assert [p["status"] for p in body["parts"]] == ["cancelled", "cancelled"]
    assert body["parts"][0]["timeline"][-1]["note"] == "Ordered by mistake"
    assert stock(rice) == (10, 0) and stock(cake) == (10, 0)
    numbers = [p["number"] for p in body["parts"]]
    assert [(to, body.split(" Track: ")[0]) for to, body in texts] == [  # each with its tracking link
        (PHONE, f"Planckly: your order {numbers[0]} at Gulberg Grocer was cancelled. Ordered by mistake"),
        (PHONE, f"Planckly: your order {numbers[1]} at Crust & Crumb was cancelled. Ordered by mistake"),
    ]
    _error(buyer.call("post", f"/api/v1/orders/{order['id']}/cancel", {}), 409, "order_cannot_cancel")


def test_cancel_after_a_shop_accepted_is_409_and_changes_nothing(new_buyer, rice, cake):
    buyer = new_buyer()
    order = _order(buyer, (rice, 2), (cake, 1))
    staff_move(order["parts"][1]["number"], "accepted")  # one shop of two has accepted: all or nothing

    _error(buyer.call("post", f"/api/v1/orders/{order['id']}/cancel", {}), 409, "order_cannot_cancel")

    after = buyer.call("get", f"/api/v1/orders/{order['id']}").json()
    assert [p["status"] for p in after["parts"]] == ["placed", "accepted"]
    assert stock(rice) == (10, 2) and stock(cake) == (10, 1)


def test_cancel_after_a_shop_rejected_cancels_the_rest(new_buyer, rice, cake):
    buyer = new_buyer()
    order = _order(buyer, (rice, 2), (cake, 1))
    staff_move(order["parts"][1]["number"], "rejected", reason="Sold out")
    assert stock(cake) == (10, 0)

    body = buyer.call("post", f"/api/v1/orders/{order['id']}/cancel", {}).json()
    assert [p["status"] for p in body["parts"]] == ["cancelled", "rejected"] and body["status"] == "cancelled"
    assert stock(rice) == (10, 0)


def test_orders_need_a_shopper(client, db):
    _error(client.get("/api/v1/orders", HTTP_HOST="localhost"), 401, "unauthenticated")
