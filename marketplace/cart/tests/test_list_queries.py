"""A cart costs the same queries with one line per shop or many, by the API and on the page: lines are re-priced
from each merchant's schema, once per merchant whatever the number of its lines."""

from __future__ import annotations

import pytest

from marketplace.cart.tests.test_pages import LIBERTY
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery import location as loc
from tests.query_counts import assert_list_queries_flat, html_count

MORE_LINES = (
    ("gulberg-grocer", "Sunridge Chakki Atta", "5 kg"),
    ("gulberg-grocer", "Sunridge Chakki Atta", "10 kg"),
    ("gulberg-grocer", "Nurpur Butter", "200 g"),
    ("crust-and-crumb", "Cake Rusk", "Box"),
)


def _lines(response) -> int:
    assert response.status_code == 200, response.content[:300]
    return sum(len(group["lines"]) for group in response.json()["groups"])


@pytest.fixture
def buyer(market, new_buyer, rice, cake):
    """A guest with a line at each of two shops: the grocer's rice and the bakery's cake."""
    made = new_buyer()
    for row in (rice, cake):
        assert made.add(row.pk).status_code == 201
    return made


def _more_lines(add) -> None:
    for shop, title, variant in MORE_LINES:
        row = listing(shop, title, variant, branch="Liberty Market" if shop == "gulberg-grocer" else None)
        response = add(row.pk)
        assert response.status_code in (201, 302), response.content[:300]


def test_the_cart_api_costs_the_same_for_two_lines_or_six(buyer):
    assert_list_queries_flat(
        read=lambda: buyer.call("get", f"/api/v1/cart?lat={LIBERTY.lat}&lng={LIBERTY.lng}"),
        rows=_lines,
        add_rows=lambda: _more_lines(buyer.add),
        few=2,
        many=6,
    )


def test_the_cart_page_costs_the_same_for_two_lines_or_six(market, host_client, rice, cake):
    client = host_client("localhost")
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()

    def add(listing_id: int):
        return client.post("/cart/add", {"listing_id": listing_id, "quantity": 1, "next": "/cart"})

    for row in (rice, cake):
        add(row.pk)
    assert_list_queries_flat(
        read=lambda: client.get("/cart"),
        rows=html_count('<li class="cart-line'),
        add_rows=lambda: _more_lines(add),
        few=2,
        many=6,
    )
