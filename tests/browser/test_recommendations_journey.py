"""A signed-in customer in Gulberg opens a product and its shelves ("often bought together", "similar nearby"),
comes back home to a "For you near you" shelf because of what they viewed, follows it, buys a cake with rusk, and
after the night's training (the real one, `recommendations_train`, on the neighbourhood's behaviour and this
customer's) the cake's page and the home shelf follow the purchase; the shelf's link was recorded as a click. On a
390x844 phone. Screenshots: artifacts/screenshots/recommendations-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from marketplace.history.services import order_purchases_record
from marketplace.orders.models import CustomerOrder
from marketplace.recommendations.selectors import active_models_forget, model_label
from marketplace.recommendations.tests.factories import events_make
from marketplace.recommendations.training import recommendations_train
from shared_apps.accounts.testing import customer_make
from shared_apps.behaviour.models import BehaviourEvent, EventKind
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.payments.testing import payments_delete_all
from tests.browser.test_checkout_address import signed_in
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def orders_cleared():
    yield
    payments_delete_all()
    CustomerOrder.objects.all().delete()
    active_models_forget()


def _shelf(page, title: str):
    return page.locator("section.reco-shelf").filter(has=page.get_by_role("heading", name=title))


def _scrolled_down(page) -> None:
    """To the foot of the page, where the product page's shelves load once revealed."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")


def _neighbourhood_behaviour(market) -> None:
    """What other shoppers of Gulberg did this week: rice with atta looked at together, rice bought with butter,
    the fudge cake looked at with the rusk and a strip of Panadol; nobody bought the cake yet."""
    grocer, bakery = market.shops["gulberg-grocer"], market.shops["crust-and-crumb"]
    rice, atta, butter = (
        grocer.products[n].pk for n in ("Guard Basmati Rice", "Sunridge Chakki Atta", "Nurpur Butter")
    )
    cake, rusk = (bakery.products[n].pk for n in ("Chocolate Fudge Cake", "Cake Rusk"))
    pharmacy = market.shops["shifa-pharmacy"]
    panadol = pharmacy.products["Panadol Extra"].pk
    start = timezone.now() - timedelta(days=3)
    rows = []
    for n in range(6):
        at = start + timedelta(hours=n)
        rows += [("view", f"g:neighbour-{n}", grocer.merchant, rice, at)]
        rows += [("view", f"g:neighbour-{n}", grocer.merchant, atta, at + timedelta(minutes=1))]
        rows += [("view", f"g:neighbour-{n}", bakery.merchant, cake, at + timedelta(minutes=2))]
        rows += [("view", f"g:neighbour-{n}", bakery.merchant, rusk, at + timedelta(minutes=3))]
        rows += [("view", f"g:neighbour-{n}", pharmacy.merchant, panadol, at + timedelta(minutes=4))]
    for n in range(3):
        at = start + timedelta(days=1, hours=n)
        rows += [("purchase", f"u:neighbour-{n}", grocer.merchant, product, at) for product in (rice, butter)]
    events_make(rows)


def test_a_customer_views_and_buys_and_the_shelves_follow(live_server, page, screenshot, make_merchant, orders_cleared):
    market = build_market(make_merchant)
    _neighbourhood_behaviour(market)
    [tonight] = recommendations_train()
    signed_in(page, live_server, customer_make(name="Sana Malik"))

    page.set_viewport_size(PHONE)
    page.goto(url(live_server, "localhost", "/location/"))
    page.get_by_label("Your area").select_option(label="Gulberg III")
    page.get_by_role("button", name="Set location").click()
    expect(page.get_by_role("heading", name="Popular around you")).to_be_visible()
    expect(page.get_by_role("heading", name="For you near you")).to_have_count(0)  # nothing viewed yet

    # a product: what goes with it and what is like it, near the customer, as the neighbourhood taught the model
    rice = market.shops["gulberg-grocer"].products["Guard Basmati Rice"].pk
    page.goto(url(live_server, "localhost", f"/p/gulberg-grocer/{rice}/"))
    _scrolled_down(page)
    together = _shelf(page, "Often bought together")
    expect(together.locator(".reco-item").first).to_contain_text("Nurpur Butter")
    _scrolled_down(page)
    expect(_shelf(page, "Similar nearby")).to_contain_text("Sunridge Chakki Atta")
    screenshot("recommendations-product-mobile")

    # home, once the view reached the database: for you, because of the rice
    behaviour_drain()
    page.goto(url(live_server, "localhost", "/"))
    for_you = _shelf(page, "For you near you")
    expect(for_you).to_contain_text("Sunridge Chakki Atta")
    expect(for_you).to_contain_text("Because you viewed Guard Basmati Rice")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{overflow}px wider than a 390 px phone"
    screenshot("recommendations-home-mobile")

    # the cake's page before anyone bought it: nothing the model knows goes with it
    cake = market.shops["crust-and-crumb"].products["Chocolate Fudge Cake"].pk
    page.goto(url(live_server, "localhost", f"/p/crust-and-crumb/{cake}/"))
    _scrolled_down(page)
    expect(page.locator(".reco-item").filter(has_text="Often bought together")).to_have_count(0)

    # follow the shelf's link (a shelf click), then buy the cake with a pack of rusk
    page.goto(url(live_server, "localhost", "/"))
    _shelf(page, "For you near you").get_by_role("link", name="Sunridge Chakki Atta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunridge Chakki Atta")
    for product in ("Chocolate Fudge Cake", "Cake Rusk"):
        page.goto(
            url(live_server, "localhost", f"/p/crust-and-crumb/{market.shops['crust-and-crumb'].products[product].pk}/")
        )
        page.locator(".add-form").first.get_by_role("button", name="Add to cart").click()
        expect(page.locator(".add-status").first).to_contain_text("Added to cart")
    page.goto(url(live_server, "localhost", "/cart"))
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    part = CustomerOrder.objects.get().parts.get()
    order_purchases_record(schema_name=part.merchant.schema_name, merchant_order_id=part.merchant_order_id)
    behaviour_drain()

    # the night's training learns from this basket: the cake now goes with rusk, and home follows the purchase
    [next_night] = recommendations_train()
    assert next_night.pk != tonight.pk
    page.goto(url(live_server, "localhost", f"/p/crust-and-crumb/{cake}/"))
    _scrolled_down(page)
    together = _shelf(page, "Often bought together")
    expect(together.locator(".reco-item").first).to_contain_text("Cake Rusk")
    expect(together).to_have_attribute("data-model", model_label(next_night.algorithm, next_night.pk))
    page.goto(url(live_server, "localhost", "/"))
    for_you = _shelf(page, "For you near you")
    expect(for_you.locator(".reco-item").filter(has_text="Panadol Extra")).to_contain_text("Because you bought")
    screenshot("recommendations-home-after-purchase-mobile")

    behaviour_drain()
    click = BehaviourEvent.objects.get(kind=EventKind.SHELF_CLICK)
    atta = market.shops["gulberg-grocer"].products["Sunridge Chakki Atta"].pk
    assert (click.surface, click.product_id) == ("home", atta)
    assert click.context == f"r:{model_label(tonight.algorithm, tonight.pk)}"
