"""GET /api/v1/reels and the writes around it, over the small Lahore market (marketplace/discovery/tests/market.py):
prices from the nearest branch that stocks the product, cursor pages, errors, a shared reel first, stock demotion,
query counts, events into statistics, likes, saves and follows; and the publisher path from the outbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from kernel.cache import redis_client
from marketplace.discovery.tests.market import Market, build_market
from marketplace.listings.sync import listings_publish
from marketplace.reels.models import ReelCard, ReelLike
from marketplace.reels.scores import placements_refresh
from marketplace.reels.tests.factories import reel_make, reel_payload
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.tokens import guest_token_issue
from shared_apps.behaviour.recorder import events_key
from shared_apps.behaviour.selectors import reel_stats
from shared_apps.behaviour.services import behaviour_drain
from tenant_apps.outbox.models import Entity, OutboxEvent
from tests.query_counts import assert_list_queries_flat, html_count

GULBERG = {"lat": 31.5204, "lng": 74.3587}
ENVELOPE = {"code", "message", "field", "details"}


@pytest.fixture
def market(make_merchant) -> Market:
    return build_market(make_merchant)


@pytest.fixture
def client(host_client):
    return host_client("localhost")


@pytest.fixture(autouse=True)
def _events_list_empty():
    redis_client().delete(events_key())
    yield
    redis_client().delete(events_key())


def _feed(client, headers: dict | None = None, **params):
    return client.get("/api/v1/reels", {**GULBERG, **params}, **(headers or {}))


def test_a_reel_shows_its_videos_shop_distance_and_products_priced_here(client, market):
    card = reel_make(market, "gulberg-grocer", "Guard Basmati Rice", "Farm Eggs", caption="Fresh basmati")
    response = _feed(client)
    assert response.status_code == 200, response.content
    [reel] = response.json()["reels"]
    assert reel["id"] == card.pk and reel["caption"] == "Fresh basmati"
    assert reel["hls_url"].endswith(".m3u8") and reel["mp4_url"].endswith(".mp4") and reel["poster_url"]
    assert reel["merchant"] == {
        "slug": "gulberg-grocer",
        "name": "Gulberg Grocer",
        "url": f"/s/gulberg-grocer/{market.shops['gulberg-grocer'].store_slug}/",
        "following": False,
    }
    assert 1 < reel["distance_km"] < 2  # Liberty Market, the nearer branch
    rice, eggs = reel["products"]
    # the nearest branch that stocks it (Liberty), its cheapest variant there: the 1 kg at Rs 590
    assert (rice["name"], Decimal(rice["price"]), rice["price_text"], rice["in_stock"]) == (
        "Guard Basmati Rice",
        Decimal("590"),
        "Rs 590",
        True,
    )
    assert rice["listing_id"] and rice["url"].startswith("/p/gulberg-grocer/")
    assert eggs["in_stock"] is False  # stocked nowhere: priced, but not for sale here
    assert reel["share_url"] == f"/reels/{card.pk}"


def test_pages_by_cursor_walk_every_reel_once(client, market):
    made = set()
    for _ in range(4):
        made.add(reel_make(market, "gulberg-grocer", "Guard Basmati Rice").pk)
        made.add(reel_make(market, "crust-and-crumb", "Chocolate Fudge Cake").pk)
        made.add(reel_make(market, "shifa-pharmacy", "Panadol Extra").pk)
    seen, cursor, pages = [], None, 0
    while True:
        body = _feed(client, limit=5, **({"cursor": cursor} if cursor else {})).json()
        seen += [r["id"] for r in body["reels"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 12 and set(seen) == made


def test_no_shop_has_more_than_two_reels_in_ten_when_others_are_near(client, market):
    for _ in range(6):
        reel_make(market, "gulberg-grocer", "Guard Basmati Rice")
    for shop, product in (("crust-and-crumb", "Cake Rusk"), ("shifa-pharmacy", "Panadol Extra")):
        for _ in range(2):
            reel_make(market, shop, product)
    merchants = [r["merchant"]["slug"] for r in _feed(client, limit=10).json()["reels"]]
    assert merchants.count("gulberg-grocer") == 6  # three shops only: the cap gives way rather than end the feed
    first_five = merchants[:5]
    assert first_five.count("gulberg-grocer") <= 2


def test_a_reel_with_nothing_in_stock_here_comes_after_one_you_can_buy_from(client, market):
    out = reel_make(market, "shifa-pharmacy", "Surbex Z")  # out of stock
    can = reel_make(market, "shifa-pharmacy", "Panadol Extra", published_at=timezone.now() - timedelta(hours=6))
    ids = [r["id"] for r in _feed(client).json()["reels"]]
    assert ids == [can.pk, out.pk]  # older, yet first: the newer one has nothing to buy


def test_a_scheduled_reel_waits_for_its_time(client, market):
    reel_make(market, "crust-and-crumb", "Cake Rusk", published_at=timezone.now() + timedelta(hours=2))
    assert _feed(client).json()["reels"] == []


def test_a_shared_reel_opens_the_feed_and_is_not_shown_twice(client, market):
    far = reel_make(market, "gulberg-grocer", "Nurpur Butter", branches=market.shops["gulberg-grocer"].branches[1:])
    near = reel_make(market, "crust-and-crumb", "Cake Rusk")
    ids = [r["id"] for r in _feed(client, reel=far.pk).json()["reels"]]
    assert ids == [far.pk, near.pk]
    missing = _feed(client, reel=999_999)
    assert missing.status_code == 404 and missing.json()["code"] == "reel_not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": None}, "lat"),
        ({"lat": 95}, "lat"),
        ({"lng": "east"}, "lng"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 51}, "radius_km"),
        ({"limit": 0}, "limit"),
        ({"limit": 21}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_input_is_a_400_envelope(client, db, params, field):
    query = {**GULBERG, **params}
    response = client.get("/api/v1/reels", {k: v for k, v in query.items() if v is not None})
    assert response.status_code == 400, response.content
    assert set(response.json()) == ENVELOPE and response.json()["field"] == field


def test_a_cursor_belongs_to_its_location(client, market):
    for _ in range(3):
        reel_make(market, "crust-and-crumb", "Cake Rusk")
    cursor = _feed(client, limit=1).json()["next_cursor"]
    response = client.get("/api/v1/reels", {"lat": 31.47, "lng": 74.38, "cursor": cursor})
    assert response.status_code == 400 and response.json()["code"] == "cursor_invalid"


def test_the_feed_costs_the_same_queries_with_few_reels_or_many(client, market):
    guest = guest_create()
    token = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}
    for _ in range(2):
        reel_make(market, "gulberg-grocer", "Guard Basmati Rice", "Nurpur Butter")

    def add_rows():
        for shop, products in (
            ("crust-and-crumb", ("Cake Rusk", "Chocolate Fudge Cake")),
            ("shifa-pharmacy", ("Panadol Extra", "Surbex Z")),
        ):
            for _ in range(3):
                reel_make(market, shop, *products)

    queries = assert_list_queries_flat(
        read=lambda: client.get("/api/v1/reels", {**GULBERG, "limit": 10}, **token),
        rows=lambda r: len(r.json()["reels"]),
        add_rows=add_rows,
        few=2,
        many=8,
    )
    assert queries <= 6


def test_watch_events_become_the_reels_statistics(client, market):
    card = reel_make(market, "crust-and-crumb", "Cake Rusk", duration_s=10)
    other = reel_make(market, "crust-and-crumb", "Chocolate Fudge Cake", duration_s=60)
    events = [
        {"reel": card.pk, "kind": "view"},
        {"reel": card.pk, "kind": "watch", "watch_ms": 10_000},
        {"reel": card.pk, "kind": "view"},
        {"reel": card.pk, "kind": "watch", "watch_ms": 5_000},
        {"reel": card.pk, "kind": "product_tap", "product_id": card.product_ids[0]},
        {"reel": card.pk, "kind": "add_to_cart", "product_id": card.product_ids[0]},
        {"reel": other.pk, "kind": "view"},
        {"reel": other.pk, "kind": "watch", "watch_ms": 60_000},
    ]
    response = client.post("/api/v1/reels/events", {"events": events}, content_type="application/json")
    assert response.status_code == 202 and response.json() == {"queued": 8}
    assert behaviour_drain().events == 8
    stats = reel_stats(merchant_id=card.merchant_id, reel_ids=[card.reel_id, other.reel_id, 424242])
    mine = stats[card.reel_id]
    assert (mine.views, mine.completions, mine.product_taps, mine.add_to_carts) == (2, 1, 1, 1)
    assert mine.average_watch_percent == 75.0
    assert stats[other.reel_id].average_watch_percent == 100.0  # a whole 60 s reel counts as a whole 10 s one
    assert stats[424242].views == 0
    # another merchant asking for the same reel ids reads nothing of these
    assert reel_stats(merchant_id=card.merchant_id + 1000, reel_ids=[card.reel_id])[card.reel_id].views == 0
    placements_refresh()
    card.refresh_from_db()
    assert card.quality > 0


@pytest.mark.parametrize(
    "events",
    [
        [{"reel": 1, "kind": "purchase"}],
        [{"reel": 1, "kind": "view"}] * 51,
        [{"reel": 1, "kind": "watch", "watch_ms": -1}],
    ],
)
def test_bad_events_are_a_400_envelope(client, db, events):
    response = client.post("/api/v1/reels/events", {"events": events}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == ENVELOPE


def test_likes_saves_and_follows_belong_to_the_shopper(client, market):
    card = reel_make(market, "crust-and-crumb", "Cake Rusk")
    guest = guest_create()
    token = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}
    assert client.put(f"/api/v1/reels/{card.pk}/like").status_code == 401  # nobody to keep it for
    for _ in range(2):  # twice: one like
        assert client.put(f"/api/v1/reels/{card.pk}/like", **token).json() == {"on": True}
    assert client.put(f"/api/v1/reels/{card.pk}/save", **token).status_code == 200
    assert client.put("/api/v1/shops/crust-and-crumb/follow", **token).json() == {"on": True}
    assert client.put("/api/v1/shops/no-such-shop/follow", **token).status_code == 404
    assert client.put("/api/v1/reels/999999/like", **token).json()["code"] == "reel_not_found"
    card.refresh_from_db()
    assert (card.likes, card.saves) == (1, 1)
    [reel] = _feed(client, token).json()["reels"]
    assert (reel["liked"], reel["saved"], reel["merchant"]["following"], reel["likes"]) == (True, True, True, 1)
    [anonymous] = _feed(client).json()["reels"]
    assert (anonymous["liked"], anonymous["merchant"]["following"]) == (False, False)
    assert client.delete(f"/api/v1/reels/{card.pk}/like", **token).json() == {"on": False}
    card.refresh_from_db()
    assert card.likes == 0 and not ReelLike.objects.exists()


def test_the_page_likes_for_a_new_visitor_as_a_guest(client, market):
    card = reel_make(market, "crust-and-crumb", "Cake Rusk")
    page = client.get(f"/reels/{card.pk}")
    assert page.status_code == 200 and b"reels-first-page" in page.content
    response = client.post(f"/reels/{card.pk}/like", {"on": "1"})
    assert response.status_code == 200 and response.json() == {"on": True}
    assert ReelLike.objects.filter(card=card, guest__isnull=False).count() == 1
    assert client.get("/reels/999999").status_code == 404  # withdrawn since: the feed without it


def test_the_outbox_publishes_and_withdraws_a_reel(market):
    shop = market.shops["crust-and-crumb"]
    payload = reel_payload(shop, products=[shop.products["Cake Rusk"]], reel_id=77)
    with schema_context(shop.merchant.schema_name):
        OutboxEvent.objects.create(entity=Entity.REEL, entity_id=77, payload=payload)
    listings_publish(schema=shop.merchant.schema_name)
    card = ReelCard.objects.get(merchant=shop.merchant, reel_id=77)
    assert card.placements.count() == 1 and card.placements.get().in_stock
    with schema_context(shop.merchant.schema_name):
        OutboxEvent.objects.create(entity=Entity.REEL, entity_id=77, payload={**payload, "caption": "Renamed"})
        OutboxEvent.objects.create(entity=Entity.REEL, entity_id=77, payload={"kind": "reel.withdrawn", "reel_id": 77})
    listings_publish(schema=shop.merchant.schema_name)
    assert not ReelCard.objects.filter(merchant=shop.merchant, reel_id=77).exists()


def test_the_reels_page_costs_the_same_queries_with_few_reels_or_many(client, market):
    reel_make(market, "gulberg-grocer", "Guard Basmati Rice")

    def add_rows():
        for shop, product in (("crust-and-crumb", "Cake Rusk"), ("shifa-pharmacy", "Panadol Extra")):
            for _ in range(2):
                reel_make(market, shop, product)

    assert_list_queries_flat(
        read=lambda: client.get("/reels?lat=31.5204&lng=74.3587"),
        rows=html_count('"share_url"'),
        add_rows=add_rows,
        few=1,
        many=5,
    )
