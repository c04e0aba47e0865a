"""Recommendations benchmark, the data: shoppers and what they did, over the search benchmark's listings
(benchmarks/search_data.py), generated with numpy from one seed and loaded with COPY.

Who: `--users` shoppers (85 % signed-in users, 15 % guests), each living in one of the seven cities, drawn as the
search benchmark draws its customers (a market's centre, the town, the outskirts). A shopper's shops are the
branches nearest home, the nearest weighed most (1 / (1 km + distance)²): most sessions go there, a few farther.

What: sessions. A session is one shopper at one shop, about one leaf category: the shopper's taste (a Dirichlet draw
over the category roots) picks among a few of the shop's categories, then Geometric(0.2) views (mean 5) of its
products, each drawn Zipf (s = 1.1) by popularity within (shop, category); some views stray to another category of
the shop. One view in about sixteen leads to an add to cart; a session with adds becomes an order a third of the
time, whose purchases (one per added product) share the shopper and the moment `at`: views : adds : purchases come
out near 100 : 9 : 4. Restock sessions (one in eight) come back for the shopper's staples (a few popular grocery,
bakery or pharmacy products of their nearest shop) and buy them again more often than not. How often a shopper
comes is log-normal (busy and quiet shoppers). Sessions start over the last 180 whole days (Pakistan time), more at
the weekend and in the late afternoon and evening, fewer at night, slowly growing.

How it is loaded: users and guests with COPY (ids explicit), the events as fixed-width binary COPY built by numpy
(no Python per row) into an unlogged staging table, then one INSERT ... SELECT in time order into BehaviourEvent
with its indexes dropped and rebuilt after; BehaviourTotal as the drain would have summed it; ANALYZE. Each shopper's
home and event count go to SHOPPER_TABLE (the serving pass asks from there) and the meta to META_TABLE, so `--reuse`
measures a kept database without generating it again.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from benchmarks.search_data import CITIES

META_TABLE = "bench_reco_meta"
SHOPPER_TABLE = "bench_reco_shopper"
GUEST_SHARE = 0.15
DAYS = 180
NEAREST_BRANCHES = 12  # a shopper's shops: the branches nearest home
CANDIDATE_CATEGORIES = 4  # a session's category: the shopper's taste picks among this many of the shop's
STAPLES = 4
ZIPF_S = 1.1  # product popularity within (shop, category)
VIEW_STOP = 0.2  # views per session: Geometric(0.2), mean 5
STRAY = 0.15  # a view of another category of the same shop
ADD_P, ORDER_P = 0.06, 0.3
RESTOCK_SHARE, RESTOCK_ADD_P, RESTOCK_ORDER_P = 0.12, 0.6, 0.6
KINDS = ("view", "add_to_cart", "purchase")  # codes 0, 1, 2
SURFACES = ("product", "product", "checkout")  # what each kind's recording writes (behaviour/products.py)
PAKISTAN_OFFSET_S = 5 * 3600  # Asia/Karachi is UTC+5 all year
# Sessions starting in each hour of the day, Pakistan time: quiet nights, a midday bump, the evening peak.
HOURLY = (
    0.35, 0.2, 0.1, 0.06, 0.05, 0.08, 0.2, 0.45, 0.7, 0.85, 0.95, 1.0,
    1.1, 1.15, 1.0, 0.95, 1.05, 1.2, 1.4, 1.6, 1.75, 1.7, 1.3, 0.75,
)  # fmt: skip
WEEKDAY = (1.0, 0.95, 0.95, 1.0, 0.9, 1.3, 1.35)  # Monday .. Sunday: Friday prayers, busy weekends


@dataclass(frozen=True)
class Catalogue:
    """The listings' products (items), sorted by shop, then category, then popularity (best first)."""

    merchant: np.ndarray  # merchant id per item
    product: np.ndarray  # product id per item
    root: np.ndarray  # category root code per item
    group: np.ndarray  # (shop, category) group per item
    group_start: np.ndarray  # first item of each group
    group_size: np.ndarray
    shop_start: np.ndarray  # first item of each shop (shop = index into `shops`)
    shop_size: np.ndarray
    staple_start: np.ndarray  # each shop's staples: a range of `staple_items`
    staple_size: np.ndarray
    staple_items: np.ndarray
    shops: np.ndarray  # merchant ids
    roots: tuple[str, ...]


@dataclass(frozen=True)
class Shoppers:
    keys: list[str]
    lat: np.ndarray
    lng: np.ndarray
    city: np.ndarray  # index into CITIES
    home_shop: np.ndarray  # [n, NEAREST_BRANCHES] shop index of the nearest branches
    home_cum: np.ndarray  # [n, NEAREST_BRANCHES] cumulative weights (last = 1)
    taste: np.ndarray  # [n, roots]
    staples: np.ndarray  # [n, STAPLES] item index
    activity: np.ndarray  # sessions share


def generate(args: Any, timings: dict[str, float]) -> dict[str, Any]:
    """Shoppers and events into the bench database (the listings are there already); returns the meta, also stored
    in META_TABLE."""
    started = time.perf_counter()
    rng = np.random.default_rng([args.seed, 21])
    catalogue = catalogue_read()
    shoppers = shoppers_draw(rng, catalogue, args.users)
    end = window_end()
    timings[f"catalogue read, {args.users:,} shoppers drawn (numpy)"] = time.perf_counter() - started
    started = time.perf_counter()
    events = events_draw(rng, catalogue, shoppers, target=args.events, end=end)
    timings[f"{len(events['kind']):,} events drawn (numpy)"] = time.perf_counter() - started
    counts = shoppers_load(shoppers, events, timings)
    events_load(events, catalogue, start=end - timedelta(days=DAYS), timings=timings)
    totals_analyze(timings)
    kinds = np.bincount(events["kind"], minlength=len(KINDS))
    meta = {
        "seed": args.seed,
        "users": args.users,
        "events": len(events["kind"]),
        "by_kind": {k: int(n) for k, n in zip(KINDS, kinds, strict=True)},
        "items": len(catalogue.product),
        "items_seen": len(np.unique(events["item"])),
        "shoppers_with_events": int((counts > 0).sum()),
        "events_per_shopper": {
            "p50": float(np.median(counts[counts > 0])),
            "p90": float(np.percentile(counts[counts > 0], 90)),
            "max": int(counts.max()),
        },
        "window": [(end - timedelta(days=DAYS)).isoformat(), end.isoformat()],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings": list(timings.items()),  # a list: jsonb does not keep a dict's order
    }
    with _connect() as conn:
        conn.execute(f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
        conn.execute(f"INSERT INTO {META_TABLE} VALUES ('meta', %s::jsonb)", [json.dumps(meta)])
    return meta


def meta_read() -> dict[str, Any]:
    """The meta stored with a kept database, its timings as a dict in the order they were taken."""
    from django.db import connection  # Django is set up by the script before it reads

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'meta'")
        value = cursor.fetchone()[0]
    meta = json.loads(value) if isinstance(value, str) else value
    meta["timings"] = dict(meta["timings"])
    return meta


def nearest_branch_km(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest branch (km, equirectangular), in blocks of 4,000 points."""
    with _connect() as conn:
        branches = np.array(conn.execute("SELECT latitude, longitude FROM public.listings_branchlisting").fetchall())
    out = np.empty(len(lat))
    for start in range(0, len(lat), 4000):
        sl = slice(start, start + 4000)
        dx = (lng[sl, None] - branches[None, :, 1]) * 111.320 * np.cos(np.radians(lat[sl, None]))
        dy = (lat[sl, None] - branches[None, :, 0]) * 110.574
        out[sl] = np.sqrt(dx * dx + dy * dy).min(axis=1)
    return out


def window_end() -> datetime:
    """The end of the events' window: today's midnight in Pakistan time (the last 180 whole days before it)."""
    now = datetime.now(UTC)
    local_midnight = (now + timedelta(seconds=PAKISTAN_OFFSET_S)).replace(hour=0, minute=0, second=0, microsecond=0)
    return local_midnight - timedelta(seconds=PAKISTAN_OFFSET_S)


def _connect() -> Any:
    import psycopg  # the client processes of other scripts never load it: keep the module light

    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


# ---------------------------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------------------------


def catalogue_read() -> Catalogue:
    """The listings' products, one item per (merchant, product), and the branches' shops."""
    with _connect() as conn:
        rows = conn.execute(
            "SELECT l.merchant_id, l.product_id, min(l.category_id), max(l.popularity), "
            "min(coalesce(p.slug, c.slug)) FROM public.listings_listing l "
            "JOIN public.categories_category c ON c.id = l.category_id "
            "LEFT JOIN public.categories_category p ON p.id = c.parent_id GROUP BY 1, 2"
        ).fetchall()
    merchant = np.array([r[0] for r in rows], dtype=np.int64)
    product = np.array([r[1] for r in rows], dtype=np.int64)
    category = np.array([r[2] for r in rows], dtype=np.int64)
    popularity = np.array([r[3] or 0.0 for r in rows], dtype=np.float64)
    roots = tuple(sorted({r[4] for r in rows}))
    root = np.array([roots.index(r[4]) for r in rows], dtype=np.int64)
    order = np.lexsort((product, -popularity, category, merchant))
    merchant, product, category, root = merchant[order], product[order], category[order], root[order]
    popularity = popularity[order]

    shops, shop_start, shop_size = np.unique(merchant, return_index=True, return_counts=True)
    key = merchant * 1_000_000 + category
    new_group = np.r_[True, key[1:] != key[:-1]]
    group = np.cumsum(new_group) - 1
    group_start = np.flatnonzero(new_group)
    group_size = np.diff(np.r_[group_start, len(key)])

    # Staples: a shop's grocery, bakery and pharmacy products (else any), most popular first.
    staple_roots = [roots.index(r) for r in ("grocery", "bakery", "pharmacy") if r in roots]
    staple_items, staple_start, staple_size = [], [], []
    is_staple = np.isin(root, staple_roots)
    at = 0
    for s in range(len(shops)):
        items = np.arange(shop_start[s], shop_start[s] + shop_size[s])
        chosen = items[is_staple[items]]
        if len(chosen) == 0:
            chosen = items
        chosen = chosen[np.argsort(-popularity[chosen], kind="stable")]
        staple_items.append(chosen)
        staple_start.append(at)
        staple_size.append(len(chosen))
        at += len(chosen)
    return Catalogue(
        merchant=merchant,
        product=product,
        root=root,
        group=group,
        group_start=group_start,
        group_size=group_size,
        shop_start=shop_start,
        shop_size=shop_size,
        staple_start=np.array(staple_start),
        staple_size=np.array(staple_size),
        staple_items=np.concatenate(staple_items),
        shops=shops,
        roots=roots,
    )


def zipf_rank(rng: np.random.Generator, n: np.ndarray, s: float = ZIPF_S) -> np.ndarray:
    """A rank in 0..n-1 per entry of `n`, P(rank r) ≈ ∝ 1/(r+1)^s (the continuous power law's inverse CDF)."""
    u = rng.random(len(n))
    x = (((n + 1.0) ** (1.0 - s) - 1.0) * u + 1.0) ** (1.0 / (1.0 - s))
    return np.minimum(np.floor(x).astype(np.int64), n) - 1


def home_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lng, city) of `n` homes, drawn as the search benchmark's customers: 50 % around one of the city's
    markets (sigma 1.5 km), 40 % over the town (the city's sigma), 10 % in the outskirts (8-25 km out)."""
    weights = np.array([c.weight for c in CITIES])
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    lat, lng = np.empty(n), np.empty(n)
    for c, spec in enumerate(CITIES):
        at = np.flatnonzero(city == c)
        k = len(at)
        u = rng.random(k)
        centres = np.array([(la, ln) for _, la, ln in spec.centres])
        pick = centres[rng.integers(0, len(centres), k)]
        base_lat = np.where(u < 0.5, pick[:, 0], spec.lat)
        base_lng = np.where(u < 0.5, pick[:, 1], spec.lng)
        sigma = np.where(u < 0.5, 1.5, spec.sigma_km)
        dx, dy = rng.normal(0, 1, k) * sigma, rng.normal(0, 1, k) * sigma
        outskirts = u >= 0.9
        angle, dist = rng.uniform(0, 2 * math.pi, k), rng.uniform(8, 25, k)
        dx = np.where(outskirts, dist * np.cos(angle), dx)
        dy = np.where(outskirts, dist * np.sin(angle), dy)
        base_lat = np.where(outskirts, spec.lat, base_lat)
        base_lng = np.where(outskirts, spec.lng, base_lng)
        lat[at] = base_lat + dy / 110.574
        lng[at] = base_lng + dx / (111.320 * np.cos(np.radians(base_lat)))
    return lat, lng, city


def shoppers_draw(rng: np.random.Generator, catalogue: Catalogue, n: int) -> Shoppers:
    with _connect() as conn:
        branches = conn.execute(
            "SELECT merchant_id, latitude, longitude FROM public.listings_branchlisting ORDER BY merchant_id, branch_id"
        ).fetchall()
    b_shop = np.searchsorted(catalogue.shops, np.array([b[0] for b in branches]))
    b_known = np.isin(np.array([b[0] for b in branches]), catalogue.shops)
    b_lat = np.array([b[1] for b in branches])[b_known]
    b_lng = np.array([b[2] for b in branches])[b_known]
    b_shop = b_shop[b_known]
    lat, lng, city = home_points(rng, n)
    k = min(NEAREST_BRANCHES, len(b_lat))
    home_shop = np.empty((n, k), dtype=np.int64)
    home_cum = np.empty((n, k))
    for start in range(0, n, 4000):
        sl = slice(start, min(n, start + 4000))
        dx = (lng[sl, None] - b_lng[None, :]) * 111.320 * np.cos(np.radians(lat[sl, None]))
        dy = (lat[sl, None] - b_lat[None, :]) * 110.574
        dist = np.sqrt(dx * dx + dy * dy)
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(dist, nearest, axis=1)
        order = np.argsort(d, axis=1)
        nearest, d = np.take_along_axis(nearest, order, axis=1), np.take_along_axis(d, order, axis=1)
        w = 1.0 / (1.0 + d) ** 2
        home_shop[sl] = b_shop[nearest]
        home_cum[sl] = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    taste = rng.dirichlet(np.full(len(catalogue.roots), 0.5), size=n)
    primary = home_shop[:, 0]
    size = catalogue.staple_size[primary]
    ranks = np.stack([zipf_rank(rng, size, 1.2) for _ in range(STAPLES)], axis=1)
    staples = catalogue.staple_items[catalogue.staple_start[primary][:, None] + ranks]
    activity = rng.lognormal(0.0, 1.0, n)
    n_guests = round(n * GUEST_SHARE)
    n_users = n - n_guests
    guest_bytes = rng.bytes(16 * n_guests)
    keys = [f"u:{i + 1}" for i in range(n_users)] + [
        f"g:{uuid.UUID(bytes=guest_bytes[16 * i : 16 * i + 16], version=4)}" for i in range(n_guests)
    ]
    return Shoppers(keys, lat, lng, city, home_shop, home_cum, taste, staples, activity / activity.sum())


def events_draw(
    rng: np.random.Generator, catalogue: Catalogue, shoppers: Shoppers, *, target: int, end: datetime
) -> dict[str, np.ndarray]:
    """Sessions drawn in batches until they hold `target` events; sorted by time and cut at `target`.
    Returns arrays shopper (index), kind (code), item (index), at_s (seconds from the window's start)."""
    parts: list[dict[str, np.ndarray]] = []
    total = sessions = 0
    start_day = (end - timedelta(days=DAYS) + timedelta(seconds=PAKISTAN_OFFSET_S)).weekday()
    while total < target:
        batch = sessions_draw(rng, catalogue, shoppers, max(1000, (target - total) // 6), start_day=start_day)
        batch["session"] += sessions
        sessions = int(batch["session"].max()) + 1
        parts.append(batch)
        total += len(batch["kind"])
    events = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    # Sessions in the order drawn (each at a random moment of the window) until `target`: only the last is cut.
    order = np.argsort(events.pop("session"), kind="stable")[:target]
    order = order[np.argsort(events["at_s"][order], kind="stable")]
    return {name: values[order] for name, values in events.items()}


def sessions_draw(
    rng: np.random.Generator, catalogue: Catalogue, shoppers: Shoppers, n: int, *, start_day: int
) -> dict[str, np.ndarray]:
    sh = rng.choice(len(shoppers.keys), size=n, p=shoppers.activity)
    restock = rng.random(n) < RESTOCK_SHARE
    pick = (rng.random(n)[:, None] < shoppers.home_cum[sh]).argmax(axis=1)
    shop = shoppers.home_shop[sh, pick]
    shop = np.where(restock, shoppers.home_shop[sh, 0], shop)

    # The category: the shopper's taste picks among a few of the shop's (drawn by the shop's product counts).
    first, size = catalogue.shop_start[shop], catalogue.shop_size[shop]
    candidates = first[:, None] + np.floor(rng.random((n, CANDIDATE_CATEGORIES)) * size[:, None]).astype(np.int64)
    weights = shoppers.taste[sh[:, None], catalogue.root[candidates]] + 0.02
    cum = np.cumsum(weights, axis=1)
    chosen = (rng.random(n)[:, None] * cum[:, -1:] < cum).argmax(axis=1)
    group = catalogue.group[np.take_along_axis(candidates, chosen[:, None], axis=1)[:, 0]]

    views = np.minimum(rng.geometric(VIEW_STOP, n), 25)
    views = np.where(restock, rng.integers(1, 4, n), views)
    session = np.repeat(np.arange(n), views)
    v_shop, v_group = shop[session], group[session]
    stray = (rng.random(len(session)) < STRAY) & ~restock[session]
    stray_item = catalogue.shop_start[v_shop] + np.floor(rng.random(len(session)) * catalogue.shop_size[v_shop]).astype(
        np.int64
    )
    v_group = np.where(stray, catalogue.group[stray_item], v_group)
    item = catalogue.group_start[v_group] + zipf_rank(rng, catalogue.group_size[v_group])
    staple = shoppers.staples[sh[session], rng.integers(0, STAPLES, len(session))]
    item = np.where(restock[session], staple, item)

    # When: a day of the window (growing, weekly rhythm), an hour of the day (Pakistan time), seconds apart.
    day_w = (1.0 + 0.4 * np.arange(DAYS) / DAYS) * np.array([WEEKDAY[(start_day + d) % 7] for d in range(DAYS)])
    day = rng.choice(DAYS, size=n, p=day_w / day_w.sum())
    hour = rng.choice(24, size=n, p=np.array(HOURLY) / sum(HOURLY))
    t0 = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)  # seconds from the window's start (a local midnight)
    gaps = rng.exponential(45.0, len(session)) + 3
    offsets = np.cumsum(gaps)
    session_first = np.r_[0, np.cumsum(views)[:-1]]
    offsets -= (offsets[session_first] - gaps[session_first])[session]
    v_at = t0[session] + offsets.astype(np.int64)

    add_p = np.where(restock[session], RESTOCK_ADD_P, ADD_P)
    added = rng.random(len(session)) < add_p
    a_session, a_item = session[added], item[added]
    a_at = v_at[added] + rng.integers(5, 60, len(a_session))

    # Orders: a session with adds, now and then; one purchase per product added, all at one moment.
    ordered = rng.random(n) < np.where(restock, RESTOCK_ORDER_P, ORDER_P)
    pairs = np.unique(a_session * (len(catalogue.product) + 1) + a_item)
    p_session, p_item = pairs // (len(catalogue.product) + 1), pairs % (len(catalogue.product) + 1)
    keep = ordered[p_session]
    p_session, p_item = p_session[keep], p_item[keep]
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, session, v_at)
    np.maximum.at(last, a_session, a_at)
    order_at = last + rng.integers(120, 900, n)
    p_at = order_at[p_session]

    return {
        "shopper": np.concatenate([sh[session], sh[a_session], sh[p_session]]).astype(np.int32),
        "kind": np.concatenate([np.zeros(len(session)), np.ones(len(a_session)), np.full(len(p_session), 2)]).astype(
            np.int16
        ),
        "item": np.concatenate([item, a_item, p_item]).astype(np.int64),
        "at_s": np.concatenate([v_at, a_at, p_at]).astype(np.int64),
        "session": np.concatenate([session, a_session, p_session]).astype(np.int64),
    }


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------

_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_STAGE_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("l_shopper", ">i4"),
        ("shopper", ">i4"),
        ("l_kind", ">i4"),
        ("kind", ">i2"),
        ("l_merchant", ">i4"),
        ("merchant", ">i8"),
        ("l_product", ">i4"),
        ("product", ">i8"),
        ("l_at", ">i4"),
        ("at_s", ">i4"),
    ]
)


def shoppers_load(shoppers: Shoppers, events: dict[str, np.ndarray], timings: dict[str, float]) -> np.ndarray:
    """Users (their home as their saved location) and guests with COPY, and SHOPPER_TABLE; returns each shopper's
    event count."""
    started = time.perf_counter()
    n = len(shoppers.keys)
    counts = np.bincount(events["shopper"], minlength=n)
    purchases = np.bincount(events["shopper"][events["kind"] == 2], minlength=n)
    joined = datetime.now(UTC) - timedelta(days=DAYS + 30)
    nearest = nearest_branch_km(shoppers.lat, shoppers.lng)
    with _connect() as conn:
        with conn.cursor().copy(
            "COPY public.accounts_user (id, password, is_superuser, phone, name, email, is_active, is_staff, "
            "phone_verified_at, date_joined, location_lat, location_lng, location_label) FROM STDIN"
        ) as copy:
            for i, key in enumerate(shoppers.keys):
                if not key.startswith("u:"):
                    break
                city = CITIES[shoppers.city[i]].name
                copy.write_row(
                    (i + 1, "!", False, f"+92300{i + 1:07d}", "", "", True, False, joined, joined,
                     float(shoppers.lat[i]), float(shoppers.lng[i]), city)
                )  # fmt: skip
        conn.execute("SELECT setval(pg_get_serial_sequence('public.accounts_user', 'id'), %s)", [n])
        with conn.cursor().copy("COPY public.accounts_guest (id, created_at) FROM STDIN") as copy:
            for key in shoppers.keys:
                if key.startswith("g:"):
                    copy.write_row((key[2:], joined))
        conn.execute(
            f"CREATE TABLE {SHOPPER_TABLE} (no integer PRIMARY KEY, key text NOT NULL, lat float8, lng float8, "
            "city text, events integer, purchases integer, nearest_km float8)"
        )
        with conn.cursor().copy(f"COPY {SHOPPER_TABLE} FROM STDIN") as copy:
            for i, key in enumerate(shoppers.keys):
                copy.write_row(
                    (i, key, float(shoppers.lat[i]), float(shoppers.lng[i]), CITIES[shoppers.city[i]].name,
                     int(counts[i]), int(purchases[i]), float(nearest[i]))
                )  # fmt: skip
        conn.execute(f"ANALYZE {SHOPPER_TABLE}")
    timings[f"COPY {n:,} shoppers (users, guests)"] = time.perf_counter() - started
    return counts


def events_load(events: dict[str, np.ndarray], catalogue: Catalogue, *, start: datetime, timings: dict) -> None:
    """Binary COPY into an unlogged staging table (numpy writes the rows), then BehaviourEvent in time order with
    its indexes dropped and rebuilt after, as the migrations define them."""
    n = len(events["kind"])
    with _connect() as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        conn.execute(
            "CREATE UNLOGGED TABLE bench_reco_stage (shopper integer, kind smallint, merchant_id bigint, "
            "product_id bigint, at_s integer)"
        )
        with conn.cursor().copy("COPY bench_reco_stage FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_BINARY_HEADER)
            for lo in range(0, n, 1_000_000):
                hi = min(n, lo + 1_000_000)
                rows = np.empty(hi - lo, dtype=_STAGE_ROW)
                rows["fields"] = 5
                rows["l_shopper"], rows["l_kind"], rows["l_at"] = 4, 2, 4
                rows["l_merchant"], rows["l_product"] = 8, 8
                rows["shopper"] = events["shopper"][lo:hi]
                rows["kind"] = events["kind"][lo:hi]
                item = events["item"][lo:hi]
                rows["merchant"] = catalogue.merchant[item]
                rows["product"] = catalogue.product[item]
                rows["at_s"] = events["at_s"][lo:hi]
                copy.write(rows.tobytes())
            copy.write(b"\xff\xff")
        conn.execute("ANALYZE bench_reco_stage")
        timings[f"COPY {n:,} events (binary, staging)"] = time.perf_counter() - started

        started = time.perf_counter()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = 'behaviour_behaviourevent' AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'public.behaviour_behaviourevent'::regclass AND contype IN ('p', 'u'))"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX public."{name}"')
        conn.execute(
            """INSERT INTO public.behaviour_behaviourevent
                   (kind, subject, merchant_id, subject_id, shopper, product_id, surface, context, at)
               SELECT (%(kinds)s::text[])[e.kind + 1], 'product', e.merchant_id, e.product_id, s.key, e.product_id,
                      (%(surfaces)s::text[])[e.kind + 1], '', %(start)s::timestamptz + e.at_s * interval '1 second'
               FROM bench_reco_stage e JOIN """
            + SHOPPER_TABLE
            + " s ON s.no = e.shopper",
            {"kinds": list(KINDS), "surfaces": list(SURFACES), "start": start},
        )
        timings["INSERT ... SELECT BehaviourEvent (no indexes)"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        timings[f"{len(indexes)} indexes built"] = time.perf_counter() - started
        conn.execute("DROP TABLE bench_reco_stage")


def totals_analyze(timings: dict[str, float]) -> None:
    """BehaviourTotal as the drain would have summed the events, then VACUUM ANALYZE and a CHECKPOINT."""
    started = time.perf_counter()
    with _connect() as conn:
        conn.execute(
            """INSERT INTO public.behaviour_behaviourtotal (subject, merchant_id, subject_id, views, watches, watch_ms,
                   watch_fraction, completions, product_taps, add_to_carts, orders, shares, impressions,
                   search_clicks, updated_at)
               SELECT 'product', merchant_id, subject_id, count(*) FILTER (WHERE kind = 'view'), 0, 0, 0, 0, 0,
                      count(*) FILTER (WHERE kind = 'add_to_cart'), count(*) FILTER (WHERE kind = 'purchase'), 0, 0,
                      0, now()
               FROM public.behaviour_behaviourevent GROUP BY merchant_id, subject_id"""
        )
        timings["BehaviourTotal summed (INSERT ... SELECT)"] = time.perf_counter() - started
        started = time.perf_counter()
        for table in ("behaviour_behaviourevent", "behaviour_behaviourtotal", "accounts_user", "accounts_guest"):
            conn.execute(f"VACUUM (ANALYZE) public.{table}")
        conn.execute("CHECKPOINT")
        timings["VACUUM ANALYZE behaviour and shoppers, CHECKPOINT"] = time.perf_counter() - started
