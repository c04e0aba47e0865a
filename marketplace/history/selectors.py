"""Reads of a shopper's own history, as the customer reads it: each event with its shop and product named. The
caller passes the shopper it authenticated; there is no way to name another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketplace.listings.models import Listing
from shared_apps.behaviour.models import BehaviourEvent
from shared_apps.behaviour.selectors import shopper_history
from tenants.models import Merchant


@dataclass(frozen=True)
class HistoryEntry:
    kind: str
    subject: str
    merchant: str | None  # the shop's slug (None: the shop is gone)
    product_id: int | None
    title: str | None  # the product's title while it is listed
    position: int | None
    surface: str
    at: datetime


def history_entries(events: list[BehaviourEvent]) -> list[HistoryEntry]:
    """`events` named for people: two queries whatever their number (the shops, the products' titles)."""
    merchants = dict(Merchant.objects.filter(pk__in={e.merchant_id for e in events}).values_list("pk", "slug"))
    products = {(e.merchant_id, e.product_id) for e in events if e.product_id is not None}
    titles: dict[tuple[int, int], str] = {}
    if products:
        rows = (
            Listing.objects.filter(merchant_id__in={m for m, _ in products}, product_id__in={p for _, p in products})
            .order_by("merchant_id", "product_id")
            .distinct("merchant_id", "product_id")  # one listing per product: they share its title
            .values_list("merchant_id", "product_id", "title")
        )
        titles = {(merchant_id, product_id): title for merchant_id, product_id, title in rows}
    return [
        HistoryEntry(
            kind=e.kind,
            subject=e.subject,
            merchant=merchants.get(e.merchant_id),
            product_id=e.product_id,
            title=titles.get((e.merchant_id, e.product_id)) if e.product_id is not None else None,
            position=e.position,
            surface=e.surface,
            at=e.at,
        )
        for e in events
    ]


class HistoryPage:
    """A shopper's history for the paginator: one slice of events (sliced in SQL) named in two queries, and the
    length (a COUNT), so a long history is never loaded whole."""

    def __init__(self, shopper: str) -> None:
        self.events = shopper_history(shopper=shopper)

    def __len__(self) -> int:
        return self.events.count()

    def __getitem__(self, page: slice) -> list[HistoryEntry]:
        return history_entries(list(self.events[page]))
