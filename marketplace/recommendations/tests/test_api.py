"""GET /api/v1/recommendations: each surface's shelf for the caller, the caller's own cart and order only, every bad
input a 4xx envelope, the impressions of what it showed, and a flat number of queries however long the shelf."""

from __future__ import annotations

import pytest
from django.test import Client

from marketplace.cart.models import Cart, CartItem
from marketplace.discovery.tests.factories import listing_make
from marketplace.recommendations.tests.factories import model_make, neighbours_make, order_make, popular_make
from shared_apps.accounts.services import guest_create, user_get_or_create_by_phone
from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
from shared_apps.behaviour.models import BehaviourEvent, EventKind
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.recommendations.models import ModelStatus, NeighbourKind, TrainedModel
from tests.query_counts import assert_list_queries_flat, json_items

LAT, LNG = 31.5204, 74.3587
WHERE = {"lat": LAT, "lng": LNG}
pytestmark = pytest.mark.django_db
MAX_QUERIES = 4  # a shelf's reads (ADR 0017): the shopper's events, cart or order; the lists; the blend


@pytest.fixture
def market():
    return Client(HTTP_HOST="localhost")


def _key(listing) -> tuple[int, int]:
    return (listing.merchant_id, listing.product_id)


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access}"}


class Catalogue:
    """A seed product with neighbours next door, two per merchant (the shelf's cap), in a trained neighbourhood (its
    cold-start list holds only the seed, which no shelf of its shows). `shops`: merchants to reuse (each one
    provisioned costs a schema's locks in the test's transaction)."""

    def __init__(self, make_merchant, kind: str = NeighbourKind.SIMILAR, shops: list | None = None) -> None:
        self.shops = shops if shops is not None else [make_merchant() for _ in range(6)]
        self.shop = self.shops[0]
        self.seed = listing_make(self.shop, lat=LAT, lng=LNG, title="Seed")
        self.model = model_make()
        self.kind = kind
        self.neighbours: list = []
        self.row = neighbours_make(self.model, _key(self.seed), [], kind=kind)
        popular_make(self.model, lat=LAT, lng=LNG, items=[_key(self.seed)])

    def grow(self, n: int) -> None:
        for _ in range(n):
            shop = self.shops[1 + len(self.neighbours) // 2 % (len(self.shops) - 1)]
            self.neighbours.append(listing_make(shop, lat=LAT, lng=LNG))
        self.row.neighbour_merchants = [x.merchant_id for x in self.neighbours]
        self.row.neighbour_products = [x.product_id for x in self.neighbours]
        self.row.scores = [1.0 - i / 100 for i in range(len(self.neighbours))]
        self.row.save()


def test_the_product_shelf_answers_anyone_with_the_items_and_records_their_impressions(market, make_merchant):
    world = Catalogue(make_merchant)
    world.grow(3)
    guest = guest_create()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}
    product = f"{world.seed.merchant_id}:{world.seed.product_id}"

    response = market.get("/api/v1/recommendations", {"surface": "product", "product": product, **WHERE}, **headers)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["surface"] == "product_similar" and body["model"] == f"rp3beta#{world.model.pk}"
    first = body["items"][0]
    assert (first["merchant_id"], first["product_id"]) == _key(world.neighbours[0])
    assert first["price"] == "100.00" and first["open_now"] is True and first["opens_at"] is None
    assert first["click"].endswith(f"?shelf=product_similar&m=rp3beta%23{world.model.pk}&pos=1")
    assert set(first) >= {"title", "regular_price", "store", "branch", "distance_km", "url", "image", "reason"}
    behaviour_drain()
    shown = BehaviourEvent.objects.filter(shopper=f"g:{guest.pk}", kind=EventKind.IMPRESSION).order_by("position")
    assert [(e.surface, e.context, e.position) for e in shown] == [
        ("product_similar", f"r:rp3beta#{world.model.pk}", n) for n in (1, 2, 3)
    ]


def test_following_a_shelf_link_records_a_shelf_click_not_a_search_click(market, make_merchant):
    world = Catalogue(make_merchant)
    world.grow(1)
    product = f"{world.seed.merchant_id}:{world.seed.product_id}"
    click = market.get("/api/v1/recommendations", {"surface": "product", "product": product, **WHERE}).json()
    page = market.get(click["items"][0]["click"])
    assert page.status_code == 200
    behaviour_drain()
    kinds = sorted(
        BehaviourEvent.objects.filter(product_id=world.neighbours[0].product_id).values_list("kind", flat=True)
    )
    assert kinds == ["impression", "shelf_click", "view"]
    shelf_click = BehaviourEvent.objects.get(kind=EventKind.SHELF_CLICK)
    assert (shelf_click.surface, shelf_click.context, shelf_click.position) == (
        "product_similar", f"r:rp3beta#{world.model.pk}", 1,
    )  # fmt: skip


def test_the_order_shelf_is_the_callers_own_order_only(market, make_merchant):
    world = Catalogue(make_merchant, kind=NeighbourKind.TOGETHER)
    world.grow(2)
    ayesha = user_get_or_create_by_phone(phone="+923009991001")
    bilal = user_get_or_create_by_phone(phone="+923009991002")
    order = order_make(owner={"user": ayesha}, merchant=world.shop, listing_ids=[world.seed.pk])
    query = {"surface": "order", "order": order.pk, **WHERE}

    mine = market.get("/api/v1/recommendations", query, **_bearer(ayesha))
    theirs = market.get("/api/v1/recommendations", query, **_bearer(bilal))
    nobody = market.get("/api/v1/recommendations", query)

    assert mine.status_code == 200 and len(mine.json()["items"]) == 2
    for response in (theirs, nobody):
        assert response.status_code == 404
        assert response.json()["code"] == "recommendation_order_not_found"


def test_the_cart_shelf_reads_the_callers_cart_and_leaves_its_products_out(market, make_merchant):
    world = Catalogue(make_merchant, kind=NeighbourKind.TOGETHER)
    world.grow(2)
    in_cart = world.neighbours[1]
    neighbours_make(world.model, _key(in_cart), [_key(world.seed)], kind=NeighbourKind.TOGETHER)
    guest = guest_create()
    cart = Cart.objects.create(guest=guest)
    for listing in (world.seed, in_cart):
        CartItem.objects.create(
            cart=cart, merchant_id=listing.merchant_id, branch_id=listing.branch_id, variant_id=listing.variant_id,
            listing=listing, quantity=1, unit_price=listing.price,
        )  # fmt: skip
    headers = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"}

    body = market.get("/api/v1/recommendations", {"surface": "cart", **WHERE}, **headers).json()

    assert body["surface"] == "cart_addons"
    keys = [(i["merchant_id"], i["product_id"]) for i in body["items"]]
    assert keys[0] == _key(world.neighbours[0])
    assert _key(world.seed) not in keys and _key(in_cart) not in keys


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"surface": "home"}, 400, "invalid"),
        ({"surface": "elsewhere", **WHERE}, 400, "invalid"),
        ({"surface": "home", "lat": 91, "lng": LNG}, 400, "invalid"),
        ({"surface": "home", "lat": "north", "lng": LNG}, 400, "invalid"),
        ({"surface": "product", **WHERE}, 400, "recommendation_product_needed"),
        ({"surface": "product", "product": "12", **WHERE}, 400, "invalid"),
        ({"surface": "product", "product": "0:5", **WHERE}, 400, "recommendation_product_invalid"),
        ({"surface": "product", "product": "9999999999999999999:1", **WHERE}, 400, "recommendation_product_invalid"),
        ({"surface": "product", "product": "1:2", "shelf": "odd", **WHERE}, 400, "invalid"),
        ({"surface": "order", **WHERE}, 400, "recommendation_order_needed"),
        ({"surface": "order", "order": 0, **WHERE}, 400, "invalid"),
        ({"surface": "order", "order": 2**63, **WHERE}, 400, "invalid"),
        ({"surface": "order", "order": 5, **WHERE}, 404, "recommendation_order_not_found"),
        ({"surface": "home", "limit": 25, **WHERE}, 400, "invalid"),
    ],
)
def test_every_bad_input_is_a_4xx_envelope(market, query, status, code):
    response = market.get("/api/v1/recommendations", query)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_each_surface_costs_the_same_queries_for_a_short_shelf_as_a_long_one(market, make_merchant):
    ayesha = user_get_or_create_by_phone(phone="+923009991003")
    shops = [make_merchant() for _ in range(6)]
    for kind, surface in ((NeighbourKind.SIMILAR, "home"), (NeighbourKind.SIMILAR, "product"),
                          (NeighbourKind.TOGETHER, "cart"), (NeighbourKind.TOGETHER, "order")):  # fmt: skip
        TrainedModel.objects.filter(status=ModelStatus.ACTIVE).update(status=ModelStatus.RETIRED)  # one world each
        world = Catalogue(make_merchant, kind=kind, shops=shops)
        world.grow(6)
        query = {"surface": surface, **WHERE}
        if surface == "home":
            product_view_record(shopper=f"u:{ayesha.pk}", merchant_id=world.shop.pk, product_id=world.seed.product_id)
            behaviour_drain()
        elif surface == "product":
            query["product"] = f"{world.seed.merchant_id}:{world.seed.product_id}"
        elif surface == "cart":
            cart, _ = Cart.objects.get_or_create(user=ayesha)
            cart.items.all().delete()
            CartItem.objects.create(
                cart=cart, merchant_id=world.seed.merchant_id, branch_id=world.seed.branch_id,
                variant_id=world.seed.variant_id, listing=world.seed, quantity=1, unit_price=world.seed.price,
            )  # fmt: skip
        else:
            query["order"] = order_make(owner={"user": ayesha}, merchant=world.shop, listing_ids=[world.seed.pk]).pk
        queries = assert_list_queries_flat(
            read=lambda q=query: market.get("/api/v1/recommendations", q, **_bearer(ayesha)),
            rows=json_items,
            add_rows=lambda w=world: w.grow(4),
            few=6,
            many=10,
        )
        assert queries <= MAX_QUERIES, f"{surface}: {queries} queries"
