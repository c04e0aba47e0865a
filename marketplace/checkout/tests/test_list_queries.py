"""The checkout page lists every line of the cart per shop: it costs the same queries for two lines or six."""

from __future__ import annotations

from marketplace.cart.tests.test_pages import LIBERTY
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery import location as loc
from tests.query_counts import assert_list_queries_flat, html_count

MORE_LINES = (
    ("gulberg-grocer", "Sunridge Chakki Atta", "5 kg", "Liberty Market"),
    ("gulberg-grocer", "Sunridge Chakki Atta", "10 kg", "Liberty Market"),
    ("gulberg-grocer", "Nurpur Butter", "200 g", "Liberty Market"),
    ("crust-and-crumb", "Cake Rusk", "Box", None),
)


def test_the_checkout_page_costs_the_same_for_two_lines_or_six(market, host_client, rice, cake):
    client = host_client("localhost")
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()

    def add(listing_id: int) -> None:
        response = client.post("/cart/add", {"listing_id": listing_id, "quantity": 1, "next": "/cart"})
        assert response.status_code == 302, response.content[:300]

    def grow() -> None:
        for shop, title, variant, branch in MORE_LINES:
            add(listing(shop, title, variant, branch=branch).pk)

    for row in (rice, cake):
        add(row.pk)
    assert_list_queries_flat(
        read=lambda: client.get("/checkout"),
        rows=html_count(' <span class="amount">'),
        add_rows=grow,
        few=2,
        many=6,
    )
