"""A cart priced from the source of truth: each merchant's schema is read once (offers and branch terms in one
query), merchants in id order. Used by the cart view and by checkout, so what the customer saw is what checkout
charges — and a price that changed since the customer last looked is flagged, never silently charged."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from marketplace.cart.models import CartItem
from marketplace.discovery.geo import haversine_km
from tenant_apps.catalog.offers import BranchTerms, Offer, branch_offers_and_terms
from tenant_apps.orders.models import Fulfilment
from tenants.models import Merchant

ZERO = Decimal("0.00")


class Problem:
    UNAVAILABLE = "unavailable"  # not sold here any more (archived, branch closed)
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_STOCK = "insufficient_stock"  # some, but fewer than asked for


@dataclass
class PricedLine:
    item: CartItem
    offer: Offer | None

    @property
    def unit_price(self) -> Decimal:
        return self.offer.price if self.offer else self.item.unit_price

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.item.quantity

    @property
    def price_changed(self) -> bool:
        return self.offer is not None and self.offer.price != self.item.unit_price

    @property
    def problem(self) -> str | None:
        if self.offer is None or not self.offer.sellable:
            return Problem.UNAVAILABLE
        if self.offer.available <= 0:
            return Problem.OUT_OF_STOCK
        if self.offer.available < self.item.quantity:
            return Problem.INSUFFICIENT_STOCK
        return None


@dataclass(frozen=True)
class DeliveryOption:
    kind: str
    available: bool
    fee: Decimal
    reason: str | None = None  # why not available: not_offered, location_needed, outside_area, below_minimum
    min_order: Decimal = ZERO


@dataclass
class PricedGroup:
    merchant: Merchant
    branch_id: int
    terms: BranchTerms | None
    lines: list[PricedLine] = field(default_factory=list)
    distance_km: float | None = None
    options: list[DeliveryOption] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.merchant.slug}:{self.branch_id}"

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)

    def option(self, kind: str) -> DeliveryOption | None:
        return next((o for o in self.options if o.kind == kind), None)


@dataclass
class PricedCart:
    groups: list[PricedGroup]
    currency: str = settings.DEFAULT_CURRENCY

    @property
    def lines(self) -> list[PricedLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def subtotal(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), ZERO)

    @property
    def item_count(self) -> int:
        return sum(line.item.quantity for line in self.lines)


def partner_fee(distance_km: float) -> Decimal:
    """A partner courier's fee by distance (flat base + per started km) until the courier quotes it."""
    return settings.PARTNER_DELIVERY_BASE_FEE + settings.PARTNER_DELIVERY_FEE_PER_KM * math.ceil(distance_km)


def _options(terms: BranchTerms | None, subtotal: Decimal, distance_km: float | None) -> list[DeliveryOption]:
    if terms is None or not terms.is_open_for_orders:
        return [DeliveryOption(kind, False, ZERO, "not_offered") for kind in Fulfilment.values]
    options = [
        DeliveryOption(Fulfilment.PICKUP, terms.offers_pickup, ZERO, None if terms.offers_pickup else "not_offered")
    ]
    if not terms.offers_delivery:
        options.append(DeliveryOption(Fulfilment.DELIVERY, False, terms.delivery_fee, "not_offered"))
    elif distance_km is None:
        options.append(
            DeliveryOption(Fulfilment.DELIVERY, False, terms.delivery_fee, "location_needed", terms.delivery_min_order)
        )
    elif distance_km > float(terms.delivery_radius_km):
        options.append(
            DeliveryOption(Fulfilment.DELIVERY, False, terms.delivery_fee, "outside_area", terms.delivery_min_order)
        )
    elif subtotal < terms.delivery_min_order:
        options.append(
            DeliveryOption(Fulfilment.DELIVERY, False, terms.delivery_fee, "below_minimum", terms.delivery_min_order)
        )
    else:
        options.append(DeliveryOption(Fulfilment.DELIVERY, True, terms.delivery_fee, None, terms.delivery_min_order))
    if not terms.offers_partner_delivery:
        options.append(DeliveryOption(Fulfilment.PARTNER, False, ZERO, "not_offered"))
    elif distance_km is None:
        options.append(DeliveryOption(Fulfilment.PARTNER, False, ZERO, "location_needed"))
    elif distance_km > settings.PARTNER_DELIVERY_MAX_KM:
        options.append(DeliveryOption(Fulfilment.PARTNER, False, partner_fee(distance_km), "outside_area"))
    else:
        options.append(DeliveryOption(Fulfilment.PARTNER, True, partner_fee(distance_km)))
    return options


def cart_price(items: Iterable[CartItem], *, lat: float | None = None, lng: float | None = None) -> PricedCart:
    """Price `items` (with `merchant` selected) from each merchant's schema: one query per merchant (offers and branch
    terms), none to switch schemas. Groups come out per (merchant, branch), merchants in id order, lines in the order
    they were added."""
    by_merchant: dict[int, list[CartItem]] = {}
    merchants: dict[int, Merchant] = {}
    for item in items:
        by_merchant.setdefault(item.merchant_id, []).append(item)
        merchants[item.merchant_id] = item.merchant
    groups: list[PricedGroup] = []
    for merchant_id in sorted(by_merchant):
        merchant, merchant_items = merchants[merchant_id], by_merchant[merchant_id]
        offers, terms = branch_offers_and_terms(
            schema=merchant.schema_name, pairs=((i.branch_id, i.variant_id) for i in merchant_items)
        )
        by_branch: dict[int, PricedGroup] = {}
        for item in merchant_items:
            group = by_branch.get(item.branch_id)
            if group is None:
                group = by_branch[item.branch_id] = PricedGroup(merchant, item.branch_id, terms.get(item.branch_id))
            group.lines.append(PricedLine(item, offers.get((item.branch_id, item.variant_id))))
        for group in by_branch.values():
            if group.terms is not None and lat is not None and lng is not None:
                group.distance_km = haversine_km(lat, lng, group.terms.latitude, group.terms.longitude)
            group.options = _options(group.terms, group.subtotal, group.distance_km)
            groups.append(group)
    return PricedCart(groups)
