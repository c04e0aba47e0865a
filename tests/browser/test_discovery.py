"""A customer finds something nearby: sets a location, searches, narrows by category and price (the URL follows,
the results change in place, the back button brings the previous results back), then opens the nearest store and a
product. Also: "Use my location" with the browser's geolocation on a phone."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def results(page):
    return page.locator("#serp .listing")


def test_customer_searches_filters_and_opens_a_store_and_a_product(live_server, page, screenshot, make_merchant):
    build_market(make_merchant)
    page.goto(url(live_server, "localhost"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shops around you")
    expect(page.locator(".where-now")).to_contain_text("Gulberg, central Lahore")
    expect(page.locator(".where-now")).to_contain_text("default")
    expect(page.get_by_role("button", name="Use my location")).to_be_visible()

    # Location: pick an area
    page.get_by_label("Your area").select_option(label="Garden Town")
    page.get_by_role("button", name="Set location").click()
    expect(page.locator(".where-now")).to_contain_text("Garden Town")
    expect(page.locator(".where-now")).not_to_contain_text("default")
    expect(page.get_by_role("heading", name="Shops near you")).to_be_visible()
    expect(page.locator(".store-card").first).to_contain_text("Shifa Pharmacy")  # 0 m from Garden Town's market
    screenshot("discovery-home")
    page.set_viewport_size(PHONE)
    screenshot("discovery-home-mobile")
    page.set_viewport_size(DESKTOP)

    # Search
    page.get_by_label("Search products").fill("fresh")
    page.get_by_label("Search products").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=fresh$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “fresh”")
    expect(results(page)).to_have_count(4)  # butter, the cake in two sizes, rusk
    page.evaluate("window.__sameDocument = true")  # survives only if the page is never reloaded
    screenshot("discovery-search")

    # Filter by category: the results change in place and the URL follows
    page.get_by_role("radio", name=re.compile(r"^Bakery")).check()
    expect(page).to_have_url(re.compile(r"/search\?q=fresh&category=bakery$"))
    expect(results(page)).to_have_count(3)
    expect(page.locator("#serp")).not_to_contain_text("Nurpur Butter")
    expect(page.get_by_role("radio", name=re.compile(r"^Cakes & Pastries"))).to_be_visible()  # sub-categories
    expect(page).to_have_title("“fresh” in Bakery · Planckly")

    # Filter by price
    page.get_by_label("Maximum price").fill("2000")
    page.get_by_label("Maximum price").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=fresh&category=bakery&price_max=2000$"))
    expect(results(page)).to_have_count(2)
    expect(page.locator("#serp")).not_to_contain_text("Rs 3,400")
    expect(page.locator("#serp")).to_contain_text("Rs 1,800")
    screenshot("discovery-search-filtered")
    page.set_viewport_size(PHONE)
    page.locator("details.filters > summary").click()
    expect(page.get_by_role("radio", name=re.compile(r"^Cakes & Pastries"))).to_be_visible()
    screenshot("discovery-search-mobile")
    page.locator("details.filters > summary").click()
    page.set_viewport_size(DESKTOP)
    assert page.evaluate("window.__sameDocument") is True

    # Back: the previous filters and results come back, still without a reload
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search\?q=fresh&category=bakery$"))
    expect(results(page)).to_have_count(3)
    expect(page.get_by_label("Maximum price")).to_have_value("")
    expect(page.get_by_role("radio", name=re.compile(r"^Bakery"))).to_be_checked()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search\?q=fresh$"))
    expect(results(page)).to_have_count(4)
    expect(page.get_by_role("radio", name="All categories")).to_be_checked()
    assert page.evaluate("window.__sameDocument") is True
    page.go_forward()
    expect(results(page)).to_have_count(3)
    # Back again after htmx's history cache lost the page: it asks the server (HX-History-Restore-Request)
    restores = []
    page.on("request", lambda r: r.headers.get("hx-history-restore-request") and restores.append(r.url))
    page.evaluate("sessionStorage.removeItem('htmx-history-cache')")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search\?q=fresh$"))
    expect(results(page)).to_have_count(4)
    expect(page.get_by_role("radio", name="All categories")).to_be_checked()
    expect(page.locator("header.topbar")).to_have_count(1)  # the page's body swapped in, not a page in a page
    expect(page.locator("#serp")).to_have_count(1)
    assert [urlsplit(u).query for u in restores] == ["q=fresh"]

    # The nearest store, then a product
    page.get_by_role("link", name="Planckly", exact=True).click()
    page.locator(".store-card h3 a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shifa Pharmacy")
    expect(page.locator(".branch-card").first).to_contain_text("Open now")
    expect(page.locator(".branch-card").first).to_contain_text("Within 6 km")
    screenshot("discovery-store")
    page.get_by_role("link", name="Panadol Extra").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panadol Extra")
    expect(page.locator(".big-price")).to_have_text("Rs 1,250")
    expect(page.locator(".offer-card").first).to_contain_text("Barkat Market")
    expect(page.locator(".offer-card").first).to_contain_text("In stock")
    expect(page.locator(".offer-card").first).to_contain_text("Delivers to you")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("Pharmacy")
    screenshot("discovery-product")
    page.set_viewport_size(PHONE)
    screenshot("discovery-product-mobile")


def test_use_my_location_on_a_phone(live_server, browser, make_merchant, screenshot):
    build_market(make_merchant)
    context = browser.new_context(
        viewport=PHONE, geolocation={"latitude": 31.5136, "longitude": 74.3503}, permissions=["geolocation"]
    )
    page = context.new_page()
    try:
        page.goto(url(live_server, "localhost", "/search?q=cake"))
        expect(page.locator(".locbar")).to_contain_text("(default)")
        page.locator(".locbar").get_by_role("link", name="Set location").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Where are you?")
        page.get_by_role("button", name="Use my location").click()
        expect(page).to_have_url(re.compile(r"/search\?q=cake$"))  # back where the customer was
        expect(page.locator(".locbar")).to_contain_text("Gulberg III (your location)")
        expect(page.locator(".serp-count")).to_contain_text("within 5 km of Gulberg III (your location)")
        expect(results(page).first).to_contain_text("Chocolate Fudge Cake")
        expect(results(page).first).to_contain_text(re.compile(r"MM Alam Road · \d+ m"))
        screenshot("discovery-geolocated-search-mobile", page)
    finally:
        context.close()
