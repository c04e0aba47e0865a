"""Query counts of list endpoints and list pages: a list must cost the same number of queries with a few rows as with
many, so a query per row (an N+1) fails the suite wherever a list is served.

`assert_list_queries_flat` reads the list once to warm the per-process caches (the tenant's domain, content types,
a session), counts the queries of a read with the few rows, lets the test add rows (spread over branches and stores
where scope matters), warms again (adding rows may clear a cache), counts again, and compares. Both reads must show
the rows the test expects, so a list that stopped showing its rows cannot pass by being cheap. On failure the message
lists the statements of the larger read that the smaller one did not need, which names the relation loaded per row.

`SET search_path` statements are not counted: django-tenants issues one whenever the connection changes schema, which
depends on what the test did before the request, not on the rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Counted:
    """One read of a list: its statements (search path changes left out) and what it returned."""

    statements: list[str]
    result: Any

    @property
    def queries(self) -> int:
        return len(self.statements)


def queries_counted(read: Callable[[], Any]) -> Counted:
    """Run `read` and keep the statements it sent to the database."""
    with CaptureQueriesContext(connection) as captured:
        result = read()
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    return Counted(statements=statements, result=result)


_LITERAL = re.compile(r"'(?:[^']|'')*'(?:::\w+)?|\b\d+\b")


def _shape(sql: str) -> str:
    """A statement without its literals: the same query for another row has the same shape."""
    return _LITERAL.sub("?", sql)


def _extra_statements(few: Counted, many: Counted) -> str:
    extra = Counter(map(_shape, many.statements)) - Counter(map(_shape, few.statements))
    return "\n".join(f"  {n} more x {sql[:400]}" for sql, n in extra.most_common(5))


def assert_list_queries_flat(
    *,
    read: Callable[[], Any],
    rows: Callable[[Any], int],
    add_rows: Callable[[], object],
    few: int,
    many: int,
) -> int:
    """Assert that `read` costs the same queries when it returns `few` rows as after `add_rows` made it `many`.
    `rows(result)` counts the rows a read returned (the items of a JSON list, the rows of a page). Returns the
    number of queries, for the test to hold it under a ceiling as well."""
    assert few < many, "the list must grow between the two reads"
    # The host -> merchant lookup is cached for a few seconds from when it was made: on a slow machine it could
    # expire between the warm read and a counted one. Held for the comparison, both reads find it.
    with mock.patch("tenants.middleware.HOST_CACHE_SECONDS", float("inf")):
        read()  # warm the per-process caches
        before = queries_counted(read)
        assert rows(before.result) == few, f"expected {few} rows before adding, got {rows(before.result)}"
        add_rows()
        read()  # adding rows may have cleared a cache (the category tree's): both counted reads find caches warm
        after = queries_counted(read)
    assert rows(after.result) == many, f"expected {many} rows after adding, got {rows(after.result)}"
    assert after.queries == before.queries, (
        f"{before.queries} queries for {few} rows but {after.queries} for {many}:\n{_extra_statements(before, after)}"
    )
    return after.queries


def json_items(response: Any) -> int:
    """Rows of a JSON list response: a bare list, or a page's `items`."""
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    return len(body["items"] if isinstance(body, dict) else body)


def html_count(marker: str) -> Callable[[Any], int]:
    """Rows of an HTML page: how often `marker` (something each row prints once) appears in it."""

    def count(response: Any) -> int:
        assert response.status_code == 200, response.content[:500]
        return response.content.decode().count(marker)

    return count
