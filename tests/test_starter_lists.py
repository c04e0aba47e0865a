"""The starter lists ship as data files: each matches a root category of the platform's taxonomy (the demo seeds the
same one), names 30-60 items, each in a leaf category under that root, with keys that make valid, unique SKUs."""

from __future__ import annotations

from demo.data import CATEGORIES
from tenant_apps.catalog.services import SKU_PATTERN
from tenant_apps.catalog.starter import starter_lists


def test_every_starter_list_matches_a_root_category_and_its_leaves():
    roots = {c.slug for c in CATEGORIES if c.parent is None}
    leaves = {c.slug: c.parent for c in CATEGORIES if c.parent is not None}
    lists = starter_lists()
    assert set(lists) == roots
    for slug, starter in lists.items():
        assert 30 <= len(starter.items) <= 60, slug
        assert len({item.key for item in starter.items}) == len(starter.items), slug
        for item in starter.items:
            assert leaves.get(item.category) == slug, f"{slug}/{item.key}: {item.category} is not a leaf of {slug}"
            assert item.name.strip() and item.variants, f"{slug}/{item.key}"
            assert len({v.key for v in item.variants}) == len(item.variants), f"{slug}/{item.key}"
        for row in starter.rows:
            assert SKU_PATTERN.match(row.sku) and len(row.sku) <= 56, row.sku  # room for "-<store id>"
    skus = [row.sku for starter in lists.values() for row in starter.rows]
    assert len(skus) == len(set(skus)), "two lists would make the same SKU"
