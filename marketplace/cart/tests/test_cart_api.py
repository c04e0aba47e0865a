"""The cart API: lines by shop branch with each branch's delivery options, quantities checked against the branch's
stock, prices re-read on every view (a change flagged once), and one error envelope {code, message, field}."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.checkout.tests.conftest import listing
from marketplace.checkout.tests.merchant_side import price_set

LIBERTY = "lat=31.5102&lng=74.3443"  # inside the grocer's 5 km and the bakery's 4 km
ISLAMABAD = "lat=33.6844&lng=73.0479"


@pytest.fixture
def butter(market):
    return listing("gulberg-grocer", "Nurpur Butter", "200 g", branch="Liberty Market")


@pytest.fixture
def rusk(market):
    return listing("crust-and-crumb", "Cake Rusk", "Box")


def _error(response, status: int, code: str, field: str | None = None) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert {"code", "message", "field"} <= set(body) and body["message"]
    assert (body["code"], body["field"]) == (code, field)
    return body


def _cart(buyer, where: str = "") -> dict:
    response = buyer.call("get", f"/api/v1/cart?{where}" if where else "/api/v1/cart")
    assert response.status_code == 200, response.json()
    return response.json()


def _option(group: dict, kind: str) -> dict:
    return next(o for o in group["delivery_options"] if o["kind"] == kind)


def test_add_view_change_and_remove(new_buyer, rice):
    buyer = new_buyer()
    added = buyer.add(rice.pk, 2)
    assert added.status_code == 201
    line = added.json()
    assert (line["listing_id"], line["quantity"], Decimal(line["unit_price"])) == (rice.pk, 2, Decimal("590"))
    assert Decimal(line["line_total"]) == Decimal("1180") and line["available"] == 10 and line["problem"] is None

    again = buyer.add(rice.pk, 3).json()  # the same line grows
    assert (again["id"], again["quantity"]) == (line["id"], 5)

    changed = buyer.call("patch", f"/api/v1/cart/items/{line['id']}", {"quantity": 1})
    assert changed.status_code == 200 and changed.json()["quantity"] == 1
    cart = _cart(buyer)
    assert cart["item_count"] == 1 and Decimal(cart["subtotal"]) == Decimal("590") and cart["currency"] == "PKR"

    assert buyer.call("delete", f"/api/v1/cart/items/{line['id']}").status_code == 204
    assert _cart(buyer)["groups"] == []
    _error(buyer.call("delete", f"/api/v1/cart/items/{line['id']}"), 404, "cart_item_not_found")


def test_the_cart_needs_a_shopper(client, db):
    response = client.get("/api/v1/cart", HTTP_HOST="localhost")
    _error(response, 401, "unauthenticated")


def test_bad_quantities_are_400(new_buyer, rice):
    buyer = new_buyer()
    line = buyer.add(rice.pk, 1).json()
    for quantity, code in (
        (0, "quantity_invalid"),
        (100, "quantity_invalid"),
        (-1, "quantity_invalid"),
        ("x", "invalid"),
        (1.5, "invalid"),
        (None, "invalid"),
    ):
        _error(buyer.add(rice.pk, quantity), 400, code, "quantity")
        _error(buyer.call("patch", f"/api/v1/cart/items/{line['id']}", {"quantity": quantity}), 400, code, "quantity")
    _error(buyer.call("post", "/api/v1/cart/items", {"quantity": 1}), 400, "invalid", "listing_id")
    assert _cart(buyer)["item_count"] == 1


def test_a_line_cannot_grow_past_the_maximum(new_buyer, market, rice):
    buyer = new_buyer()
    assert buyer.add(rice.pk, 5).status_code == 201
    _error(buyer.add(rice.pk, 95), 400, "quantity_invalid", "quantity")


def test_unknown_listing_is_404(new_buyer, market):
    _error(new_buyer().add(987654, 1), 404, "listing_not_found", "listing_id")


def test_someone_elses_line_is_404(new_buyer, rice):
    mine, theirs = new_buyer(), new_buyer()
    their_line = theirs.add(rice.pk, 2).json()["id"]
    _error(mine.call("patch", f"/api/v1/cart/items/{their_line}", {"quantity": 1}), 404, "cart_item_not_found")
    _error(mine.call("delete", f"/api/v1/cart/items/{their_line}"), 404, "cart_item_not_found")
    assert _cart(theirs)["item_count"] == 2


def test_more_than_the_branch_has_is_409_with_what_is_available(new_buyer, rice, market):
    buyer = new_buyer()
    body = _error(buyer.add(rice.pk, 11), 409, "insufficient_stock", "quantity")
    assert body["details"]["available"] == 10 and "10" in body["message"]
    line = buyer.add(rice.pk, 10).json()
    assert _error(buyer.add(rice.pk, 1), 409, "insufficient_stock", "quantity")["details"]["available"] == 10
    patched = buyer.call("patch", f"/api/v1/cart/items/{line['id']}", {"quantity": 11})
    assert _error(patched, 409, "insufficient_stock", "quantity")["details"]["available"] == 10
    eggs = listing("gulberg-grocer", "Farm Eggs", "1 dozen", branch="Liberty Market")
    assert _error(buyer.add(eggs.pk, 1), 409, "insufficient_stock", "quantity")["details"]["available"] == 0
    assert _cart(buyer)["item_count"] == 10


def test_half_a_location_is_400(new_buyer, market):
    buyer = new_buyer()
    _error(buyer.call("get", "/api/v1/cart?lat=31.5"), 400, "location_invalid", "lng")
    _error(buyer.call("get", "/api/v1/cart?lng=74.3"), 400, "location_invalid", "lat")
    _error(buyer.call("get", "/api/v1/cart?lat=91&lng=74.3"), 400, "invalid", "lat")


def test_lines_are_grouped_by_shop_branch(new_buyer, rice, butter, cake):
    buyer = new_buyer()
    for item in (rice, cake, butter):
        assert buyer.add(item.pk).status_code == 201
    cart = _cart(buyer, LIBERTY)
    grocer, bakery = cart["groups"]  # merchants in id order
    assert (grocer["key"], grocer["merchant"], grocer["store_name"], grocer["branch_name"]) == (
        f"gulberg-grocer:{rice.branch_id}",
        "gulberg-grocer",
        "Gulberg Grocer",
        "Liberty Market",
    )
    assert [line["listing_id"] for line in grocer["lines"]] == [rice.pk, butter.pk]  # in the order added
    assert Decimal(grocer["subtotal"]) == Decimal("1230") and Decimal(bakery["subtotal"]) == Decimal("1800")
    assert [line["listing_id"] for line in bakery["lines"]] == [cake.pk]
    assert grocer["distance_km"] < 0.1 and Decimal(cart["subtotal"]) == Decimal("3030")


def test_delivery_options_follow_the_location_and_the_minimum(new_buyer, rice, rusk):
    buyer = new_buyer()
    buyer.add(rice.pk)
    buyer.add(rusk.pk)

    grocer, bakery = _cart(buyer)["groups"]
    assert _option(grocer, "pickup") == {
        "kind": "pickup",
        "available": True,
        "fee": "0.00",
        "reason": None,
        "min_order": "0.00",
    }
    assert (_option(grocer, "delivery")["available"], _option(grocer, "delivery")["reason"]) == (
        False,
        "location_needed",
    )
    assert grocer["distance_km"] is None

    grocer, bakery = _cart(buyer, LIBERTY)["groups"]
    delivery = _option(grocer, "delivery")
    assert (delivery["available"], Decimal(delivery["fee"]), Decimal(delivery["min_order"])) == (
        True,
        Decimal("100"),
        Decimal("500"),
    )
    assert Decimal(grocer["min_order"]) == Decimal("500")
    short = _option(bakery, "delivery")  # Rs 450 of rusk, the bakery delivers from Rs 1,000
    assert (short["available"], short["reason"], Decimal(short["min_order"])) == (False, "below_minimum", 1000)
    assert _option(bakery, "partner") == {
        "kind": "partner",
        "available": False,
        "fee": "0.00",
        "reason": "not_offered",
        "min_order": "0.00",
    }

    far = _cart(buyer, ISLAMABAD)["groups"][0]
    assert (_option(far, "delivery")["available"], _option(far, "delivery")["reason"]) == (False, "outside_area")
    assert _option(far, "pickup")["available"] is True and far["distance_km"] > 200


def test_a_changed_price_is_flagged_once(new_buyer, rice, butter):
    buyer = new_buyer()
    buyer.add(rice.pk, 2)
    buyer.add(butter.pk)
    price_set(rice, "550")

    cart = _cart(buyer)
    rice_line, butter_line = cart["groups"][0]["lines"]
    assert cart["prices_changed"] is True
    assert (rice_line["price_changed"], Decimal(rice_line["previous_unit_price"])) == (True, Decimal("590"))
    assert Decimal(rice_line["unit_price"]) == Decimal("550") and Decimal(rice_line["line_total"]) == Decimal("1100")
    assert (butter_line["price_changed"], butter_line["previous_unit_price"]) == (False, None)

    cart = _cart(buyer)  # seen: not flagged again
    assert cart["prices_changed"] is False and cart["groups"][0]["lines"][0]["previous_unit_price"] is None
    assert Decimal(cart["groups"][0]["lines"][0]["unit_price"]) == Decimal("550")
