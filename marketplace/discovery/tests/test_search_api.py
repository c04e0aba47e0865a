"""GET /api/v1/search: radius, sorts, filters, facets, text, paging and errors, checked against brute force."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import pytest

from marketplace.discovery import geo
from marketplace.discovery.api import SearchOut
from marketplace.discovery.schemas import SearchQuery
from marketplace.discovery.search import search_plan, search_run
from marketplace.discovery.search_text import has_trigram, search_terms_refresh
from marketplace.discovery.tests.factories import category_make, listing_make

CENTRE = (31.5204, 74.3587)
TITLES = ["Fresh Tomatoes", "Full Cream Milk", "Basmati Rice", "Brown Bread", "Cooking Oil", "Green Tea"]


@pytest.fixture
def town(make_merchant):
    """Two merchants, a small category tree and 160 listings scattered up to ~12 km around the centre."""
    rng = random.Random(7)
    grocery = category_make("grocery")
    categories = {
        "vegetables": category_make("vegetables", grocery),
        "dairy": category_make("dairy", grocery),
        "pharmacy": category_make("pharmacy"),
    }
    merchants = [make_merchant(slug="alpha"), make_merchant(slug="beta")]
    rows = []
    for i in range(160):
        title = TITLES[i % len(TITLES)]
        price = Decimal(rng.choice(["45.00", "120.50", "260.00", "999.99", "1500.00", "30000.00", "75000.00"]))
        rows.append(
            listing_make(
                merchants[i % 2],
                lat=CENTRE[0] + rng.uniform(-0.11, 0.11),
                lng=CENTRE[1] + rng.uniform(-0.11, 0.11),
                title=title,
                description="Farm fresh and local" if i % 5 == 0 else "",
                category=categories[["vegetables", "dairy", "pharmacy"][i % 3]] if i % 7 else None,
                price=price,
                regular_price=price + (Decimal("10.00") if i % 4 == 0 else 0),
                in_stock=i % 6 != 0,
                offers_delivery=i % 2 == 0,
                delivery_radius_km=Decimal("3.00"),
                store_id=1 + i % 3,
                store_slug=f"store-{1 + i % 3}",
                popularity=float(i % 10),
            )
        )
    search_terms_refresh()
    return rows


@pytest.fixture
def api(host_client):
    client = host_client("localhost")

    def get(**params):
        response = client.get("/api/v1/search", {k: v for k, v in params.items() if v is not None})
        return response

    return get


def ok(api, **params) -> dict:
    response = api(**params)
    assert response.status_code == 200, response.json()
    return response.json()


def everything(api, **params) -> list[dict]:
    """Follow the cursor to the end."""
    body = ok(api, limit=100, **params)
    results = list(body["results"])
    while body["next_cursor"]:
        body = ok(api, limit=100, cursor=body["next_cursor"], **params)
        results += body["results"]
    return results


def within(rows, radius_km):
    return {r.pk for r in rows if geo.haversine_km(*CENTRE, r.latitude, r.longitude) <= radius_km}


@pytest.mark.parametrize("radius_km", [2, 5, 10])
def test_results_are_exactly_the_listings_inside_the_radius_nearest_first(town, api, radius_km):
    results = everything(api, lat=CENTRE[0], lng=CENTRE[1], radius_km=radius_km, sort="distance")
    distances = [r["distance_km"] for r in results]
    assert all(d <= radius_km for d in distances)
    assert distances == sorted(distances)
    assert {r["id"] for r in results} == within(town, radius_km)  # nothing inside the circle is missed


def test_total_and_facets_equal_the_counts_of_the_filtered_set(town, api):
    base = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 8}
    body = ok(api, **base)
    facets = body["facets"]
    assert body["total"] == len(within(town, 8))
    assert sum(b["count"] for b in facets["price"]) == body["total"]
    assert facets["in_stock"] == ok(api, in_stock="true", **base)["total"]
    for category in facets["categories"]:
        assert category["count"] == ok(api, category=category["slug"], **base)["total"], category
    for store in facets["stores"]:
        assert store["count"] == ok(api, store=store["key"], **base)["total"], store
    assert facets["stores_total"] == len(facets["stores"]) == 6  # 2 merchants x 3 stores
    for bucket in facets["price"]:
        price_max = Decimal(bucket["max"]) - Decimal("0.01") if bucket["max"] else None
        narrowed = ok(api, price_min=bucket["min"], price_max=price_max, **base)["total"]
        assert bucket["count"] == narrowed, bucket


def test_category_includes_its_descendants(town, api):
    base = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 20}
    grocery = ok(api, category="grocery", **base)["total"]
    assert grocery == ok(api, category="vegetables", **base)["total"] + ok(api, category="dairy", **base)["total"]
    assert grocery > 0


def test_filters_each_narrow_to_what_they_say(town, api):
    base = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 20}
    assert all(r["in_stock"] for r in everything(api, in_stock="true", **base))
    sold_out = everything(api, in_stock="false", **base)
    assert sold_out and not any(r["in_stock"] for r in sold_out)
    offers = everything(api, has_offer="true", **base)
    assert offers and all(r["has_offer"] and Decimal(r["regular_price"]) > Decimal(r["price"]) for r in offers)
    priced = everything(api, price_min="100", price_max="1000", **base)
    assert priced and all(Decimal("100") <= Decimal(r["price"]) <= Decimal("1000") for r in priced)
    # a blank box of a form (or a null written in a query string) is no bound, not a malformed number
    assert everything(api, price_min="100", price_max="", **base) == everything(api, price_min="100", **base)
    delivering = everything(api, delivery="delivery", **base)
    assert delivering and all(r["delivery"]["delivers_here"] and r["distance_km"] <= 3 for r in delivering)
    stores = everything(api, store="alpha/store-1", **base)
    assert stores and {r["store"]["key"] for r in stores} == {"alpha/store-1"}
    assert {r["store"]["merchant"] for r in everything(api, store="beta", **base)} == {"beta"}


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [("price_asc", "price", False), ("price_desc", "price", True), ("distance", "distance_km", False)],
)
def test_sorts_are_monotone(town, api, sort, key, reverse):
    results = everything(api, lat=CENTRE[0], lng=CENTRE[1], radius_km=10, sort=sort)
    values = [Decimal(str(r[key])) for r in results]
    assert values == sorted(values, reverse=reverse)


def test_relevance_is_the_product_of_its_parts_and_ties_break_on_id(town, api):
    results = ok(api, q="milk", lat=CENTRE[0], lng=CENTRE[1], radius_km=20, explain="true", limit=100)["results"]
    assert results and all("milk" in r["title"].lower() for r in results)
    for r in results:
        parts = r["score"]
        product = parts["text"] * parts["distance_decay"] * parts["availability"] * parts["popularity"]
        assert parts["total"] == pytest.approx(product)
    ranked = [(-r["score"]["total"], r["id"]) for r in results]
    assert ranked == sorted(ranked)
    assert ok(api, q="milk", lat=CENTRE[0], lng=CENTRE[1], radius_km=20)["results"][0]["score"] is None


def test_pages_and_cursors_are_disjoint_and_complete(town, api):
    base = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 10, "sort": "popular"}
    pages = [ok(api, page=n, limit=7, **base)["results"] for n in (1, 2, 3)]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) == 21
    assert [r["id"] for r in everything(api, **base)][:21] == ids


def test_words_match_as_prefixes_and_title_outranks_description(town, api):
    found = everything(api, q="tomat")
    assert found and all("Tomatoes" in r["title"] for r in found)
    fresh = ok(api, q="fresh", explain="true", limit=100)["results"]
    titled = [r["score"]["text"] for r in fresh if "Fresh" in r["title"]]
    described = [r["score"]["text"] for r in fresh if "Fresh" not in r["title"]]
    assert titled and described and min(titled) > max(described)


def test_typo_finds_the_word_with_trigrams(town, api):
    if not has_trigram():
        pytest.skip("this server has no pg_trgm (the embedded PostgreSQL): see the difflib fallback test")
    for typo in ("tomatos", "tomtoes", "tomatoez"):
        body = ok(api, q=typo)
        assert body["total"] > 0 and all("Tomatoes" in r["title"] for r in body["results"]), typo


def test_typo_fallback_without_trigrams(town, api, monkeypatch):
    """The embedded PostgreSQL has no pg_trgm: difflib over the vocabulary still corrects the word."""
    monkeypatch.setattr("marketplace.discovery.search_text.has_trigram", lambda: False)
    body = ok(api, q="tomtoes")
    assert body["total"] > 0 and body["corrections"] == {"tomtoes": "tomatoes"}  # a word of the titles


def test_unknown_words_find_nothing_and_stop_words_are_ignored(town, api):
    assert ok(api, q="xylophonequartz")["total"] == 0
    assert ok(api, q="the milk")["total"] == ok(api, q="milk")["total"] > 0


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"lat": "31.5"}, "location_incomplete", "lng"),
        ({"lng": "74.3"}, "location_incomplete", "lat"),
        ({"lat": "95", "lng": "74"}, "location_invalid", "lat"),
        ({"lat": "31.5", "lng": "74.3", "radius_km": "51"}, "radius_invalid", "radius_km"),
        ({"lat": "31.5", "lng": "74.3", "radius_km": "0"}, "radius_invalid", "radius_km"),
        ({"sort": "cheapest"}, "invalid", "sort"),
        ({"sort": "distance"}, "distance_needs_location", "sort"),
        ({"price_min": "10", "price_max": "5"}, "price_range_invalid", "price_min"),
        ({"price_min": "-1"}, "invalid", "price_min"),
        ({"price_min": "1.234"}, "invalid", "price_min"),
        ({"category": "no-such-thing"}, "category_unknown", "category"),
        ({"cursor": "bm9wZQ"}, "cursor_invalid", "cursor"),
        ({"cursor": "x", "page": "2"}, "page_conflict", "cursor"),
        ({"limit": "101"}, "invalid", "limit"),
        ({"store": "a/b/c"}, "store_invalid", "store"),
        ({"delivery": "drone"}, "invalid", "delivery"),
        ({"lat": "north", "lng": "74"}, "invalid", "lat"),
    ],
)
def test_bad_parameters_get_a_clear_400(db, api, params, code, field):
    response = api(**params)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["message"]


def test_a_cursor_from_another_search_is_refused(town, api):
    cursor = ok(api, q="milk", limit=2)["next_cursor"]
    assert api(q="rice", cursor=cursor).json()["code"] == "cursor_invalid"


def test_search_is_one_statement(town, api, django_assert_max_num_queries):
    ok(api, q="milk")  # warm the category tree and the word-correction cache
    with django_assert_max_num_queries(1):
        ok(api, q="milk", lat=CENTRE[0], lng=CENTRE[1], radius_km=5, category="grocery", sort="price_asc")


def test_response_has_exactly_the_documented_shape(town, api):
    """The endpoint serializes the selector's dicts itself; the OpenAPI schema must still describe them exactly."""
    body = ok(api, q="milk", lat=CENTRE[0], lng=CENTRE[1], radius_km=20, explain="true", limit=3)
    assert SearchOut.model_validate(body).model_dump(mode="json") == body
    plain = ok(api, lat=CENTRE[0], lng=CENTRE[1], limit=2)
    assert SearchOut.model_validate(plain).model_dump(mode="json") == plain


@pytest.mark.parametrize("q", ["milk", "tomat", "brown bread", "the milk", "tomatos", "farm", "zzz"])
def test_words_through_the_per_cell_index_match_the_plain_word_index(town, q):
    """Located searches with words use the per-cell word index (each lexeme prefixed by its cell): same rows."""
    for radius_km, sort in ((2, "distance"), (5, "relevance"), (12, "price_asc")):
        query = SearchQuery(q=q, lat=CENTRE[0], lng=CENTRE[1], radius_km=radius_km, sort=sort, limit=50)
        fast, plain = search_plan(query), search_plan(query, summaries=False)
        assert (
            "listings_geo_terms" in fast.statements.sql or q == "zzz"
        )  # no stem for a word the index lacks? still the same answer
        assert "listings_geo_terms" not in plain.statements.sql
        a, b = (
            dataclasses.replace(rows, categories=sorted(rows.categories, key=repr))  # categories come unordered
            for rows in (search_run(fast), search_run(plain))
        )
        assert a == b, (q, radius_km)
