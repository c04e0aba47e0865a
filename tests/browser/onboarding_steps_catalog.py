"""The catalog part of a merchant's onboarding, as steps a person takes in the console: open a starter list, tick
and price items, see them in the products list, download the CSV template, set stock from a product's page.

Each step takes a Playwright page that is signed in on the merchant's console host and leaves it on the page the
next step starts from; the lead's full onboarding journey (sign-up to first product in search) chains them.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect


def starter_list_open(page: Page, console_url: str, *, kind: str = "Grocery and kiryana") -> None:
    """From the products page, open the starter list of a kind of shop (its card's title)."""
    page.goto(f"{console_url}/products/")
    page.get_by_role("link", name="Add from a starter list").click()
    expect(page.get_by_role("heading", name="Add your first products")).to_be_visible()
    page.get_by_role("link", name=kind).click()
    expect(page.get_by_role("heading", name=kind)).to_be_visible()


def starter_items_tick(page: Page, prices: dict[str, str], *, stock: dict[tuple[str, str], str] | None = None) -> None:
    """Tick each item ("Olper's Milk 1 L": its name and unit as the list shows them), type its price and, for
    (item, branch name) pairs, its opening stock."""
    for item, price in prices.items():
        page.get_by_role("checkbox", name=item, exact=True).check()
        page.get_by_label(f"Price of {item}", exact=True).fill(price)
    for (item, branch), units in (stock or {}).items():
        page.get_by_label(f"Opening stock of {item} at {branch}", exact=True).fill(units)


def starter_items_submit(page: Page, *, count: int) -> None:
    """Add the ticked items; the products list confirms how many were added."""
    page.get_by_role("button", name=f"Add {count} item" + ("s" if count != 1 else "")).click()
    added = f"Added {count} item" + ("s" if count != 1 else "") + " to your products."
    expect(page.get_by_text(added).first).to_be_visible()


def products_listed(page: Page, names: list[str]) -> None:
    """Every product name is a row of the products list (the page the starter list lands on)."""
    for name in names:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def csv_template_download(page: Page, console_url: str, folder: Path) -> Path:
    """From the imports page, download the products template (branches named by name) into `folder`."""
    page.goto(f"{console_url}/imports/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the products template").click()
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path


def product_stock_receive(page: Page, product: str, *, sku: str, branch: str, units: str) -> None:
    """Open a product from the products list and receive units of one variant at a branch, on its page."""
    page.get_by_role("link", name=product, exact=True).click()
    stock = page.locator("#stock")
    stock.get_by_label(f"Change for {sku} at {branch}").select_option("receive")
    stock.get_by_label(f"Units for {sku} at {branch}").fill(units)
    stock.get_by_label(f"Units for {sku} at {branch}").press("Enter")
    expect(page.locator("#stock")).to_be_visible()
