"""The merchant sign-up as a shopkeeper takes it, one function per step, for composing journeys: "Sell on Planckly"
on the marketplace → phone → SMS code → the shop → the console's dashboard with its checklist. Each step waits for
the page it leads to, so a composed journey times what a person would wait for. `Shots` takes a screenshot of each
step at desktop width and at a 375 px phone width."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

PHONE_VIEWPORT = {"width": 375, "height": 812}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Shots:
    """Screenshots of each step, desktop then phone, under `directory`; asserts the phone page does not scroll
    sideways (a form wider than the screen is a form a shopkeeper cannot fill)."""

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for label, viewport in (("desktop", DESKTOP_VIEWPORT), ("phone", PHONE_VIEWPORT)):
            page.set_viewport_size(viewport)
            path = self.directory / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
            if label == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{name}: {overflow}px wider than a 375 px phone"
        page.set_viewport_size(DESKTOP_VIEWPORT)


def marketplace_url(live_server, path: str = "/") -> str:
    return f"http://localhost:{urlsplit(live_server.url).port}{path}"


def sell_open_from_home(page: Page, live_server, shots: Shots | None = None) -> None:
    """The marketplace home → its "Sell on Planckly" link → the phone step."""
    page.goto(marketplace_url(live_server))
    if shots:
        shots(page, "01-marketplace-home")
    page.get_by_role("link", name="Sell on Planckly").first.click()
    expect(page.get_by_role("heading", name="Sell on Planckly")).to_be_visible()


def sell_phone(page: Page, phone: str, sms_code, shots: Shots | None = None) -> None:
    """Types the mobile number (as people write it) and asks for the code."""
    page.get_by_label("Your mobile number").fill(phone)
    if shots:
        shots(page, "02-sell-phone")
    sms_code.mark(_e164(phone))
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("heading", name="Confirm your number")).to_be_visible()


def sell_code(page: Page, phone: str, sms_code, shots: Shots | None = None) -> None:
    """Reads the code from the SMS (the sandbox's inbox) and confirms it."""
    code = sms_code(_e164(phone))
    page.get_by_label("6-digit code").fill(code)
    if shots:
        shots(page, "03-sell-code")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Tell us about your shop")).to_be_visible()


def sell_shop(page: Page, *, name: str, category: str, area: str, owner: str, shots: Shots | None = None) -> None:
    """The shop's name, what it sells (a category's label), its area and the owner's name → the console."""
    page.get_by_label("Shop name").fill(name)
    page.get_by_label(category, exact=True).check()
    page.get_by_label("Area").fill(area)
    page.get_by_label("Your name").fill(owner)
    if shots:
        shots(page, "04-sell-shop")
    page.get_by_role("button", name="Create my shop").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def console_checklist(page: Page, shots: Shots | None = None) -> None:
    """The console's dashboard: signed in, the shop not live yet, the checklist with its steps."""
    expect(page).to_have_url(re.compile(r"^http://[a-z0-9-]+\.localhost:\d+/$"))
    expect(page.get_by_text("Your shop is not live yet — finish the checklist")).to_be_visible()
    expect(page.get_by_role("heading", name="Get your shop live")).to_be_visible()
    expect(page.get_by_role("button", name="Go live")).to_be_disabled()
    if shots:
        shots(page, "05-console-checklist")


def sign_up_to_console(
    page: Page,
    live_server,
    sms_code,
    *,
    phone: str,
    name: str,
    category: str,
    area: str,
    owner: str,
    shots: Shots | None = None,
) -> None:
    """The whole sign-up: marketplace home to the new merchant's console checklist."""
    sell_open_from_home(page, live_server, shots)
    sell_phone(page, phone, sms_code, shots)
    sell_code(page, phone, sms_code, shots)
    sell_shop(page, name=name, category=category, area=area, owner=owner, shots=shots)
    console_checklist(page, shots)


def _e164(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "+92" + digits[1:] if digits.startswith("0") else "+" + digits
