"""Rows of a trained model written straight into the serving tables (the training's own tests prove how they are
computed; these prove what serving does with them), and the public rows a shelf reads beside them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import BranchListing
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.recommendations.selectors import active_models_forget
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
