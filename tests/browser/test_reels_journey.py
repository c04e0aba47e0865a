"""A guest on a phone opens the reels near Gulberg: swipes through five reels (the reel in view plays, muted; every
other one is paused), likes one, adds the cake tagged in a reel to the cart from the product card over the video, and
checks out; the reel's statistics then count the view, the add to cart and the order. The videos are made on the
machine with ffmpeg and served as a CDN would (HLS, MP4, WebM, poster)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import cloudinary
import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from marketplace.reels.attribution import reel_orders_attribute, watermark_key
from marketplace.reels.models import ReelLike
from marketplace.reels.tests.factories import reel_make
from shared_apps.behaviour.selectors import reel_stats
from shared_apps.behaviour.services import behaviour_drain
from shared_apps.payments.testing import payments_delete_all
from tests.browser.reel_videos import videos_make, videos_served
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# (shop, tagged product): six reels of three shops, the cake's reel among them
REELS = (
    ("gulberg-grocer", "Guard Basmati Rice"),
    ("crust-and-crumb", "Cake Rusk"),
    ("shifa-pharmacy", "Panadol Extra"),
    ("gulberg-grocer", "Nurpur Butter"),
    ("crust-and-crumb", "Chocolate Fudge Cake"),
    ("shifa-pharmacy", "Panadol Extra"),
)


@pytest.fixture
def orders_cleared():
    yield
    payments_delete_all()
    CustomerOrder.objects.all().delete()


@pytest.fixture(scope="module")
def video_base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reel-videos")
    names = videos_make(folder)
    with videos_served(folder) as base:
        # the folder's server is the Cloudinary delivery host the pages' Content-Security-Policy names (config/csp.py)
        before = {key: getattr(cloudinary.config(), key, None) for key in ("cname", "secure")}
        cloudinary.config(cname=base.split("://", 1)[1], secure=False)
        yield {
            "hls_url": f"{base}/{names['hls']}",
            "mp4_url": f"{base}/{names['mp4']}",
            "webm_url": f"{base}/{names['webm']}",
            "poster_url": f"{base}/{names['poster']}",
        }
        cloudinary.config(**before)


def _playing(page) -> list[bool]:
    """For each reel on the page: is its video playing?"""
    return page.locator(".reel video").evaluate_all("vs => vs.map(v => !v.paused && !v.ended && v.readyState > 2)")


def _only_playing(page, index: int) -> None:
    expect(page.locator(".reel").nth(index)).to_be_in_viewport(ratio=0.9)
    page.wait_for_function(
        "i => { const vs = [...document.querySelectorAll('.reel video')];"
        " return vs.length > i && vs.every((v, k) => k === i ? (!v.paused && v.currentTime > 0) : v.paused); }",
        arg=index,
        timeout=15_000,
    )


def test_a_guest_swipes_reels_and_buys_a_tagged_product(
    live_server, page, screenshot, make_merchant, video_base, orders_cleared
):
    market = build_market(make_merchant)
    now = timezone.now()
    cards = [
        reel_make(market, shop, product, urls=video_base, published_at=now - timedelta(minutes=10 * i), duration_s=4)
        for i, (shop, product) in enumerate(REELS)
    ]
    cake = cards[4]
    page.set_viewport_size(PHONE)
    page.goto(url(live_server, "localhost", "/location/"))
    page.get_by_label("Your area").select_option(label="Gulberg III")
    page.get_by_role("button", name="Set location").click()

    page.get_by_role("link", name="Reels").first.click()
    expect(page).to_have_url(re.compile(r"/reels$"))
    expect(page.locator(".reel")).to_have_count(5)  # the first page; the next comes by cursor while swiping
    _only_playing(page, 0)
    mode = page.locator(".reel").first.get_attribute("data-mode")
    assert mode in {"hls.js", "native-hls", "mp4", "webm"}
    assert page.locator(".reel video").first.evaluate("v => v.muted")  # autoplay is muted; a tap unmutes
    screenshot("reels-first-mobile")

    feed = page.locator("[data-feed]")
    for index in range(1, 5):  # swipe up, one reel at a time
        feed.evaluate("el => el.scrollBy({top: el.clientHeight, behavior: 'instant'})")
        _only_playing(page, index)
    expect(page.locator(".reel")).to_have_count(6)  # the next page arrived by cursor
    ids = page.locator(".reel").evaluate_all("rs => rs.map(r => Number(r.dataset.reel))")
    assert sorted(ids) == sorted(c.pk for c in cards)

    # the cake's reel: like it, then add the cake from its card
    position = ids.index(cake.pk)
    feed.evaluate("(el, i) => el.scrollTo({top: el.clientHeight * i, behavior: 'instant'})", position)
    _only_playing(page, position)
    reel = page.locator(f'.reel[data-reel="{cake.pk}"]')
    reel.get_by_role("button", name="Like").click()
    expect(reel.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    product = reel.locator(".reel-product")
    expect(product).to_contain_text("Chocolate Fudge Cake")
    expect(product).to_contain_text("Rs 1,800")
    product.get_by_role("button", name="Add to cart").click()
    expect(product.get_by_role("status")).to_contain_text("Added to your cart")
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^1"))
    screenshot("reels-added-mobile")
    assert ReelLike.objects.filter(card=cake, guest__isnull=False).count() == 1

    # check out what the reel sold
    product.get_by_role("link", name="View cart").click()
    expect(page.locator(".cart-group")).to_have_count(1)
    expect(page.locator(".cart-group")).to_contain_text("Chocolate Fudge Cake")
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    order = CustomerOrder.objects.get()
    assert order.parts.get().merchant_slug == "crust-and-crumb"

    # what the merchant's console reads: the reel was viewed, sold from and ordered from
    cache.delete(watermark_key())
    stats = _stats_after_drain(cake, lambda s: s.add_to_carts == 1)
    assert stats.views >= 1 and stats.add_to_carts == 1
    assert reel_orders_attribute() == 1
    assert reel_orders_attribute() == 0  # looked at again: counted once
    assert _stats_after_drain(cake, lambda s: s.orders == 1).orders == 1


def _stats_after_drain(card, done, timeout: float = 10.0):
    """The reel's statistics once the page's queued events reached the database (the drain, as beat runs it)."""
    deadline = time.monotonic() + timeout
    while True:
        behaviour_drain()
        stats = reel_stats(merchant_id=card.merchant_id, reel_ids=[card.reel_id])[card.reel_id]
        if done(stats) or time.monotonic() > deadline:
            return stats
        time.sleep(0.3)
