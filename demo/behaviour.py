"""The demo neighbourhood's shopping, generated: who would buy what from the seeded shops.

Items are the demo's products (a product's branches and variants are one item), tastes are shops: a shopper keeps
going back to the few shops near them, a basket is one shop's order, and staples (milk, bread, rice) are bought
again. The log itself is pure values, like `demo/data.py`: the same rows on every run. Offline evaluation reads it as
a CSV (`demo_behaviour`); `seed_demo` records a smaller one as behaviour events (`demo_history_record`: a view then
a purchase per basket item, by demo guests, over the last weeks) and trains on it, so the demo has recommendations.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from django.utils.text import slugify

from demo.data import MERCHANTS, products_for
from marketplace.listings.models import Listing
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Subject, Surface
from shared_apps.recommendations.synthetic import BehaviourShape, CatalogItem, behaviour_generate

DEMO_BEHAVIOUR = BehaviourShape(
    interactions=20_000,
    shoppers=2_000,
    tastes=3,  # the shops within reach
    taste_focus=0.9,  # most orders go to them
    basket_mean=4.0,  # an order holds a few products
    companion_share=0.5,
    repeat_share=0.35,  # staples come back every week
)


def demo_catalog() -> tuple[CatalogItem, ...]:
    """Every product of every demo shop, as `shop-slug/product-slug`, grouped by shop."""
    return tuple(
        CatalogItem(f"{spec.slug}/{slugify(product.name)}", spec.slug)
        for spec in MERCHANTS
        for product in products_for(spec)
    )


DEMO_HISTORY = dataclasses.replace(DEMO_BEHAVIOUR, interactions=8_000, shoppers=800)  # a month, recorded in ~1 s
DEMO_SHOPPER = "g:demo-"  # guests nobody holds the token of: the demo's history is nobody's
VIEW_BEFORE_SECONDS = 300  # a product's page was opened a few minutes before it was bought


def demo_history_record(*, now: datetime) -> int:
    """Record the generated history (DEMO_HISTORY) as behaviour events ending an hour before `now`, once: does
    nothing when the demo's shoppers already have events. Products are found through the listing index by their
    shop and name; returns how many events were written."""
    if BehaviourEvent.objects.filter(shopper__startswith=DEMO_SHOPPER).exists():
        return 0
    products = {
        f"{slug}/{slugify(title)}": (merchant_id, product_id)
        for merchant_id, slug, title, product_id in Listing.objects.values_list(
            "merchant_id", "merchant_slug", "title", "product_id"
        ).distinct()
    }
    rows = [row for row in behaviour_generate(shape=DEMO_HISTORY, catalog=demo_catalog()) if row[1] in products]
    if not rows:
        return 0
    shift = now.timestamp() - 3600 - rows[-1][2]
    events = []
    for shopper, item, moment in rows:
        merchant_id, product_id = products[item]
        at = datetime.fromtimestamp(moment + shift, UTC)
        common = {"subject": Subject.PRODUCT, "merchant_id": merchant_id, "subject_id": product_id,
                  "product_id": product_id, "shopper": f"{DEMO_SHOPPER}{shopper}"}  # fmt: skip
        events.append(BehaviourEvent(**common, kind=EventKind.VIEW, surface=Surface.PRODUCT,
                                     at=datetime.fromtimestamp(moment + shift - VIEW_BEFORE_SECONDS, UTC)))  # fmt: skip
        events.append(BehaviourEvent(**common, kind=EventKind.PURCHASE, surface=Surface.CHECKOUT, at=at))
    BehaviourEvent.objects.bulk_create(events, batch_size=5000)
    return len(events)
