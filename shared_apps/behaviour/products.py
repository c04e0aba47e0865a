"""The product events each surface records: a product page's view (and the search click that led there), the
impressions of a page of results, an add to cart, a placed order's purchases. Items are products — every branch and
variant of one product is one item, `(merchant_id, product_id)` — so a page of results that lists one product at
three branches makes one impression, at the product's first position.

Each call is one Redis round trip whatever the number of events (recorder.behaviour_record_many), and records
nothing for a shopper who opted out. A search is named by `search_context`: a keyed hash of its words (so that equal
searches group together, while the words themselves, which can say more about a person than they meant to, are not
kept and cannot be recovered by hashing a dictionary) or else its category.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from shared_apps.behaviour.models import SHELF_SURFACES, EventKind, Subject, Surface
from shared_apps.behaviour.recorder import Event, behaviour_record_many

MAX_POSITION = 10_000  # deeper than any page of results reaches (pages stop at 1,000 of at most 200)
_CONTEXT = re.compile(r"^(q:[0-9a-f]{16}|c:[-a-zA-Z0-9_]{1,80})$")
# A shelf's model label: <algorithm>#<model id> (a trained model) or `popular` (the cold-start lists).
_MODEL_LABEL = re.compile(r"^(popular|[a-z][a-z0-9_]{0,24}#[0-9]{1,12})$")


def search_context(*, q: str = "", category: str | None = None) -> str:
    """What a search is remembered by: `q:` and 16 hex digits of a keyed hash of its words (case and spacing
    ignored), else `c:` and its category slug, else '' (a search without either)."""
    words = " ".join((q or "").casefold().split())
    if words:
        key = _search_key(settings.SECRET_KEY)
        return "q:" + hashlib.blake2b(words.encode(), key=key, digest_size=8).hexdigest()
    if category:
        return "c:" + category[:80]
    return ""


@functools.lru_cache(maxsize=1)
def _search_key(secret: str) -> bytes:
    """The hash's key, derived from the secret once per process, not on every search."""
    return hashlib.sha256(f"behaviour-search:{secret}".encode()).digest()


def search_context_valid(value: str) -> bool:
    """Is `value` something `search_context` makes (a search page's link hands it back to the product page)?"""
    return bool(_CONTEXT.match(value or ""))


def product_event(kind: str, *, shopper: str, merchant_id: int, product_id: int, **extra: object) -> Event:
    """An event of one product (the item), for `behaviour_record_many`."""
    return Event(
        kind=kind,
        subject=Subject.PRODUCT,
        merchant_id=merchant_id,
        subject_id=product_id,
        product_id=product_id,
        shopper=shopper,
        **extra,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class SearchClick:
    """The result a shopper followed: its position in the results (from 1), and the search (`search_context`)."""

    position: int
    context: str = ""


def search_click_of(*, position: str | None, context: str | None) -> SearchClick | None:
    """The search click a product page's link carries (`?pos=&ctx=` from a page of results), or None when it carries
    none or something no results page wrote."""
    if not position or not position.isdigit() or not 1 <= int(position) <= MAX_POSITION:
        return None
    return SearchClick(position=int(position), context=context or "")


def search_click_event(*, shopper: str, merchant_id: int, product_id: int, click: SearchClick) -> Event:
    """The event of a followed result; a context no search would have (a hand-edited link) is left out."""
    context = click.context if search_context_valid(click.context) else ""
    return product_event(
        EventKind.SEARCH_CLICK,
        shopper=shopper,
        merchant_id=merchant_id,
        product_id=product_id,
        position=max(1, min(click.position, MAX_POSITION)),
        context=context,
        surface=Surface.CATEGORY if context.startswith("c:") else Surface.SEARCH,
    )


def product_view_event(*, shopper: str, merchant_id: int, product_id: int, surface: str = Surface.PRODUCT) -> Event:
    """The event of a product's page (or an app's product screen) opened."""
    return product_event(EventKind.VIEW, shopper=shopper, merchant_id=merchant_id, product_id=product_id,
                         surface=surface)  # fmt: skip


def product_view_record(
    *,
    shopper: str,
    merchant_id: int,
    product_id: int,
    surface: str = Surface.PRODUCT,
    click: SearchClick | None = None,
    shelf: ShelfClick | None = None,
) -> bool:
    """A product's page (or an app's product screen) was opened; with `click`, from a list of results, with `shelf`
    from a recommendations shelf (all its events in one round trip)."""
    events = [product_view_event(shopper=shopper, merchant_id=merchant_id, product_id=product_id, surface=surface)]
    if click is not None:
        events.append(search_click_event(shopper=shopper, merchant_id=merchant_id, product_id=product_id, click=click))
    if shelf is not None:
        events.append(shelf_click_event(shopper=shopper, merchant_id=merchant_id, product_id=product_id, click=shelf))
    return behaviour_record_many(events)


def model_label_valid(value: str) -> bool:
    """Is `value` a shelf's model label (`rp3beta#12`, `popular`)?"""
    return bool(_MODEL_LABEL.match(value or ""))


@dataclass(frozen=True)
class ShelfClick:
    """The shelf item a shopper followed: the shelf (a shelf Surface), its model label and the item's place (from 1)."""

    surface: str
    model: str
    position: int


def shelf_click_of(*, shelf: str | None, model: str | None, position: str | None) -> ShelfClick | None:
    """The shelf click a product page's link carries (`?shelf=&m=&pos=`, written by a shelf), or None when it carries
    none or something no shelf wrote (a hand-edited link records the view only)."""
    if shelf not in SHELF_SURFACES or not model_label_valid(model or ""):
        return None
    if not position or not position.isdigit() or not 1 <= int(position) <= MAX_POSITION:
        return None
    return ShelfClick(surface=shelf, model=model, position=int(position))  # type: ignore[arg-type]


def shelf_click_event(*, shopper: str, merchant_id: int, product_id: int, click: ShelfClick) -> Event:
    return product_event(
        EventKind.SHELF_CLICK,
        shopper=shopper,
        merchant_id=merchant_id,
        product_id=product_id,
        position=click.position,
        context=f"r:{click.model}",
        surface=click.surface,
    )


def shelf_impressions_record(*, shopper: str, surface: str, model: str, shown: Iterable[tuple[int, int]]) -> int:
    """The products a recommendations shelf showed, `shown` in order as (merchant_id, product_id): one impression
    each at its position, context `r:<model>`, in one Redis round trip. Returns how many were queued."""
    at = timezone.now().isoformat()
    events = [
        product_event(
            EventKind.IMPRESSION,
            shopper=shopper,
            merchant_id=merchant_id,
            product_id=product_id,
            position=position,
            context=f"r:{model}",
            surface=surface,
            at=at,
        )
        for position, (merchant_id, product_id) in enumerate(shown, start=1)
    ]
    return len(events) if behaviour_record_many(events) else 0


@dataclass(frozen=True)
class Shown:
    """A result as listed: its product, and its place in the whole list (1 for the first of the first page)."""

    merchant_id: int
    product_id: int
    position: int


def search_impressions_record(*, shopper: str, shown: Iterable[Shown], context: str, surface: str) -> int:
    """The products a page of results showed, one impression per product at its first position, in one round trip
    (never one call per result). Returns how many impressions were queued (0 if Redis did not take them)."""
    first: dict[tuple[int, int], int] = {}
    for result in shown:
        key = (result.merchant_id, result.product_id)
        if key not in first or result.position < first[key]:
            first[key] = result.position
    at = timezone.now().isoformat()  # one moment for the page
    events = [
        product_event(
            EventKind.IMPRESSION,
            shopper=shopper,
            merchant_id=merchant_id,
            product_id=product_id,
            position=min(position, MAX_POSITION),
            context=context,
            surface=surface,
            at=at,
        )
        for (merchant_id, product_id), position in first.items()
    ]
    return len(events) if behaviour_record_many(events) else 0


def add_to_cart_record(*, shopper: str, merchant_id: int, product_id: int, surface: str = "") -> bool:
    """A product went into the shopper's cart (from any surface: the cart API, a product page, a reel)."""
    event = product_event(
        EventKind.ADD_TO_CART, shopper=shopper, merchant_id=merchant_id, product_id=product_id, surface=surface
    )
    return behaviour_record_many([event])


def purchases_record(*, shopper: str, merchant_id: int, product_ids: Iterable[int]) -> int:
    """A shop's part of a placed order: one purchase per product it holds (two variants of one product are one
    item, bought once), all at one moment: the basket recommendations learn "bought together" from. Returns how
    many were queued."""
    at = timezone.now().isoformat()
    events = [
        product_event(
            EventKind.PURCHASE, shopper=shopper, merchant_id=merchant_id, product_id=p, surface=Surface.CHECKOUT, at=at
        )
        for p in sorted(set(product_ids))
    ]
    return len(events) if behaviour_record_many(events) else 0
