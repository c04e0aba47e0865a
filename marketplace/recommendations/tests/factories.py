"""Rows written straight into the public tables, as the training and the drain would: shops in the listing index
(no merchant schema), behaviour events, and a trained model's lists (the training's own tests prove how they are
computed; the serving tests prove what a shelf does with them)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import BranchListing, Listing
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.recommendations.selectors import active_models_forget
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Subject
from shared_apps.recommendations.models import ItemNeighbours, ModelStatus, NeighbourKind, PopularItems, TrainedModel
from tenants.models import Merchant

Key = tuple[int, int]
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NEVER_TODAY = {}  # no hours at all: closed, no opening within a week
_n = itertools.count(1)


def model_make(*, region: str = "", algorithm: str = "rp3beta", status: str = ModelStatus.ACTIVE) -> TrainedModel:
    """A trained model (of a region of its own unless named: one ACTIVE per region)."""
    model = TrainedModel.objects.create(
        region=region or f"region-{next(_n)}", algorithm=algorithm, status=status, started_at=timezone.now()
    )
    active_models_forget()
    return model


def neighbours_make(
    model: TrainedModel, item: Key, neighbours: Sequence[Key], *, kind: str = NeighbourKind.SIMILAR, scores=None
) -> ItemNeighbours:
    scores = list(scores) if scores is not None else [1.0 - i / (len(neighbours) + 1) for i in range(len(neighbours))]
    return ItemNeighbours.objects.create(
        model=model,
        kind=kind,
        merchant_id=item[0],
        product_id=item[1],
        neighbour_merchants=[k[0] for k in neighbours],
        neighbour_products=[k[1] for k in neighbours],
        scores=scores,
    )


def popular_make(
    model: TrainedModel, *, lat: float, lng: float, items: Sequence[Key], daypart: int | None = None,
    weekend: bool | None = None,
) -> PopularItems:  # fmt: skip
    return PopularItems.objects.create(
        model=model,
        h3_r6=cells_of(lat, lng)["h3_r6"],
        daypart=daypart,
        weekend=weekend,
        merchants=[k[0] for k in items],
        products=[k[1] for k in items],
        scores=[1.0 - i / (len(items) + 1) for i in range(len(items))],
    )


def branch_listing_make(merchant: Merchant, *, branch_id: int, lat: float, lng: float, hours=None) -> BranchListing:
    return BranchListing.objects.create(
        merchant=merchant, branch_id=branch_id, store_id=1, merchant_slug=merchant.slug, store_name=merchant.name,
        store_slug="main", branch_name=f"Branch {branch_id}", address="Main Boulevard", latitude=lat, longitude=lng,
        opening_hours=ALL_DAY if hours is None else hours, version=1, **cells_of(lat, lng),
    )  # fmt: skip


def order_make(*, owner: dict, merchant: Merchant, listing_ids: Sequence[int]) -> CustomerOrder:
    """A placed customer order of `owner` ({"user": user} or {"guest": guest}) with one part holding the listings."""
    n = next(_n)
    who = owner.get("user") or owner.get("guest")
    key = f"u:{who.pk}" if "user" in owner else f"g:{who.pk}"
    order = CustomerOrder.objects.create(
        number=f"RC{n:05d}", status="placed", contact_phone="+923001234567", subtotal=Decimal("100.00"),
        total=Decimal("100.00"), payment_method="cod", owner_key=key, idempotency_key=f"reco-{n}",
        request_hash="0" * 64, **owner,
    )  # fmt: skip
    CustomerOrderPart.objects.create(
        order=order, merchant=merchant, merchant_order_id=n, number=f"RC{n:05d}-1", branch_id=1,
        merchant_slug=merchant.slug, store_name=merchant.name, branch_name="Branch", status="placed",
        fulfilment="pickup", subtotal=Decimal("100.00"), total=Decimal("100.00"),
        lines=[{"title": "x", "variant_name": "", "quantity": 1, "unit_price": "100.00", "line_total": "100.00",
                "listing_id": i} for i in listing_ids],
    )  # fmt: skip
    return order


def shop_make(*, slug: str, branches: Iterable[tuple[str, float, float]], products: Iterable[int]) -> Merchant:
    """A merchant selling `products` (its product ids) at each branch (city, latitude, longitude)."""
    merchant = Merchant.objects.create(name=slug.title(), slug=slug, schema_name=f"m_{slug.replace('-', '_')}")
    products = list(products)
    for city, lat, lng in branches:
        branch_id = next(_n)
        common = {"merchant": merchant, "branch_id": branch_id, "store_id": 1, "merchant_slug": slug,
                  "store_name": slug, "store_slug": "main", "branch_name": city or "somewhere",
                  "latitude": lat, "longitude": lng, "version": 1, **cells_of(lat, lng)}  # fmt: skip
        BranchListing.objects.create(**common, address="", city=city)
        Listing.objects.bulk_create(
            Listing(**common, variant_id=next(_n), product_id=product, title=f"Product {product}",
                    sku=f"{slug}-{product}", price=Decimal("100"), regular_price=Decimal("100"), currency="PKR")
            for product in products
        )  # fmt: skip
    return merchant


def events_make(rows: Iterable[tuple[str, str, Merchant, int, datetime]]) -> int:
    """(kind, shopper, merchant, product id, at) as product events; a product tap is a reel's, naming the product."""
    events = [
        BehaviourEvent(
            kind=kind,
            subject=Subject.REEL if kind == EventKind.PRODUCT_TAP else Subject.PRODUCT,
            merchant_id=merchant.pk,
            subject_id=product,
            product_id=product,
            shopper=shopper,
            at=at,
        )
        for kind, shopper, merchant, product, at in rows
    ]
    BehaviourEvent.objects.bulk_create(events)
    return len(events)
