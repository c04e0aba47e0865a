"""A merchant with nothing set up creates its store, opens a branch by dragging the pin on the map, sets its hours
with a preset and its delivery, through the steps of onboarding_steps_stores (the lead's onboarding journey composes
the same steps). Screenshots at desktop width and at 375 px (a phone): artifacts/screenshots/store-setup-*.png."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.stores.models import Branch, Store
from tests.browser.onboarding_steps_stores import (
    branch_create_step,
    delivery_step,
    hours_preset_step,
    store_create_step,
)
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE_WIDTH = 375


def _signed_in(page, host: str, user) -> None:
    """By session cookie: the SMS sign-in has its own journey (test_shells)."""
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": host, "path": "/"}]
    )


def _fits_the_phone(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 3).map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {PHONE_WIDTH}px: {wide}"


def test_a_merchant_sets_up_its_store_and_first_branch_alone(live_server, page, screenshot, make_merchant):
    merchant = make_merchant(slug="setup-journey", name="Setup Journey")
    host = f"{merchant.slug}.localhost"
    console = url(live_server, host, "").rstrip("/")
    _signed_in(page, host, merchant.owner)

    def shoot(name: str) -> None:
        screenshot(f"store-setup-{name}")

    page.goto(f"{console}/branches/new/")
    expect(page.get_by_role("heading", name="Create your store first")).to_be_visible()
    shoot("no-store-yet")

    store_id = store_create_step(page, console, name="Liberty Dates", description="Dates and dry fruit", shoot=shoot)
    placed = branch_create_step(
        page, console, name="Liberty Market", area="Gulberg III", address="Shop 12, Liberty Market", shoot=shoot
    )
    closed_on = (date.today() + timedelta(days=30)).isoformat()
    hours_preset_step(
        page, console, branch_id=placed.branch_id, preset="10 to 10, closed Sunday", closed_on=closed_on, shoot=shoot
    )
    delivery_step(
        page,
        console,
        branch_id=placed.branch_id,
        radius_km="3.5",
        fee="150",
        min_order="1000",
        partner=True,
        shoot=shoot,
    )
    expect(page.get_by_text("Own riders within 3.5 km · fee Rs 150 · minimum order Rs 1,000")).to_be_visible()
    shoot("branch-ready")

    with schema_context(merchant.schema_name):
        store = Store.objects.get()
        branch = Branch.objects.get()
        assert (store.pk, store.slug, branch.store_id) == (store_id, "liberty-dates", store_id)
        assert (branch.area, branch.city) == ("Gulberg III", "Lahore")
        assert abs(branch.latitude - Decimal("31.5102")) < Decimal("0.01") != Decimal(str(placed.latitude))
        assert branch.latitude == Decimal(f"{placed.latitude:.6f}")  # where the pin was dragged, not the area centre
        assert branch.opening_hours == {d: [["10:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
        assert branch.hours_exceptions == {closed_on: []}
        assert (branch.offers_pickup, branch.offers_delivery, branch.offers_partner_delivery) == (True, True, True)
        assert (branch.delivery_radius_km, branch.delivery_fee, branch.delivery_min_order) == (
            Decimal("3.50"),
            Decimal("150.00"),
            Decimal("1000.00"),
        )
        assert OutboxEvent.objects.filter(entity=Entity.BRANCH, entity_id=branch.pk).count() == 3

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 812})
    for name, path in (
        ("stores", "/stores/"),
        ("store", f"/stores/{store_id}/"),
        ("branch-new", f"/branches/new/?store={store_id}"),
        ("branch-edit", f"/branches/{placed.branch_id}/edit/"),
        ("branch-hours", f"/branches/{placed.branch_id}/hours/"),
        ("branch-delivery", f"/branches/{placed.branch_id}/delivery/"),
        ("branch", f"/branches/{placed.branch_id}/"),
    ):
        page.goto(f"{console}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _fits_the_phone(page)
        shoot(f"{name}-phone")
