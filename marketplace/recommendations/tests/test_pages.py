"""The shelves on the customer pages: placeholders htmx fills after the page (never on its path), the fragment for
the visitor's session, the cart's add-ons with the cart's own add form, nothing for someone else's order; and the
platform admin's click-through page, for platform admins only, at a flat number of queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.discovery.tests.factories import listing_make
from marketplace.recommendations.tests.factories import model_make, neighbours_make, order_make
from shared_apps.accounts.services import user_get_or_create_by_phone
from shared_apps.behaviour.models import ShelfDaily
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.recommendations.models import NeighbourKind
from tests.query_counts import assert_list_queries_flat, html_count

LAT, LNG = 31.5204, 74.3587
pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    client = Client(HTTP_HOST="localhost")
    client.cookies["loc"] = f"{LAT:.5f}|{LNG:.5f}|Gulberg"
    return client


def _key(listing) -> tuple[int, int]:
    return (listing.merchant_id, listing.product_id)


def test_pages_hold_lazy_shelves_and_the_fragment_renders_them(market, make_merchant):
    shop = make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG, title="Olper's Milk")
    butter = listing_make(make_merchant(), lat=LAT, lng=LNG, title="Nurpur Butter")
    model = model_make()
    neighbours_make(model, _key(seed), [_key(butter)])
    neighbours_make(model, _key(seed), [_key(butter)], kind=NeighbourKind.TOGETHER)

    product_page = market.get(f"/p/{shop.slug}/{seed.product_id}/").content.decode()
    assert 'hx-get="/recommendations/shelf?surface=product_together&amp;product=' in product_page
    assert 'hx-get="/recommendations/shelf?surface=product_similar&amp;product=' in product_page
    assert 'hx-get="/recommendations/shelf?surface=home"' in market.get("/").content.decode()

    fragment = market.get(f"/recommendations/shelf?surface=product_similar&product={shop.pk}:{seed.product_id}")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "Similar nearby" in html and "Nurpur Butter" in html
    assert f"?shelf=product_similar&amp;m=rp3beta%23{model.pk}&amp;pos=1" in html
    assert "<script" not in html


def test_the_home_shelf_is_for_a_shopper_with_history_only(market, make_merchant):
    shop = make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG, title="Olper's Milk")
    butter = listing_make(make_merchant(), lat=LAT, lng=LNG, title="Nurpur Butter")
    neighbours_make(model_make(), _key(seed), [_key(butter)])
    assert market.get("/recommendations/shelf?surface=home").content == b""  # the page's popular shelf is enough

    ayesha = user_get_or_create_by_phone(phone="+923009992001")
    market.force_login(ayesha)
    product_view_record(shopper=f"u:{ayesha.pk}", merchant_id=shop.pk, product_id=seed.product_id)
    behaviour_drain()
    html = market.get("/recommendations/shelf?surface=home").content.decode()
    assert "For you near you" in html and "Because you viewed Olper&#x27;s Milk" in html


def test_the_cart_add_ons_post_to_the_carts_add_form(market, make_merchant):
    shop = make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG)
    jam = listing_make(make_merchant(), lat=LAT, lng=LNG, title="Mitchell's Jam")
    neighbours_make(model_make(), _key(seed), [_key(jam)], kind=NeighbourKind.TOGETHER)
    market.post("/cart/add", {"listing_id": seed.pk, "quantity": 1})

    html = market.get("/recommendations/shelf?surface=cart_addons").content.decode()

    assert "Mitchell&#x27;s Jam" in html and 'action="/cart/add"' in html and f'value="{jam.pk}"' in html
    assert 'hx-get="/recommendations/shelf?surface=cart_addons"' in market.get("/cart").content.decode()


def test_the_order_shelf_shows_nothing_of_someone_elses_order(market, make_merchant):
    shop = make_merchant()
    seed = listing_make(shop, lat=LAT, lng=LNG)
    jam = listing_make(make_merchant(), lat=LAT, lng=LNG, title="Mitchell's Jam")
    neighbours_make(model_make(), _key(seed), [_key(jam)], kind=NeighbourKind.TOGETHER)
    ayesha = user_get_or_create_by_phone(phone="+923009992002")
    bilal = user_get_or_create_by_phone(phone="+923009992003")
    order = order_make(owner={"user": ayesha}, merchant=shop, listing_ids=[seed.pk])
    path = f"/recommendations/shelf?surface=order&order={order.number}"

    market.force_login(ayesha)
    assert "Goes well with your order" in market.get(path).content.decode()
    market.force_login(bilal)
    assert market.get(path).content == b""
    assert market.get("/recommendations/shelf?surface=elsewhere").status_code == 404


def test_the_admin_shows_click_through_per_shelf_and_model_to_platform_admins_only(admin_client, market):
    ShelfDaily.objects.create(day=timezone.localdate(), surface="home", model="ease#3", impressions=200, clicks=10)
    ShelfDaily.objects.create(day=timezone.localdate(), surface="product_together", model="rp3beta#4",
                              impressions=400, clicks=2)  # fmt: skip

    page = admin_client.get("/admin/behaviour/shelfdaily/")

    html = page.content.decode()
    assert page.status_code == 200 and "Recommendations" in html
    assert "Last 7 days" in html and "Last 30 days" in html
    assert "Product page: often bought together" in html and "rp3beta#4" in html and "0.50%" in html
    customer = user_get_or_create_by_phone(phone="+923009992004")
    market.force_login(customer)
    assert market.get("/admin/behaviour/shelfdaily/").status_code == 302  # to the admin's sign-in


def test_the_click_through_page_costs_the_same_for_one_shelf_or_four(admin_client):
    models = iter(["ease#1", "ease#2", "rp3beta#3", "rp3beta#4"])

    def shelves_add(count: int) -> None:
        for _ in range(count):
            ShelfDaily.objects.create(day=timezone.localdate(), surface="home", model=next(models), impressions=9)

    shelves_add(1)
    assert_list_queries_flat(
        read=lambda: admin_client.get("/admin/behaviour/shelfdaily/"),
        rows=html_count("<code>"),  # each shelf and model once per period: two periods
        add_rows=lambda: shelves_add(3),
        few=2,
        many=8,
    )
