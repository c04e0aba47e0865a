"""A signed-in customer in Gulberg opens a product and its shelves ("often bought together", "similar nearby"),
comes back home to a "For you near you" shelf because of what they viewed, follows it, buys a cake, and after the
night's training (made here with the factories, until the training lands) the cake's page and the home shelf follow
the purchase; the shelf's link was recorded as a click. On a 390x844 phone. Screenshots:
artifacts/screenshots/recommendations-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from marketplace.history.services import order_purchases_record
from marketplace.orders.models import CustomerOrder
from marketplace.recommendations.selectors import active_models_forget
from marketplace.recommendations.tests.factories import model_make, neighbours_make
from shared_apps.accounts.testing import customer_make
from shared_apps.behaviour.models import BehaviourEvent, EventKind
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.payments.testing import payments_delete_all
from shared_apps.recommendations.models import ModelStatus, NeighbourKind
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


def _item(market, shop: str, name: str) -> tuple[int, int]:
    made = market.shops[shop]
    return (made.merchant.pk, made.products[name].pk)


def _shelf(page, title: str):
    return page.locator("section.reco-shelf").filter(has=page.get_by_role("heading", name=title))


def _scrolled_down(page) -> None:
    """To the foot of the page, where the product page's shelves load once revealed."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")


def test_a_customer_views_and_buys_and_the_shelves_follow(live_server, page, screenshot, make_merchant, orders_cleared):
    market = build_market(make_merchant)
    rice = _item(market, "gulberg-grocer", "Guard Basmati Rice")
    atta = _item(market, "gulberg-grocer", "Sunridge Chakki Atta")
    butter = _item(market, "gulberg-grocer", "Nurpur Butter")
    cake = _item(market, "crust-and-crumb", "Chocolate Fudge Cake")
    rusk = _item(market, "crust-and-crumb", "Cake Rusk")
    panadol = _item(market, "shifa-pharmacy", "Panadol Extra")
    tonight = model_make(region="lahore")
    neighbours_make(tonight, rice, [atta])
    neighbours_make(tonight, rice, [butter], kind=NeighbourKind.TOGETHER)
    active_models_forget()
    signed_in(page, live_server, customer_make(name="Sana Malik"))

    page.set_viewport_size(PHONE)
    page.goto(url(live_server, "localhost", "/location/"))
    page.get_by_label("Your area").select_option(label="Gulberg III")
    page.get_by_role("button", name="Set location").click()
    expect(page.get_by_role("heading", name="Popular around you")).to_be_visible()
    expect(page.locator("section.reco-shelf")).to_have_count(0)  # nothing viewed yet: the popular shelf only

    # a product: what goes with it and what is like it, near the customer
    page.goto(url(live_server, "localhost", f"/p/gulberg-grocer/{rice[1]}/"))
    _scrolled_down(page)
    together = _shelf(page, "Often bought together")
    expect(together).to_contain_text("Nurpur Butter")
    _scrolled_down(page)
    similar = _shelf(page, "Similar nearby")
    expect(similar.locator(".reco-item").first).to_contain_text("Sunridge Chakki Atta")
    screenshot("recommendations-product-mobile")

    # home, once the view reached the database: for you, because of the rice
    behaviour_drain()
    page.goto(url(live_server, "localhost", "/"))
    for_you = _shelf(page, "For you near you")
    expect(for_you.locator(".reco-item").first).to_contain_text("Sunridge Chakki Atta")
    expect(for_you).to_contain_text("Because you viewed Guard Basmati Rice")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{overflow}px wider than a 390 px phone"
    screenshot("recommendations-home-mobile")

    # follow the shelf's link: a shelf click, then buy a cake
    for_you.get_by_role("link", name="Sunridge Chakki Atta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunridge Chakki Atta")
    page.goto(url(live_server, "localhost", f"/p/crust-and-crumb/{cake[1]}/"))
    page.locator(".add-form").first.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".add-status").first).to_contain_text("Added to cart")
    page.goto(url(live_server, "localhost", "/cart"))
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    part = CustomerOrder.objects.get().parts.get()
    order_purchases_record(schema_name=part.merchant.schema_name, merchant_order_id=part.merchant_order_id)

    # the night's training learned the cake goes with rusk: the new model serves from the next shelf on
    tonight.status = ModelStatus.RETIRED
    tonight.save(update_fields=["status"])
    next_night = model_make(region="lahore")
    neighbours_make(next_night, rice, [atta])
    neighbours_make(next_night, cake, [rusk, panadol])
    neighbours_make(next_night, cake, [rusk], kind=NeighbourKind.TOGETHER)
    active_models_forget()
    behaviour_drain()

    page.goto(url(live_server, "localhost", f"/p/crust-and-crumb/{cake[1]}/"))
    _scrolled_down(page)
    together = _shelf(page, "Often bought together")
    expect(together.locator(".reco-item").first).to_contain_text("Cake Rusk")
    expect(together).to_have_attribute("data-model", f"rp3beta#{next_night.pk}")
    page.goto(url(live_server, "localhost", "/"))
    for_you = _shelf(page, "For you near you")
    expect(for_you).to_contain_text("Because you bought Chocolate Fudge Cake")
    expect(for_you.locator(".reco-item").first).to_contain_text("Cake Rusk")
    screenshot("recommendations-home-after-purchase-mobile")

    behaviour_drain()
    click = BehaviourEvent.objects.get(kind=EventKind.SHELF_CLICK)
    assert (click.surface, click.position, click.product_id) == ("home", 1, atta[1])
    assert click.context == f"r:rp3beta#{tonight.pk}"
