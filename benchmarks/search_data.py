"""Search benchmark, the data: 1,000,000 listings of 1,000 merchants around seven Pakistani cities, generated
straight into the public index (search reads nothing else).

What is drawn, and how: merchants' cities by share of population and their branches clustered around markets (dense
centres, a spread town, sparse outskirts); each merchant's kind (grocery, pharmacy, ...) picks the category roots it
sells from; within a leaf, nouns and real brands follow Zipf, with a long tail of synthetic brands (the rare words);
catalogue sizes are log-normal (a median of a few hundred variants, a few chains with thousands) and sum exactly to
`--listings` = variants x branches. Everything comes from one seeded generator, so a seed always makes the same data.

How it is loaded: the categories and merchants through the ORM (public rows only, no tenant schemas); branches
(BranchListing) and variants with COPY; a tsvector per variant with the sync's own expression; listings = variant x
branch in one INSERT ... SELECT with the index's indexes dropped and rebuilt after, as the migrations define them; the
search vocabulary refreshed, VACUUM ANALYZE and a CHECKPOINT. The meta (document frequencies, vocabulary, timings)
goes to META_TABLE, so `--reuse` can measure a kept database without generating it again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

META_TABLE = "bench_search_meta"

# ---------------------------------------------------------------------------------------------------------------
# Where: cities, their dense centres and the sparse outskirts
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    weight: float  # share of merchants (and of customers)
    lat: float
    lng: float
    sigma_km: float  # spread of the city around its centre
    centres: tuple[tuple[str, float, float], ...]  # markets where shops cluster


def _cities() -> tuple[City, ...]:
    rows = json.loads((Path(__file__).parent / "data" / "cities.json").read_text())
    return tuple(
        City(
            name=row["name"],
            weight=row["weight"],
            lat=row["lat"],
            lng=row["lng"],
            sigma_km=row["sigma_km"],
            centres=tuple((c["name"], c["lat"], c["lng"]) for c in row["centres"]),
        )
        for row in rows
    )


CITIES = _cities()  # seven cities with their weights, spreads and markets (benchmarks/data/cities.json)


def offset_km(lat: float, lng: float, dx_km: float, dy_km: float) -> tuple[float, float]:
    return lat + dy_km / 110.574, lng + dx_km / (111.320 * math.cos(math.radians(lat)))


def place(rng: random.Random, city: City, *, centre: float, town: float) -> tuple[float, float, str]:
    """A point of `city`: P(centre) around one market (sigma 1.2 km), P(town) spread over the city, else the
    outskirts (8-25 km out). Returns (lat, lng, area name)."""
    u = rng.random()
    if u < centre:
        name, lat, lng = rng.choice(city.centres)
        lat, lng = offset_km(lat, lng, rng.gauss(0, 1.2), rng.gauss(0, 1.2))
        return lat, lng, name
    if u < centre + town:
        lat, lng = offset_km(city.lat, city.lng, rng.gauss(0, city.sigma_km), rng.gauss(0, city.sigma_km))
        return lat, lng, f"{city.name} town"
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(8, 25)
    lat, lng = offset_km(city.lat, city.lng, dist * math.cos(angle), dist * math.sin(angle))
    return lat, lng, f"{city.name} outskirts"


# ---------------------------------------------------------------------------------------------------------------
# What: categories, nouns (Zipf within a leaf), brands (real heads, a long synthetic tail), sizes
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    nouns: tuple[str, ...]  # most sold first
    brands: tuple[str, ...]
    sizes: tuple[str, ...]
    price: float  # median PKR
    flavours: tuple[str, ...] = ()


def _catalogue() -> tuple[dict[str, Leaf], tuple[tuple[str, str, str | None], ...], dict[str, Any]]:
    data = json.loads((Path(__file__).parent / "data" / "catalogue.json").read_text())
    sizes = {name: tuple(values) for name, values in data["sizes"].items()}
    leaves = {
        slug: Leaf(
            nouns=tuple(leaf["nouns"]),
            brands=tuple(leaf["brands"]),
            sizes=sizes[leaf["sizes"]],
            price=leaf["price"],
            flavours=tuple(leaf.get("flavours", ())),
        )
        for slug, leaf in data["leaves"].items()
    }
    extra = tuple((slug, name, parent) for slug, name, parent in data["extra_categories"])
    kinds = {kind: (k["share"], k["roots"], tuple(k["names"])) for kind, k in data["kinds"].items()}
    return leaves, extra, kinds


# Per leaf category: nouns, brands, sizes (weights, volumes, packs, doses...), median price; the demo's four roots
# (tenants/demo_data.CATEGORIES) plus four more, five leaves each; kinds of shop: share of merchants, the roots they
# sell from (weights), names. All in benchmarks/data/catalogue.json.
LEAVES, EXTRA_CATEGORIES, KINDS = _catalogue()
SHOP_WORDS = (
    "Al-Madina",
    "Bismillah",
    "Rehmat",
    "Al-Noor",
    "Shifa",
    "Care Plus",
    "Sehat",
    "Khalis",
    "Taza",
    "Kisan",
    "Butt",
    "Crust",
    "Digital",
    "Techno",
    "Star",
    "City",
    "Royal",
    "Friends",
    "Faisal",
    "Hamza",
    "Ali",
    "Usman",
    "Zam Zam",
    "Al-Fatah",
    "Imtiaz",
    "Chase",
    "Metro",
    "Punjab",
    "Sindh",
    "Frontier",
    "Capital",
    "Pak",
    "New",
    "Green",
    "Sunrise",
    "Moon",
    "Galaxy",
    "Prime",
    "Smart",
    "Family",
    "Awami",
    "Haji",
    "Janjua",
    "Qureshi",
)
MODIFIERS = (
    "fresh",
    "premium",
    "classic",
    "super",
    "extra",
    "original",
    "family",
    "desi",
    "organic",
    "imported",
    "special",
    "natural",
    "pure",
    "gold",
    "ultra",
    "mini",
    "jumbo",
    "lite",
    "deluxe",
    "instant",
    "crispy",
    "soft",
    "smart",
    "pro",
    "eco",
    "wireless",
    "handmade",
    "vintage",
)
TAGS = ("halal", "organic", "imported", "local", "sugar free", "gluten free", "bestseller", "new", "eco friendly")
DESCRIPTION_TAILS = (
    "for everyday use.",
    "delivered fresh daily.",
    "at the best price in town.",
    "with one year warranty.",
    "imported quality.",
    "made in Pakistan.",
    "value pack for the whole family.",
    "a customer favourite.",
    "sourced from trusted suppliers.",
    "limited stock, order today.",
)
_SYLLABLES = (
    "al",
    "zar",
    "mah",
    "noor",
    "pak",
    "shah",
    "ra",
    "bel",
    "ki",
    "zen",
    "ta",
    "mir",
    "lo",
    "vi",
    "sa",
    "ha",
    "qa",
    "fi",
    "da",
    "ro",
    "nu",
    "ga",
    "ze",
    "ban",
    "dor",
    "kar",
    "lan",
    "mon",
    "tex",
    "vo",
    "zu",
    "ya",
    "rim",
    "jo",
    "sti",
    "kel",
    "om",
    "pri",
    "vex",
    "tul",
)
SYNTHETIC_BRANDS = 4000
STOPWORDS = {"of", "and", "the", "for", "with", "a", "in", "to", "s", "j"}


def zipf_cum(n: int, s: float = 1.0) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cum.append(total)
    return cum


def synthetic_brands(rng: random.Random, n: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < n:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3))))
        if 5 <= len(word) <= 10:
            names[word.capitalize()] = None
    return list(names)


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS]


def money(value: float) -> Decimal:
    return Decimal(str(max(value, 1.0))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class ShopSpec:
    id: int = 0
    slug: str = ""
    name: str = ""
    kind: str = ""
    city: City = CITIES[0]
    branches: int = 1
    variants: int = 0


def catalogue_sizes(rng: random.Random, n_merchants: int, n_listings: int) -> tuple[list[int], list[int]]:
    """Branches (1-3, chains are the big catalogues) and variants per merchant so that sum(variants x branches)
    is `n_listings`: log-normal catalogue sizes, median a few hundred, a few merchants with several thousand."""
    raw = [rng.lognormvariate(0, 1.0) for _ in range(n_merchants)]
    order = sorted(range(n_merchants), key=lambda i: raw[i])
    branches = [1] * n_merchants
    for rank, i in enumerate(order):  # bigger catalogue, more branches
        q = rank / max(1, n_merchants - 1)
        branches[i] = rng.choices((1, 2, 3), weights=(0.75 - 0.5 * q, 0.2 + 0.2 * q, 0.05 + 0.3 * q))[0]
    scale = n_listings / sum(r * b for r, b in zip(raw, branches, strict=True))
    variants = [max(10, min(9000, round(r * scale))) for r in raw]
    for _ in range(50):  # clamping moved the total: rescale the unclamped ones
        total = sum(v * b for v, b in zip(variants, branches, strict=True))
        if abs(total - n_listings) < n_merchants:
            break
        free = [i for i in range(n_merchants) if 10 < variants[i] < 9000]
        free_total = sum(variants[i] * branches[i] for i in free)
        factor = (n_listings - (total - free_total)) / max(1, free_total)
        for i in free:
            variants[i] = max(10, min(9000, round(variants[i] * factor)))
    diff = n_listings - sum(v * b for v, b in zip(variants, branches, strict=True))
    singles = sorted((i for i in range(n_merchants) if branches[i] == 1), key=lambda i: -variants[i])
    for k in range(abs(diff)):  # exact total: one variant more or less at single-branch merchants
        i = singles[k % len(singles)]
        variants[i] += 1 if diff > 0 else -1
    return branches, variants


@dataclass(frozen=True)
class Taxonomy:
    """The categories created: the demo's tree plus EXTRA_CATEGORIES."""

    ids: dict[str, int]  # slug -> pk
    parents: dict[str, str | None]
    names: dict[str, str]
    leaves_by_root: dict[str, list[str]]


@dataclass
class Catalogue:
    """The variants drawn (rows for COPY) and what the query mix needs to know about their titles."""

    rows: list[tuple] = field(default_factory=list)
    word_df: Counter[str] = field(default_factory=Counter)  # listings whose title holds the word
    pair_df: Counter[str] = field(default_factory=Counter)  # adjacent title word pairs
    noun_words: set[str] = field(default_factory=set)
    brand_words: set[str] = field(default_factory=set)


def generate(args: argparse.Namespace, timings: dict[str, float]) -> dict[str, Any]:
    """Fill the bench database; returns the meta (vocabulary, counts) also stored in META_TABLE."""
    from django.db import connection  # Django is set up by the script before it generates

    rng = random.Random(f"planckly-search-bench:{args.seed}")
    started = time.perf_counter()
    taxonomy = categories_create()
    shops = shops_create(rng, args.merchants, args.listings)
    branch_rows = branch_rows_draw(rng, shops)
    timings["merchants, branches, categories (ORM + COPY)"] = time.perf_counter() - started
    started = time.perf_counter()
    catalogue = catalogue_draw(rng, shops, taxonomy)
    timings["products and variants (Python)"] = time.perf_counter() - started
    listings_load(branch_rows, catalogue.rows, timings)
    index_analyze(timings)

    meta = {
        "seed": args.seed,
        "listings": args.listings,
        "merchants": args.merchants,
        "branches": len(branch_rows),
        "variants": sum(s.variants for s in shops),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings": timings,
        "word_df": dict(catalogue.word_df),
        "pair_df": {k: v for k, v in catalogue.pair_df.items() if v >= 50},
        "nouns": sorted(catalogue.noun_words),
        "brands": sorted(catalogue.brand_words),
        "modifiers": [m.lower() for m in MODIFIERS],
        "categories": {slug: {"parent": taxonomy.parents[slug], "name": taxonomy.names[slug]} for slug in taxonomy.ids},
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute(f"INSERT INTO {META_TABLE} VALUES ('meta', %s::jsonb)", [json.dumps(meta)])
    return meta


def categories_create() -> Taxonomy:
    # Django is set up by the script before it generates.
    from demo import data as demo_data
    from shared_apps.categories.models import Category

    specs = [(c.slug, c.name, c.parent) for c in demo_data.CATEGORIES] + list(EXTRA_CATEGORIES)
    ids: dict[str, int] = {}
    for position, (slug, name, parent) in enumerate(specs):
        ids[slug] = Category.objects.create(
            slug=slug, name=name, parent_id=ids[parent] if parent else None, position=position
        ).pk
    parents = {slug: parent for slug, _, parent in specs}
    names = {slug: name for slug, name, _ in specs}
    leaves_by_root: dict[str, list[str]] = defaultdict(list)
    for slug, _, parent in specs:
        if parent:
            leaves_by_root[parent].append(slug)
    missing = [leaf for leaves in leaves_by_root.values() for leaf in leaves if leaf not in LEAVES]
    assert not missing, f"no vocabulary for {missing}"
    return Taxonomy(ids, parents, names, dict(leaves_by_root))


def shops_create(rng: random.Random, n_merchants: int, n_listings: int) -> list[ShopSpec]:
    """The merchants: kind, city, name, branches and catalogue size drawn, their public rows created."""
    from tenants.models import Merchant  # Django is set up by the script before it generates

    branches_n, variants_n = catalogue_sizes(rng, n_merchants, n_listings)
    kinds = list(KINDS)
    kind_cum = list(cumulative([KINDS[k][0] for k in kinds]))
    city_cum = list(cumulative([c.weight for c in CITIES]))
    shops: list[ShopSpec] = []
    used_names: Counter[str] = Counter()
    for i in range(n_merchants):
        kind = rng.choices(kinds, cum_weights=kind_cum)[0]
        city = rng.choices(CITIES, cum_weights=city_cum)[0]
        name = f"{rng.choice(SHOP_WORDS)} {rng.choice(KINDS[kind][2])}"
        used_names[name] += 1
        if used_names[name] > 1:
            name = f"{name} {city.name}" if used_names[name] == 2 else f"{name} {used_names[name]}"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:33].strip("-") + f"-{i + 1:04d}"
        shops.append(
            ShopSpec(slug=slug, name=name, kind=kind, city=city, branches=branches_n[i], variants=variants_n[i])
        )
    merchants = Merchant.objects.bulk_create(
        Merchant(
            name=s.name, slug=s.slug, schema_name="m_" + s.slug.replace("-", "_"), status="active", area=s.city.name
        )
        for s in shops
    )
    for shop, merchant in zip(shops, merchants, strict=True):
        shop.id = merchant.pk
    return shops


def branch_rows_draw(rng: random.Random, shops: list[ShopSpec]) -> list[tuple]:
    """BranchListing rows (COPY order) of every shop's branches: mostly in the shop's city, around its markets."""
    from marketplace.discovery.geo import cells_of  # Django is set up by the script before it generates

    city_cum = list(cumulative([c.weight for c in CITIES]))
    branch_rows = []
    for shop in shops:
        for b in range(1, shop.branches + 1):
            city = shop.city if b == 1 or rng.random() < 0.85 else rng.choices(CITIES, cum_weights=city_cum)[0]
            lat, lng, area = place(rng, city, centre=0.70, town=0.22)
            delivery = rng.random() < 0.60
            cells = cells_of(lat, lng)
            branch_rows.append(
                (
                    shop.id,
                    b,
                    shop.id * 10,
                    shop.slug,
                    shop.name,
                    "main",
                    f"{shop.name}: {shop.kind} in {city.name}.",
                    area,
                    f"Shop {rng.randint(1, 60)}, {area}, {city.name}",
                    area,
                    city.name,
                    f"+92{rng.randint(2100000000, 9199999999)}",
                    lat,
                    lng,
                    cells["h3_r6"],
                    cells["h3_r7"],
                    cells["h3_r8"],
                    "{}",
                    "{}",
                    rng.random() < 0.95 or not delivery,
                    delivery,
                    delivery and rng.random() < 0.2,
                    money(rng.choice((2, 3, 4, 5, 6, 8))) if delivery else Decimal("0.00"),
                    money(rng.choice((0, 50, 100, 150))) if delivery else Decimal("0.00"),
                    money(rng.choice((0, 500, 1000))) if delivery else Decimal("0.00"),
                    "PKR",
                    1,
                    datetime.now(UTC),
                )
            )
    return branch_rows


def catalogue_draw(rng: random.Random, shops: list[ShopSpec], taxonomy: Taxonomy) -> Catalogue:
    """Every shop's products and their variants (sizes of the leaf), titles from brand, modifier, flavour and noun."""
    leaves_by_root, ids = taxonomy.leaves_by_root, taxonomy.ids
    catalogue = Catalogue()
    word_df, pair_df = catalogue.word_df, catalogue.pair_df
    noun_words, brand_words, variant_rows = catalogue.noun_words, catalogue.brand_words, catalogue.rows
    brands = synthetic_brands(rng, SYNTHETIC_BRANDS)
    brand_cum = zipf_cum(len(brands), 1.05)
    noun_cum = {leaf: zipf_cum(len(spec.nouns), 1.1) for leaf, spec in LEAVES.items()}
    real_brand_cum = {leaf: zipf_cum(len(spec.brands), 1.0) for leaf, spec in LEAVES.items() if spec.brands}
    leaf_cum = {root: zipf_cum(len(leaves), 0.7) for root, leaves in leaves_by_root.items()}
    modifier_cum = zipf_cum(len(MODIFIERS), 1.0)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    for shop in shops:
        roots = list(KINDS[shop.kind][1])
        root_cum = list(cumulative([KINDS[shop.kind][1][r] for r in roots]))
        variant_id = product_id = 0
        while variant_id < shop.variants:
            product_id += 1
            root = rng.choices(roots, cum_weights=root_cum)[0]
            leaf = rng.choices(leaves_by_root[root], cum_weights=leaf_cum[root])[0]
            spec = LEAVES[leaf]
            noun = rng.choices(spec.nouns, cum_weights=noun_cum[leaf])[0]
            parts = []
            u = rng.random()
            if spec.brands and u < 0.45:
                brand = rng.choices(spec.brands, cum_weights=real_brand_cum[leaf])[0]
            elif u < 0.75:
                brand = rng.choices(brands, cum_weights=brand_cum)[0]
            else:
                brand = ""
            if brand:
                parts.append(brand)
                brand_words.update(words_of(brand))
            if rng.random() < 0.35:
                parts.append(rng.choices(MODIFIERS, cum_weights=modifier_cum)[0])
            if spec.flavours and rng.random() < 0.3:
                parts.append(rng.choice(spec.flavours))
            parts.append(noun)
            noun_words.update(words_of(noun))
            title = " ".join(p if p[0].isupper() else p.title() for p in parts)
            description = (
                f"{rng.choice(MODIFIERS).capitalize()} {noun} {rng.choice(DESCRIPTION_TAILS)}"
                if rng.random() < 0.55
                else ""
            )
            tags = rng.sample(TAGS, k=rng.choices((0, 1, 2), weights=(0.5, 0.35, 0.15))[0])
            price = rng.lognormvariate(math.log(spec.price), 0.6)
            listed_at = end - timedelta(seconds=rng.uniform(0, 365 * 86400))
            popularity = (rng.paretovariate(1.2) - 1.0) * 10 if rng.random() < 0.7 else 0.0
            image = f"bench/m{shop.id}/p{product_id}" if rng.random() < 0.85 else ""
            sizes = list(spec.sizes)
            n_variants = min(len(sizes), rng.choices((1, 2, 3, 4), weights=(0.5, 0.3, 0.15, 0.05))[0])
            n_variants = min(n_variants, shop.variants - variant_id)
            start = rng.randrange(0, len(sizes) - n_variants + 1)
            title_words = words_of(title)
            for k in range(n_variants):
                variant_id += 1
                variant_rows.append(
                    (
                        shop.id,
                        product_id,
                        variant_id,
                        title,
                        sizes[start + k],
                        description,
                        ids[leaf],
                        " ".join(tags),
                        json.dumps(tags),
                        f"{shop.slug[:12].upper()}-{variant_id}",
                        money(price * (1 + 0.8 * k)),
                        listed_at,
                        round(popularity, 3),
                        image,
                    )
                )
            listings = n_variants * shop.branches
            for w in set(title_words):
                word_df[w] += listings
            for a, b in itertools.pairwise(title_words):
                pair_df[f"{a} {b}"] += listings
    return catalogue


def listings_load(branch_rows: list[tuple], variant_rows: list[tuple], timings: dict[str, float]) -> None:
    """COPY the branches and variants, a tsvector per variant, then listings = variant x branch with the index's
    indexes and constraints dropped and rebuilt after. Empties `variant_rows` (its memory back before the INSERT)."""
    import psycopg  # the spawned processes of other scripts never load: keep the module light

    conninfo = os.environ["DATABASE_URL"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY public.listings_branchlisting (merchant_id, branch_id, store_id, merchant_slug, store_name, "
            "store_slug, store_description, branch_name, address, area, city, phone, latitude, longitude, h3_r6, "
            "h3_r7, h3_r8, opening_hours, hours_exceptions, offers_pickup, offers_delivery, offers_partner_delivery, "
            "delivery_radius_km, delivery_fee, delivery_min_order, currency, version, indexed_at) FROM STDIN"
        ) as copy:
            for row in branch_rows:
                copy.write_row(row)
        conn.execute(
            "CREATE UNLOGGED TABLE bench_stage (merchant_id bigint, product_id bigint, variant_id bigint, title text, "
            "variant_name text, description text, category_id bigint, tags_text text, tags jsonb, sku text, "
            "price numeric(12,2), listed_at timestamptz, popularity float8, image text)"
        )
        with conn.cursor().copy("COPY bench_stage FROM STDIN") as copy:
            for row in variant_rows:
                copy.write_row(row)
        timings[f"COPY {len(variant_rows):,} variants + {len(branch_rows):,} branches"] = time.perf_counter() - started
        variant_rows.clear()

        started = time.perf_counter()  # the sync's tsvector (sync.py _SOURCE), once per variant
        conn.execute(
            """CREATE UNLOGGED TABLE bench_variant AS
               SELECT s.*,
                      setweight(to_tsvector('english', s.title || ' ' || s.variant_name), 'A')
                        || setweight(to_tsvector('english', COALESCE(c.name, '') || ' ' || s.tags_text), 'B')
                        || setweight(to_tsvector('english', s.description), 'C') AS search
               FROM bench_stage s LEFT JOIN public.categories_category c ON c.id = s.category_id"""
        )
        timings["tsvector per variant (CREATE TABLE AS)"] = time.perf_counter() - started

        # Indexes and constraints are rebuilt after the load, with the definitions the migrations made.
        started = time.perf_counter()
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'public.listings_listing'::regclass AND contype IN ('u', 'f')"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'listings_listing' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'public.listings_listing'::regclass AND contype IN ('p', 'u'))"
        ).fetchall()
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE public.listings_listing DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f'DROP INDEX public."{name}"')
        # Pseudo-random per (variant, branch), stable across runs: branch price offers ~10 %, out of stock ~15 %.
        u = "((hashtextextended(v.merchant_id || ':' || v.variant_id || ':' || b.branch_id, {k}) & 2147483647)::float8 / 2147483648.0)"  # noqa: E501
        conn.execute(
            f"""INSERT INTO public.listings_listing (
                    merchant_id, branch_id, variant_id, product_id, store_id, merchant_slug, store_name, store_slug,
                    branch_name, title, variant_name, description, category_id, tags, sku, price, regular_price,
                    currency, in_stock, available, image_public_id, latitude, longitude, h3_r6, h3_r7, h3_r8,
                    offers_pickup, offers_delivery, delivery_radius_km, search, popularity, listed_at, version,
                    source_updated_at, indexed_at)
                SELECT v.merchant_id, b.branch_id, v.variant_id, v.product_id, b.store_id, b.merchant_slug,
                       b.store_name, b.store_slug, b.branch_name, v.title, v.variant_name, v.description,
                       v.category_id, v.tags, v.sku,
                       CASE WHEN {u.format(k=1)} < 0.10
                            THEN greatest(0.01, round(v.price * (0.70 + 0.25 * {u.format(k=2)})::numeric, 2))
                            ELSE v.price END,
                       v.price, 'PKR', {u.format(k=3)} >= 0.15,
                       CASE WHEN {u.format(k=3)} >= 0.15 THEN 1 + floor({u.format(k=4)} * 80)::int ELSE 0 END,
                       v.image, b.latitude, b.longitude, b.h3_r6, b.h3_r7, b.h3_r8,
                       b.offers_pickup, b.offers_delivery, b.delivery_radius_km, v.search,
                       round((v.popularity * (0.5 + {u.format(k=5)}))::numeric, 3)::float8, v.listed_at, 1,
                       v.listed_at, now()
                FROM bench_variant v
                JOIN public.listings_branchlisting b ON b.merchant_id = v.merchant_id
                ORDER BY v.merchant_id, v.variant_id, b.branch_id"""
        )
        timings["INSERT ... SELECT listings (no indexes)"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        for name, definition in constraints:
            conn.execute(f'ALTER TABLE public.listings_listing ADD CONSTRAINT "{name}" {definition}')
        timings["indexes and constraints built"] = time.perf_counter() - started
        conn.execute("DROP TABLE bench_stage, bench_variant")


def index_analyze(timings: dict[str, float]) -> None:
    """The search vocabulary refreshed, the tables analyzed, the load's dirty pages written."""
    # Django is set up by the script before it generates.
    from django.db import connection

    from marketplace.discovery.search_text import search_terms_refresh

    started = time.perf_counter()
    vocabulary = search_terms_refresh()
    timings[f"search_terms_refresh() ({vocabulary:,} lexemes)"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "listings_listing",
            "listings_branchlisting",
            "listings_searchterm",
            "categories_category",
            "tenants_merchant",
            "listings_facetcount",
            "listings_branchsummary",
        ):
            cursor.execute(f"VACUUM (ANALYZE) public.{table}")
        # The load's gigabyte of dirty pages is written now, not by the checkpointer during the first pass measured.
        cursor.execute("CHECKPOINT")
    timings["VACUUM ANALYZE, CHECKPOINT"] = time.perf_counter() - started


def cumulative(weights: list[float]) -> Iterator[float]:
    """Running sums of `weights`, for random.choices(cum_weights=...)."""
    total = 0.0
    for w in weights:
        total += w
        yield total
