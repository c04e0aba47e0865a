"""What a shelf shows: only products in stock and within the customer's reach, the nearest listing of each, closed
shops marked and ranked lower, two products per merchant at most, filled from the cold-start lists when the model's
are short, a new product's category neighbours; and each shopper's home shelf built from their own history only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.discovery.tests.factories import category_make, listing_make
from marketplace.recommendations.selectors import PER_MERCHANT, ShelfQuery, shelf_for
from marketplace.recommendations.tests.factories import (
    branch_listing_make,
    model_make,
    neighbours_make,
    popular_make,
)
from shared_apps.behaviour.models import Surface
from shared_apps.behaviour.products import product_view_record, purchases_record
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.recommendations.models import NeighbourKind

LAT, LNG = 31.5204, 74.3587  # Gulberg, Lahore
FAR_LAT = 31.70  # ~20 km north: beyond pickup, inside a wide delivery radius
pytestmark = pytest.mark.django_db


def _key(listing) -> tuple[int, int]:
    return (listing.merchant_id, listing.product_id)


def _shelf(surface: str, **kw):
    return shelf_for(ShelfQuery(surface=surface, lat=LAT, lng=LNG, **kw))


def _keys(shelf) -> list[tuple[int, int]]:
    return [(i.merchant_id, i.product_id) for i in shelf.items]


def test_a_shelf_never_shows_a_product_out_of_stock_or_out_of_reach(make_merchant):
    shop, other = make_merchant(), make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG)
    near = listing_make(shop, lat=LAT + 0.005, lng=LNG)
    sold_out = listing_make(other, lat=LAT, lng=LNG, in_stock=False)
    far_pickup = listing_make(other, lat=FAR_LAT, lng=LNG)
    far_delivers = listing_make(
        other, lat=FAR_LAT, lng=LNG, offers_pickup=False, offers_delivery=True, delivery_radius_km=Decimal("25")
    )
    # the same product at a branch next door, out of stock: the farther one in stock is the one shown
    nearest_in_stock = listing_make(make_merchant(), lat=LAT + 0.02, lng=LNG, product_id=9001)
    listing_make(nearest_in_stock.merchant, lat=LAT, lng=LNG, product_id=9001, in_stock=False)
    model = model_make()
    neighbours_make(model, _key(seed), [_key(x) for x in (sold_out, far_pickup, far_delivers, near, nearest_in_stock)])

    shelf = _shelf(Surface.PRODUCT_SIMILAR, product=_key(seed))

    assert set(_keys(shelf)) == {_key(near), _key(far_delivers), _key(nearest_in_stock)}
    shown = {(i.merchant_id, i.product_id): i for i in shelf.items}
    assert shown[_key(nearest_in_stock)].listing_id == nearest_in_stock.pk
    assert shelf.model == f"rp3beta#{model.pk}"
    assert all(i.source == "model" and i.reason == "Similar nearby" for i in shelf.items)
    assert all(f"shelf=product_similar&m=rp3beta%23{model.pk}&pos={i.position}" in i.click_url for i in shelf.items)


def test_a_closed_shop_is_marked_with_its_opening_and_ranks_below_an_open_one(make_merchant):
    open_shop, closed_shop = make_merchant(), make_merchant()
    seed = listing_make(open_shop, lat=LAT, lng=LNG)
    closed = listing_make(closed_shop, lat=LAT, lng=LNG, branch_id=501)
    opened = listing_make(open_shop, lat=LAT + 0.003, lng=LNG, branch_id=502)
    branch_listing_make(closed_shop, branch_id=501, lat=LAT, lng=LNG, hours={"mon": [["09:00", "09:01"]]})
    branch_listing_make(open_shop, branch_id=502, lat=LAT + 0.003, lng=LNG)
    model = model_make()
    neighbours_make(model, _key(seed), [_key(closed), _key(opened)], scores=[1.0, 0.9])

    shelf = _shelf(Surface.PRODUCT_SIMILAR, product=_key(seed))

    assert _keys(shelf) == [_key(opened), _key(closed)]
    first, second = shelf.items
    assert first.open_now and first.opens_at is None
    assert not second.open_now and second.opens_at and second.opens_at.endswith("09:00")


def test_a_shelf_shows_at_most_two_products_of_one_merchant(make_merchant):
    big, small = make_merchant(), make_merchant()
    seed = listing_make(small, lat=LAT, lng=LNG)
    bigs = [listing_make(big, lat=LAT, lng=LNG) for _ in range(5)]
    other = listing_make(small, lat=LAT, lng=LNG)
    model = model_make()
    neighbours_make(model, _key(seed), [*map(_key, bigs), _key(other)])

    shelf = _shelf(Surface.PRODUCT_SIMILAR, product=_key(seed))

    assert _keys(shelf) == [_key(bigs[0]), _key(bigs[1]), _key(other)]
    assert PER_MERCHANT == 2


def test_a_short_shelf_is_filled_from_the_neighbourhood_popular_lists(make_merchant):
    shop, other = make_merchant(), make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG)
    together = listing_make(shop, lat=LAT, lng=LNG)
    popular_now = listing_make(other, lat=LAT, lng=LNG)
    popular_any_time = listing_make(other, lat=LAT, lng=LNG)
    popular_elsewhere = listing_make(make_merchant(), lat=FAR_LAT, lng=LNG)
    model = model_make()
    neighbours_make(model, _key(seed), [_key(together)], kind=NeighbourKind.TOGETHER)
    from shared_apps.recommendations.dayparts import daypart_of

    part, weekend = daypart_of(timezone.now())
    popular_make(model, lat=LAT, lng=LNG, items=[_key(popular_now)], daypart=part, weekend=weekend)
    popular_make(model, lat=LAT, lng=LNG, items=[_key(popular_any_time), _key(seed)])
    popular_make(model, lat=FAR_LAT, lng=LNG, items=[_key(popular_elsewhere)])

    shelf = _shelf(Surface.PRODUCT_TOGETHER, product=_key(seed))

    assert _keys(shelf) == [_key(together), _key(popular_now), _key(popular_any_time)]  # never the product itself
    assert [i.source for i in shelf.items] == ["model", "popular", "popular"]
    assert shelf.items[1].reason == "Popular near you"


def test_without_any_trained_list_the_home_shelf_is_the_popular_products_nearby(make_merchant):
    shop = make_merchant()
    listing_make(shop, lat=LAT, lng=LNG, popularity=5)
    listing_make(shop, lat=LAT, lng=LNG, popularity=9, in_stock=False)

    shelf = _shelf(Surface.HOME)

    assert shelf.model == "popular" and not shelf.personal
    assert len(shelf.items) == 1 and shelf.items[0].source == "popular"


def test_a_new_product_is_shown_beside_its_categorys_popular_products_nearby(make_merchant):
    bakery = category_make("bakery-reco")
    shop, other = make_merchant(), make_merchant()
    new = listing_make(shop, lat=LAT, lng=LNG, category=bakery)
    cake = listing_make(other, lat=LAT, lng=LNG, category=bakery, popularity=3)
    listing_make(other, lat=LAT, lng=LNG, popularity=50)  # popular, but not bread
    model_make()  # a model that never saw the new product

    shelf = _shelf(Surface.PRODUCT_SIMILAR, product=_key(new))

    assert _keys(shelf)[0] == _key(cake)
    assert shelf.items[0].reason == "Popular in Bakery Reco nearby"
    assert _key(new) not in _keys(shelf)


def test_a_shoppers_home_shelf_comes_from_their_own_history_only(make_merchant):
    shop = make_merchant()
    milk, bread, tea, cake = (listing_make(shop, lat=LAT, lng=LNG, title=t) for t in ("Milk", "Bread", "Tea", "Cake"))
    butter, jam = listing_make(make_merchant(), lat=LAT, lng=LNG), listing_make(make_merchant(), lat=LAT, lng=LNG)
    model = model_make()
    neighbours_make(model, _key(milk), [_key(butter), _key(bread)])
    neighbours_make(model, _key(tea), [_key(jam), _key(cake)])
    product_view_record(shopper="u:1", merchant_id=shop.pk, product_id=milk.product_id)
    product_view_record(shopper="u:2", merchant_id=shop.pk, product_id=tea.product_id)
    behaviour_drain()

    ayesha, bilal = _shelf(Surface.HOME, shopper="u:1"), _shelf(Surface.HOME, shopper="u:2")

    assert _keys(ayesha)[:2] == [_key(butter), _key(bread)] and ayesha.personal
    assert _key(milk) not in _keys(ayesha)  # what they just viewed is left out
    assert ayesha.items[0].reason == "Because you viewed Milk"
    assert _keys(bilal)[:2] == [_key(jam), _key(cake)]
    assert not _shelf(Surface.HOME, shopper="u:3").personal  # no history: the cold-start shelf, nobody else's


def test_a_purchase_changes_the_home_shelf_after_the_next_drain_without_retraining(make_merchant):
    shop = make_merchant()
    rice, oil, salt, sugar = (listing_make(shop, lat=LAT, lng=LNG, title=t) for t in ("Rice", "Oil", "Salt", "Sug"))
    model = model_make()
    neighbours_make(model, _key(rice), [_key(oil)])
    neighbours_make(model, _key(salt), [_key(sugar)])
    product_view_record(shopper="u:7", merchant_id=shop.pk, product_id=rice.product_id)
    behaviour_drain()
    assert _keys(_shelf(Surface.HOME, shopper="u:7"))[0] == _key(oil)

    purchases_record(shopper="u:7", merchant_id=shop.pk, product_ids=[salt.product_id])
    behaviour_drain()

    shelf = _shelf(Surface.HOME, shopper="u:7", at=timezone.now() + timedelta(seconds=1))
    assert _keys(shelf)[0] == _key(sugar)  # a purchase weighs more than a view
    assert shelf.items[0].reason == "Because you bought Salt"
