"""What the cart page shows (and the checkout page's summary): the priced cart as view dicts with every label
already formatted — groups per shop branch, problems, price changes, delivery options in words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kernel.money import money
from marketplace.cart.api import GroupOut, LineOut, OptionOut, cart_out
from marketplace.cart.pricing import PricedCart, Problem
from marketplace.discovery.formatting import distance_label
from marketplace.discovery.location import Location
from marketplace.discovery.page_urls import product_url
from tenant_apps.orders.models import Fulfilment

FULFILMENT_LABELS = {
    Fulfilment.PICKUP: "Pickup from the shop",
    Fulfilment.DELIVERY: "Delivery by the shop",
    Fulfilment.PARTNER: "Partner courier",
}
_REASONS = {
    "not_offered": "Not offered by this shop",
    "location_needed": "Set your location to see if they deliver to you",
    "outside_area": "You are outside their delivery area",
}


def pricing_point(location: Location) -> tuple[float | None, float | None]:
    """Where delivery options are judged from: the customer's chosen location, never the default guess (a shop
    would otherwise "deliver to you" because we assumed central Lahore)."""
    return (None, None) if location.is_default else (location.lat, location.lng)


def _problem_text(line: LineOut) -> str:
    if line.problem == Problem.UNAVAILABLE:
        return "No longer sold at this shop. Remove it to check out."
    if line.problem == Problem.OUT_OF_STOCK:
        return "Out of stock at this shop. Remove it to check out."
    if line.problem == Problem.INSUFFICIENT_STOCK:
        return f"Only {line.available} left at this shop. Lower the quantity to check out."
    return ""


def _line(line: LineOut, merchant: str, errors: dict[int, str]) -> dict[str, Any]:
    on_offer = line.regular_price is not None and line.regular_price > line.unit_price
    return {
        "id": line.id,
        "title": line.title,
        "variant_name": line.variant_name,
        "image_url": line.image_url,
        "url": product_url(merchant, line.product_id) if line.product_id else None,
        "quantity": line.quantity,
        "available": line.available,
        "can_decrease": line.quantity > 1,
        "can_increase": line.quantity < min(line.available, settings.CART_MAX_QUANTITY),
        "unit_price_label": money(line.unit_price, line.currency),
        "regular_price_label": money(line.regular_price, line.currency) if on_offer else "",
        "line_total_label": money(line.line_total, line.currency),
        "problem": line.problem,
        "problem_text": _problem_text(line),
        "price_changed_text": (
            f"Price changed from {money(line.previous_unit_price, line.currency)} to "
            f"{money(line.unit_price, line.currency)}"
            if line.price_changed
            else ""
        ),
        "error": errors.get(line.id, ""),
    }


def _option(option: OptionOut, subtotal: Decimal, currency: str) -> dict[str, Any]:
    fee = "Free" if not option.fee else money(option.fee, currency)
    if option.available and option.kind == Fulfilment.PARTNER:
        fee = _("about %(fee)s") % {"fee": fee}
        note = _("An estimate: the courier's own price is shown at checkout, and that is what you pay")
    elif option.available:
        note = f"Minimum order {money(option.min_order, currency)}" if option.min_order else ""
    elif option.reason == "below_minimum":
        short = money(option.min_order - subtotal, currency)
        note = f"Add {short} more for delivery (minimum order {money(option.min_order, currency)})"
    else:
        note = _REASONS.get(option.reason or "", "Not available")
    return {
        "kind": option.kind,
        "name": FULFILMENT_LABELS.get(option.kind, option.kind),
        "available": option.available,
        "fee": option.fee,
        "fee_label": fee,
        "note": note,
        "reason": option.reason,
        "offered": option.reason != "not_offered",
    }


def _group(group: GroupOut, currency: str, errors: dict[int, str]) -> dict[str, Any]:
    options = [_option(o, group.subtotal, currency) for o in group.delivery_options]
    return {
        "key": group.key,
        "merchant": group.merchant,
        "store_name": group.store_name or group.merchant,
        "branch_name": group.branch_name,
        "distance_label": distance_label(group.distance_km),
        "lines": [_line(line, group.merchant, errors) for line in group.lines],
        "subtotal": group.subtotal,
        "subtotal_label": money(group.subtotal, currency),
        "options": [o for o in options if o["offered"]],
        "can_order": any(o["available"] for o in options),
    }


def cart_context(
    priced: PricedCart, location: Location, *, line_errors: dict[int, str] | None = None
) -> dict[str, Any]:
    """The cart page's context. `line_errors`: a message to show at a line (a quantity the shop cannot fill)."""
    out = cart_out(priced)
    groups = [_group(g, out.currency, line_errors or {}) for g in out.groups]
    blocked = [g for g in groups if not g["can_order"]]
    return {
        "location": location,
        "located": not location.is_default,
        "groups": groups,
        "cart_count": out.item_count,
        "subtotal_label": money(out.subtotal, out.currency),
        "has_problems": out.has_problems,
        "prices_changed": out.prices_changed,
        "blocked_groups": blocked,
        "can_checkout": bool(groups) and not out.has_problems and not blocked,
    }
