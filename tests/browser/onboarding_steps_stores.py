"""Reusable Playwright steps of a shopkeeper setting up shop in the console: a store, a branch placed on the map,
its opening hours from a preset, its delivery. Each step starts from a console page reachable by URL, acts as a person
would (labels and buttons, the pin dragged, never a coordinate typed), waits for the next page and returns what the
next step needs, so a journey (the onboarding test) can compose them after its own sign-up steps.

`console` is the console's origin, e.g. "http://setup-shop.localhost:8123"; `shoot(name)` takes a screenshot (the
browser tests' `screenshot` fixture) or is None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, expect

Shoot = Callable[[str], object] | None


def _shoot(shoot: Shoot, name: str) -> None:
    if shoot is not None:
        shoot(name)


@dataclass(frozen=True)
class PlacedBranch:
    branch_id: int
    latitude: float
    longitude: float


def store_create_step(
    page: Page, console: str, *, name: str, description: str = "", phone: str = "", shoot: Shoot = None
) -> int:
    """Stores → New store → fill → Create. Returns the new store's id (from the page it lands on)."""
    page.goto(f"{console}/stores/")
    page.get_by_role("link", name="New store").first.click()
    page.get_by_label("Store name").fill(name)
    if description:
        page.get_by_label("What you sell (optional)").fill(description)
    if phone:
        page.get_by_label("Shop phone (optional)").fill(phone)
    _shoot(shoot, "store-new")
    page.get_by_role("button", name="Create store").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("Store created")
    _shoot(shoot, "store-created")
    return int(re.search(r"/stores/(\d+)/", page.url).group(1))


def pin_drag(page: Page, *, dx: int, dy: int) -> tuple[float, float]:
    """Drag the map's pin by (dx, dy) pixels the way a finger or a mouse does; returns the coordinates it wrote."""
    pin = page.locator("[data-map-pin] .leaflet-marker-icon")
    expect(pin).to_be_visible()
    before = page.locator("#branch-map-lat").input_value()
    page.locator("[data-map-pin]").scroll_into_view_if_needed()
    page.wait_for_timeout(400)  # the map may still be gliding to the chosen area: grab the pin where it rests
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()
    expect(page.locator("#branch-map-lat")).not_to_have_value(before)
    return float(page.locator("#branch-map-lat").input_value()), float(page.locator("#branch-map-lng").input_value())


def branch_create_step(
    page: Page,
    console: str,
    *,
    name: str,
    area: str,
    address: str,
    store_name: str | None = None,
    phone: str = "",
    drag: tuple[int, int] = (40, -30),
    shoot: Shoot = None,
) -> PlacedBranch:
    """Open a new branch: (store), name, area (the map jumps there), street address, then the pin dragged to the
    door. Lands on the branch's hours page; returns its id and where the pin was left."""
    page.goto(f"{console}/branches/new/")
    if store_name:
        page.get_by_label("Store", exact=True).select_option(label=store_name)
    page.get_by_label("Branch name").fill(name)
    page.get_by_label("Area").select_option(label=area)
    page.get_by_label("Street address").fill(address)
    if phone:
        page.get_by_label("Branch phone (optional)").fill(phone)
    latitude, longitude = pin_drag(page, dx=drag[0], dy=drag[1])
    _shoot(shoot, "branch-new")
    page.get_by_role("button", name="Open branch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opening hours")
    branch_id = int(re.search(r"/branches/(\d+)/hours/", page.url).group(1))
    return PlacedBranch(branch_id, latitude, longitude)


def hours_preset_step(
    page: Page,
    console: str,
    *,
    branch_id: int,
    preset: str = "9 to 9 every day",
    closed_on: str = "",
    shoot: Shoot = None,
) -> None:
    """The hours page: a preset fills the week, optionally one date closed (YYYY-MM-DD), then save. Lands on the
    next page (delivery, when the branch is new; else the branch)."""
    if f"/branches/{branch_id}/hours/" not in page.url:
        page.goto(f"{console}/branches/{branch_id}/hours/")
    page.get_by_role("button", name=preset).click()
    if closed_on:
        page.get_by_label("Date").first.fill(closed_on)
    _shoot(shoot, "branch-hours")
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Opening hours")


def delivery_step(
    page: Page,
    console: str,
    *,
    branch_id: int,
    radius_km: str,
    fee: str,
    min_order: str = "0",
    pickup: bool = True,
    partner: bool = False,
    shoot: Shoot = None,
) -> None:
    """The delivery page: pickup, own riders with radius, fee and minimum order (the circle drawn on the map),
    partner courier; save. Lands on the branch page."""
    if f"/branches/{branch_id}/delivery/" not in page.url:
        page.goto(f"{console}/branches/{branch_id}/delivery/")
    page.get_by_label("Pickup from the shop").set_checked(pickup)
    page.get_by_label("Delivery by my own riders").check()
    page.get_by_label("How far (km)").fill(radius_km)
    page.get_by_label("Delivery fee (Rs)").fill(fee)
    page.get_by_label("Minimum order (Rs)").fill(min_order)
    page.get_by_label("Delivery by a partner courier").set_checked(partner)
    expect(page.locator("[data-radius-map] path.leaflet-interactive")).to_have_count(1)  # the radius circle
    _shoot(shoot, "branch-delivery")
    page.get_by_role("button", name="Save delivery").click()
    expect(page).to_have_url(re.compile(rf"/branches/{branch_id}/$"))
