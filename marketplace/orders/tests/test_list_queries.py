"""The customer's order list page costs the same queries for one order or five, each with a part per shop (the
API's own check is in test_orders_api.py)."""

from __future__ import annotations

import re

from marketplace.orders.tests.test_pages import customer, place  # noqa: F401  (customer: fixture)
from tests.query_counts import assert_list_queries_flat


def _orders(response) -> int:
    assert response.status_code == 200, response.content[:300]
    return len(re.findall(r"Order [A-Z0-9-]+", response.content.decode()))


def test_my_orders_page_costs_the_same_for_one_order_or_five(customer):  # noqa: F811
    place(customer)

    def grow() -> None:
        for _ in range(4):
            place(customer)

    assert_list_queries_flat(read=lambda: customer.get("/orders/"), rows=_orders, add_rows=grow, few=1, many=5)
