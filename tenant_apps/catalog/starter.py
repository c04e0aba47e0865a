"""Starter lists: the common items of a kind of shop, to tick and price instead of typing products one by one.

The lists are versioned data files, `starter_lists/<slug>.json`, one per root category of the platform's taxonomy
(shared_apps/categories; the demo seeds the same slugs): grocery, pharmacy, bakery, electronics. Each item is a
product with a suggested name, its leaf category's slug and one or more variants (units, pack sizes); a row of the
page is one variant of one item, named "<item>/<variant>" (`olpers-milk/1l`). Edit a list by editing its file and
raising its `version`; `tests` check every file against the taxonomy.

Adding is idempotent. A product made from an item remembers it (`Product.starter_key` = "<list>/<item>", unique per
store) and a variant's SKU is derived from the item and the variant (`OLPERS-MILK-1L`), so the same pick again — a
re-submit, a double click, a second tab — finds what the first made and adds nothing. Twins that run at once are
serialised by a transaction-level advisory lock on the store: the second waits for the first to commit, then finds
its products. Everything goes through the catalog and inventory services, so the outbox publishes the listings.

| a picked row whose ...                                  | is                                             |
|---------------------------------------------------------|------------------------------------------------|
| item was never added to this store                      | a new product (active) with the picked variants |
| item was added, this variant not                        | a new variant of that product                   |
| item and variant were added                             | left alone: reported as already in the catalog  |
| name is taken by another product (made by hand)         | left alone: reported, priced on its own page    |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.db import connection, transaction
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shared_apps.categories.models import Category
from tenant_apps.catalog.errors import CatalogError, CatalogErrorCode
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.catalog.services import VariantSpec, money, product_create, variant_create
from tenant_apps.inventory.services import stock_receive
from tenant_apps.staff.services import audit_write
from tenant_apps.stores.models import Branch, Store

LISTS_DIR = Path(__file__).resolve().parent / "starter_lists"
MAX_OPENING_STOCK = 100_000  # units one row may bring in: a typo (an extra zero or two) beyond it is refused


@dataclass(frozen=True)
class StarterVariant:
    key: str
    name: str


@dataclass(frozen=True)
class StarterItem:
    key: str
    name: str
    category: str  # a leaf category's slug
    variants: tuple[StarterVariant, ...]


@dataclass(frozen=True)
class StarterRow:
    """One line of the page: one variant of one item."""

    key: str  # "<item>/<variant>"
    item: StarterItem
    variant: StarterVariant

    @property
    def sku(self) -> str:
        return f"{self.item.key}-{self.variant.key}".upper()[:64]


@dataclass(frozen=True)
class StarterList:
    slug: str
    title: str
    description: str
    version: int
    position: int  # where the page offers it among the lists
    items: tuple[StarterItem, ...]

    @property
    def rows(self) -> list[StarterRow]:
        return [StarterRow(f"{i.key}/{v.key}", i, v) for i in self.items for v in i.variants]


def _load(path: Path) -> StarterList:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = tuple(
        StarterItem(
            key=item["key"],
            name=item["name"],
            category=item["category"],
            variants=tuple(StarterVariant(v["key"], v["name"]) for v in item["variants"]),
        )
        for item in data["items"]
    )
    return StarterList(
        data["list"], data["title"], data.get("description", ""), int(data["version"]), int(data["position"]), items
    )


@cache
def starter_lists() -> dict[str, StarterList]:
    """Every list, by slug in the page's order, read once per process (the files ship with the code)."""
    lists = sorted((_load(path) for path in LISTS_DIR.glob("*.json")), key=lambda s: (s.position, s.slug))
    return {starter.slug: starter for starter in lists}


def starter_list(slug: str) -> StarterList:
    """The list of that slug, or STARTER_LIST_UNKNOWN (404)."""
    starter = starter_lists().get(slug)
    if starter is None:
        raise CatalogError(CatalogErrorCode.STARTER_LIST_UNKNOWN, field="list")
    return starter


@dataclass(frozen=True)
class StarterPick:
    """A ticked row as typed: its price and, per branch id, its opening stock ("" for none)."""

    row: str
    price: str
    stock: dict[int, str] = field(default_factory=dict)


class StarterPicksInvalid(CatalogError):
    """STARTER_PICKS_INVALID with a message per input (`price:<row>`, `stock:<row>:<branch id>`): nothing added."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(CatalogErrorCode.STARTER_PICKS_INVALID)
        self.problems = problems


@dataclass
class StarterReport:
    products_created: list[str] = field(default_factory=list)  # names
    variants_created: int = 0
    already_there: list[str] = field(default_factory=list)  # row keys left alone
    name_taken: list[str] = field(default_factory=list)  # row keys whose name a hand-made product holds
    stock_rows: int = 0  # (variant, branch) levels given opening stock


@dataclass(frozen=True)
class _Checked:
    row: StarterRow
    price: object  # Decimal
    stock: dict[int, int]


def _units(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return 0
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_OPENING_STOCK:
        return None
    return int(text)


def _checked(starter: StarterList, picks: list[StarterPick], branch_ids: set[int]) -> list[_Checked]:
    """Every pick checked on its own; all problems at once (StarterPicksInvalid), so nothing typed is lost."""
    if not picks:
        raise CatalogError(CatalogErrorCode.STARTER_NOTHING_PICKED, field="pick")
    rows = {row.key: row for row in starter.rows}
    problems: dict[str, str] = {}
    checked: list[_Checked] = []
    seen: set[str] = set()
    for pick in picks:
        row = rows.get(pick.row)
        if row is None or pick.row in seen:
            problems[f"pick:{pick.row}"] = _("This item is not on the list.")
            continue
        seen.add(pick.row)
        price = None
        if not pick.price.strip():
            problems[f"price:{pick.row}"] = _("Type the price you sell it at, e.g. 320.")
        else:
            try:
                price = money(pick.price.strip().replace(",", ""))
            except CatalogError:
                problems[f"price:{pick.row}"] = _("“%(typed)s” is not a price: digits and at most 2 decimals.") % {
                    "typed": pick.price.strip()
                }
        stock: dict[int, int] = {}
        for branch_id, typed in pick.stock.items():
            units = _units(typed)
            if branch_id not in branch_ids:
                problems[f"stock:{pick.row}:{branch_id}"] = _("This branch is not one you manage.")
            elif units is None:
                problems[f"stock:{pick.row}:{branch_id}"] = _(
                    "Units are a whole number, zero or more (at most %(max)s)."
                ) % {"max": number_format(MAX_OPENING_STOCK, force_grouping=True)}
            elif units:
                stock[branch_id] = units
        if price is not None and not any(key.startswith(f"stock:{pick.row}:") for key in problems):
            checked.append(_Checked(row, price, stock))
    if problems:
        raise StarterPicksInvalid(problems)
    return checked


def _store_lock(store_id: int) -> None:
    """Twins of one store's starter import queue here until the first commits (keyed by schema: ids repeat)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('catalog.starter:' || current_schema()), %s)", [store_id])


def starter_items_add(
    *,
    store: Store,
    list_slug: str,
    picks: list[StarterPick],
    branches: list[Branch],
    actor_user_id: int | None,
) -> StarterReport:
    """Add the picked rows of a starter list to `store` as active products with their prices, and their opening
    stock at `branches` (the store's branches the caller may stock; the caller checked its permissions), in one
    transaction, audited. Idempotent per row (module docstring). Raises STARTER_LIST_UNKNOWN,
    STARTER_NOTHING_PICKED, StarterPicksInvalid (a message per input; nothing added)."""
    starter = starter_list(list_slug)
    branches = [b for b in branches if b.store_id == store.pk]
    checked = _checked(starter, picks, {b.pk for b in branches})
    report = StarterReport()
    by_item: dict[str, list[_Checked]] = {}
    for pick in checked:
        by_item.setdefault(pick.row.item.key, []).append(pick)
    categories = dict(
        Category.objects.filter(slug__in={p.row.item.category for p in checked}, is_active=True).values_list(
            "slug", "pk"
        )
    )
    with transaction.atomic():
        _store_lock(store.pk)
        keys = {f"{starter.slug}/{item}": item for item in by_item}
        added = {p.starter_key: p for p in Product.objects.filter(store=store, starter_key__in=keys)}
        stems = [p.row.sku for p in checked]
        taken = dict(
            Variant.objects.filter(sku__in=stems + [f"{s}-{store.pk}"[:64] for s in stems]).values_list(
                "sku", "product_id"
            )
        )
        names = {slugify(group[0].row.item.name)[:220] for group in by_item.values()}
        # products of these names that are not this list's items: made by hand, or from another list
        others = Product.objects.filter(store=store, slug__in=names).exclude(starter_key__in=keys)
        hand_made = set(others.values_list("slug", flat=True))
        created: list[tuple[_Checked, int]] = []  # (pick, variant id)
        for item_key, group in by_item.items():
            item = group[0].row.item
            product = added.get(f"{starter.slug}/{item_key}")
            fresh: list[tuple[_Checked, str]] = []
            for pick in group:
                stem = pick.row.sku
                own = f"{stem}-{store.pk}"[:64]
                if product is not None and (taken.get(stem) == product.pk or taken.get(own) == product.pk):
                    report.already_there.append(pick.row.key)
                else:
                    fresh.append((pick, own if stem in taken else stem))  # a sibling store holds the plain SKU
            if not fresh:
                continue
            if product is None and slugify(item.name)[:220] in hand_made:
                report.name_taken += [pick.row.key for pick, _sku in fresh]
                continue
            specs = [VariantSpec(sku=sku, price=pick.price, name=pick.row.variant.name) for pick, sku in fresh]
            if product is None:
                product = product_create(
                    store_id=store.pk,
                    name=item.name,
                    variants=specs,
                    category_id=categories.get(item.category),
                    status=ProductStatus.ACTIVE,
                    starter_key=f"{starter.slug}/{item.key}",
                )
                report.products_created.append(product.name)
                variant_ids = dict(product.variants.values_list("sku", "pk"))
            else:
                variant_ids = {spec.sku: variant_create(product=product, spec=spec).pk for spec in specs}
            report.variants_created += len(specs)
            created += [(pick, variant_ids[sku]) for pick, sku in fresh]
        for pick, variant_id in created:
            for branch_id, units in sorted(pick.stock.items()):
                stock_receive(
                    branch_id=branch_id,
                    variant_id=variant_id,
                    quantity=units,
                    actor_id=actor_user_id,
                    note=_("Opening stock"),
                    reference=f"starter:{starter.slug}",
                )
                report.stock_rows += 1
        if report.variants_created:
            audit_write(
                actor_user_id=actor_user_id,
                action="catalog.starter_added",
                target=store,
                store_id=store.pk,
                list=starter.slug,
                version=starter.version,
                products=report.products_created,
                variants=report.variants_created,
                stock_rows=report.stock_rows,
            )
    return report


def starter_rows_added(*, store: Store, starter: StarterList) -> set[str]:
    """The rows of `starter` already in the store's catalog (one query), for the page to show them as done."""
    skus = set(
        Variant.objects.filter(product__store=store, product__starter_key__startswith=f"{starter.slug}/").values_list(
            "sku", flat=True
        )
    )
    return {row.key for row in starter.rows if row.sku in skus or f"{row.sku}-{store.pk}"[:64] in skus}
