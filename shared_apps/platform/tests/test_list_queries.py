"""The platform's list of merchants (API) costs the same queries for one merchant or four: owners and domains are
loaded with the list, not per merchant."""

from __future__ import annotations

from tests.query_counts import assert_list_queries_flat, json_items


def test_the_merchants_api_costs_the_same_for_one_merchant_or_four(admin_client, make_merchant):
    make_merchant()

    def grow() -> None:
        for _ in range(3):
            make_merchant()

    assert_list_queries_flat(
        read=lambda: admin_client.get("/api/v1/platform/merchants"), rows=json_items, add_rows=grow, few=1, many=4
    )
