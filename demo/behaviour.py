"""The demo neighbourhood's shopping, generated: who would buy what from the seeded shops, for offline evaluation.

The demo seeds shops and catalogs but no behaviour; recommendations are evaluated on this log instead. Items are
the demo's products (a product's branches and variants are one item), tastes are shops: a shopper keeps going
back to the few shops near them, a basket is one shop's order, and staples (milk, bread, rice) are bought again.
Pure values, like `demo/data.py`: the same rows on every run.
"""

from __future__ import annotations

from django.utils.text import slugify

from demo.data import MERCHANTS, products_for
from shared_apps.recommendations.synthetic import BehaviourShape, CatalogItem

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
