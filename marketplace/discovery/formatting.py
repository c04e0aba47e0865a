"""How the customer pages show things: money, distances, opening hours, and the view dicts the templates render
(result cards, branches, a product's offers per branch) with every label already formatted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from kernel.money import money
from marketplace.discovery.page_urls import product_url, store_url
from marketplace.discovery.selectors import NearbyBranch, ProductPage
from tenant_apps.stores.hours import DAYS

RANGE = "\u2013"  # en dash, between the ends of a price range or of a run of days
_DAY_SHORT = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
_DAY_SCHEMA = {"mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa", "sun": "Su"}


def price_range_label(low: Decimal, high: Decimal, currency: str) -> str:
    """Both ends of a price range with RANGE between them ("Rs 590 - Rs 2,750"), or one price when they are equal."""
    label = money(low, currency)
    return f"{label} {RANGE} {money(high, currency)}" if high != low else label


def distance_label(km: float | None) -> str:
    if km is None:
        return ""
    if km < 1:
        return f"{max(10, round(km * 1000, -1)):.0f} m"
    return f"{km:.1f} km"


def hours_runs(hours: dict) -> list[dict[str, Any]]:
    """Weekly hours as runs of consecutive days with the same periods:
    [{"first": "mon", "last": "thu", "periods": [["09:00", "23:00"]], "label": "Mon-Thu"}, ...]."""
    runs: list[dict[str, Any]] = []
    previous = None
    for day in DAYS:
        periods = hours.get(day) or []
        if periods and runs and runs[-1]["periods"] == periods and runs[-1]["last"] == previous:
            runs[-1]["last"] = day
        elif periods:
            runs.append({"first": day, "last": day, "periods": periods})
        previous = day
    for run in runs:
        first, last = run["first"], run["last"]
        run["label"] = _DAY_SHORT[first] if first == last else f"{_DAY_SHORT[first]}{RANGE}{_DAY_SHORT[last]}"
        run["schema"] = _DAY_SCHEMA[first] if first == last else f"{_DAY_SCHEMA[first]}-{_DAY_SCHEMA[last]}"
        all_day = run["periods"] == [["00:00", "24:00"]]
        run["text"] = "open 24 hours" if all_day else ", ".join(f"{a}{RANGE}{b}" for a, b in run["periods"])
    return runs


def opening_label(nearby: NearbyBranch) -> str:
    if nearby.open_now:  # a period ending at 24:00 runs into the next day's: no closing time worth showing
        closes = nearby.closes_at if nearby.closes_at and nearby.closes_at != "24:00" else None
        return f"Open now · until {closes}" if closes else "Open now"
    return f"Closed · opens {nearby.opens_at}" if nearby.opens_at else "Closed"


def result_card(result: dict[str, Any]) -> dict[str, Any]:
    """A search result as a card shows it: links, money and distance already formatted."""
    store = result["store"]
    return {
        **result,
        "url": product_url(store["merchant"], result["product_id"]),
        "store_url": store_url(store["merchant"], store["slug"]),
        "price_label": money(result["price"], result["currency"]),
        "regular_price_label": money(result["regular_price"], result["currency"]) if result["has_offer"] else "",
        "distance_label": distance_label(result["distance_km"]),
    }


def branch_view(nearby: NearbyBranch) -> dict[str, Any]:
    """A branch as the home and store pages show it: open now or not, distance, hours, delivery terms."""
    branch = nearby.branch
    return {
        "nearby": nearby,
        "opening_label": opening_label(nearby),
        "branch": branch,
        "url": store_url(branch.merchant_slug, branch.store_slug),
        "distance_label": distance_label(nearby.distance_km),
        "hours": hours_runs(branch.opening_hours),
        "delivery_fee": money(branch.delivery_fee, branch.currency) if branch.delivery_fee else "Free delivery",
        "delivery_min_order": money(branch.delivery_min_order, branch.currency) if branch.delivery_min_order else "",
    }


def only_left(*, available: int, threshold: int) -> int | None:
    """The N of "Only N left": what a listing still has when it is at or under its product's threshold, else None
    (plenty, or none at all). Decided here at render time from the published fields, never in the search's SQL."""
    return available if 0 < available <= threshold else None


def offers_by_branch(page: ProductPage) -> list[dict[str, Any]]:
    """The product's offers grouped per branch, nearest branch first (the selector's order)."""
    branches: dict[int, dict[str, Any]] = {}
    for offer in page.offers:
        row = offer.listing
        entry = branches.setdefault(
            row.branch_id,
            {
                "branch_name": row.branch_name,
                "distance_label": distance_label(offer.distance_km),
                "pickup": row.offers_pickup,
                "delivery": row.offers_delivery,
                "delivers_here": offer.delivers_here,
                "in_stock": False,
                "items": [],
            },
        )
        entry["in_stock"] = entry["in_stock"] or row.in_stock
        entry["items"].append(
            {
                "listing_id": row.pk,  # what "Add to cart" posts
                "max_quantity": max(1, min(row.available, settings.CART_MAX_QUANTITY)),
                "variant_name": row.variant_name,
                "price_label": money(row.price, row.currency),
                "regular_price_label": money(row.regular_price, row.currency) if row.has_offer else "",
                "in_stock": row.in_stock,
                "available": row.available,
                "only_left": only_left(available=row.available, threshold=row.low_stock_threshold),
            }
        )
    return list(branches.values())
