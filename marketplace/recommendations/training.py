"""Training per region: what shoppers did, read fast, becomes each region's precomputed lists (ADR 0016).

- **Regions.** A branch's region is its city (`BranchListing.city` casefolded and slugged: "lahore"), else the H3
  resolution-3 cell around it (`h3:<hex>`); a product belongs to the regions of its branches, so a chain's product
  is learnt in each city from that city's shoppers.
- **Events.** The behaviour events of the last `RECOMMENDATIONS_EVENT_DAYS`, read with one binary COPY straight into
  numpy arrays (kernel.pgcopy: no Python object per event), users and guests alike (the shopper key, hashed in
  PostgreSQL to an integer). Each kind weighs what it says about taste (`KIND_WEIGHTS`); impressions, watches and
  shares are not interactions. Anonymous events count towards the popular lists only.
- **Per region** (`shared_apps.recommendations.training`): the served model chosen by validation within the
  region's share of the time budget, its SIMILAR lists, the TOGETHER lists from baskets and the cold-start
  PopularItems per H3 r6 cell, part of day and kind of day. Rows are written with binary COPY under the new model's
  id while the region's ACTIVE model keeps serving; then one transaction retires it and activates the new one, and
  the rows of versions older than the previous one are deleted. A failure marks the model FAILED with its error.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import h3
import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from kernel.pgcopy import Column, copy_in_arrays, copy_out_arrays
from marketplace.listings.models import BranchListing, Listing
from marketplace.recommendations.selectors import PRODUCT_BITS, active_models_forget
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Subject
from shared_apps.recommendations.dayparts import SLOTS
from shared_apps.recommendations.evaluation import process_peak_rss_bytes
from shared_apps.recommendations.models import (
    ItemNeighbours,
    ModelStatus,
    NeighbourKind,
    PopularItems,
    TrainedModel,
)
from shared_apps.recommendations.training import (
    ANY_TIME,
    Budget,
    Log,
    Neighbours,
    model_train,
    popular_lists,
    together_lists,
)

log = logging.getLogger(__name__)

KIND_WEIGHTS = {  # how much one event says about taste; a shopper-item pair keeps its strongest
    EventKind.VIEW: 0.25,
    EventKind.SEARCH_CLICK: 0.5,
    EventKind.PRODUCT_TAP: 0.5,
    EventKind.ADD_TO_CART: 0.75,
    EventKind.PURCHASE: 1.0,
}
KINDS = tuple(KIND_WEIGHTS)  # an event's kind travels as its index here (smallint)
PURCHASE = KINDS.index(EventKind.PURCHASE)
TRAINING_LOCK_KEY = 7_302_116  # pg advisory lock id: one training at a time in this database
MERCHANT_LIMIT = 1 << (63 - PRODUCT_BITS)


def region_of(*, city: str, h3_r6: int) -> str:
    """A branch's region: its city, casefolded and slugged, else `h3:` and its H3 resolution-3 cell."""
    name = slugify(" ".join(city.casefold().split()))
    if name:
        return name[:80]
    return "h3:" + h3.cell_to_parent(h3.int_to_str(int(h3_r6)), 3)


def _packed(merchants: np.ndarray, products: np.ndarray) -> np.ndarray:
    if merchants.size and (
        merchants.min() < 0 or merchants.max() >= MERCHANT_LIMIT or products.min() < 0 or products.max() >> PRODUCT_BITS
    ):
        raise ValueError("a merchant or product id is out of the range an item key packs")
    return (merchants.astype(np.int64) << PRODUCT_BITS) | products.astype(np.int64)


@dataclass(frozen=True)
class Catalog:
    """Every listed product (an item: sorted packed keys) and, per (item, branch) listed, the branch's region
    code and H3 r6 cell."""

    keys: np.ndarray  # packed (merchant, product), ascending: item code = position
    regions: tuple[str, ...]  # region code → name
    pair_items: np.ndarray  # one entry per (item, branch) listed
    pair_regions: np.ndarray
    pair_cells: np.ndarray

    def merchants(self, items: np.ndarray) -> np.ndarray:
        return self.keys[items] >> PRODUCT_BITS

    def products(self, items: np.ndarray) -> np.ndarray:
        return self.keys[items] & ((1 << PRODUCT_BITS) - 1)


def catalog_read() -> Catalog:
    """The listed products and where they are sold, in two statements (branches, then the listings' distinct
    product x branch pairs by binary COPY)."""
    branches = list(BranchListing.objects.values_list("pk", "city", "h3_r6"))
    names: dict[str, int] = {}
    size = max((pk for pk, _, _ in branches), default=0) + 1
    branch_region = np.full(size, -1, dtype=np.int64)
    branch_cell = np.zeros(size, dtype=np.int64)
    for pk, city, cell in branches:
        branch_region[pk] = names.setdefault(region_of(city=city, h3_r6=cell), len(names))
        branch_cell[pk] = cell
    listing, branch = Listing._meta.db_table, BranchListing._meta.db_table
    with connection.cursor() as cursor:
        pairs = copy_out_arrays(
            cursor.cursor,
            f"SELECT DISTINCT l.merchant_id, l.product_id, b.id FROM {listing} l "
            f"JOIN {branch} b ON b.merchant_id = l.merchant_id AND b.branch_id = l.branch_id",
            [("merchant", "int8"), ("product", "int8"), ("branch", "int8")],
        )
    packed = _packed(pairs["merchant"], pairs["product"])
    keys, pair_items = np.unique(packed, return_inverse=True)
    return Catalog(
        keys=keys,
        regions=tuple(names),
        pair_items=pair_items.astype(np.int64),
        pair_regions=branch_region[pairs["branch"]],
        pair_cells=branch_cell[pairs["branch"]],
    )


@dataclass(frozen=True)
class Events:
    shoppers: np.ndarray  # int64: the shopper key's hash; meaningless where anonymous
    anonymous: np.ndarray  # bool
    items: np.ndarray  # catalog item codes (events of products no longer listed are left out)
    times: np.ndarray  # float64 Unix seconds
    kinds: np.ndarray  # int16 index into KINDS


def events_read(*, catalog: Catalog, since: datetime) -> Events:
    """The interactions since `since`, one binary COPY into arrays (see the module's docstring)."""
    table = BehaviourEvent._meta.db_table
    case = " ".join(f"WHEN '{kind}' THEN {index}" for index, kind in enumerate(KINDS))
    product_kinds = ", ".join(f"'{kind}'" for kind in KINDS if kind != EventKind.PRODUCT_TAP)
    query = (
        "SELECT hashtextextended(shopper, 0), shopper = '', merchant_id, product_id, "
        f"extract(epoch FROM at)::float8, (CASE kind {case} END)::int2 FROM {table} "
        f"WHERE at >= %s AND product_id IS NOT NULL AND ((subject = '{Subject.PRODUCT}' AND kind IN ({product_kinds}))"
        f" OR kind = '{EventKind.PRODUCT_TAP}')"
    )
    fields = [("shopper", "int8"), ("anonymous", "bool"), ("merchant", "int8"), ("product", "int8"),
              ("at", "float8"), ("kind", "int2")]  # fmt: skip
    with connection.cursor() as cursor:
        rows = copy_out_arrays(cursor.cursor, query, fields, [since])
    packed = _packed(rows.pop("merchant"), rows.pop("product"))
    items = np.searchsorted(catalog.keys, packed)
    listed = np.zeros(packed.size, dtype=bool)
    if catalog.keys.size:
        listed = (items < catalog.keys.size) & (catalog.keys[np.minimum(items, catalog.keys.size - 1)] == packed)
    del packed
    return Events(
        shoppers=rows["shopper"][listed],
        anonymous=rows["anonymous"][listed],
        items=items[listed],
        times=rows["at"][listed],
        kinds=rows["kind"][listed],
    )


@dataclass(frozen=True)
class RegionData:
    items: np.ndarray  # catalog item codes of the region, ascending: local code = position
    log: Log  # the region's interactions of known shoppers (local codes)
    purchases: np.ndarray  # boolean over the log's events
    popular: Log  # every interaction of the region, anonymous included (shopper codes unused)
    cells: np.ndarray  # H3 r6 cells of the region, ascending
    cell_items: sp.csr_matrix  # cells x local items: 1 where the item is sold in the cell


def region_data(*, catalog: Catalog, events: Events, region: int) -> RegionData:
    """One region's share of the catalog and the events, recoded 0..n-1."""
    in_region = catalog.pair_regions == region
    items = np.unique(catalog.pair_items[in_region])
    local = np.full(catalog.keys.size, -1, dtype=np.int64)
    local[items] = np.arange(items.size)
    cells, cell_codes = np.unique(catalog.pair_cells[in_region], return_inverse=True)
    cell_items = sp.csr_matrix(
        (np.ones(cell_codes.size, np.float32), (cell_codes, local[catalog.pair_items[in_region]])),
        shape=(cells.size, items.size),
    )
    cell_items.data[:] = 1.0  # a product listed twice in one cell (two branches) is sold there, once
    event_items = local[events.items]
    mine = event_items >= 0
    weights = np.asarray([KIND_WEIGHTS[kind] for kind in KINDS], dtype=np.float32)
    known = mine & ~events.anonymous
    shoppers, shopper_codes = np.unique(events.shoppers[known], return_inverse=True)
    kinds = events.kinds[known]
    return RegionData(
        items=items,
        log=Log(
            users=shopper_codes.astype(np.int64),
            items=event_items[known],
            times=events.times[known],
            weights=weights[kinds],
            user_count=int(shoppers.size),
            item_count=int(items.size),
        ),
        purchases=kinds == PURCHASE,
        popular=Log(
            users=np.zeros(int(mine.sum()), np.int64),
            items=event_items[mine],
            times=events.times[mine],
            weights=weights[events.kinds[mine]],
            user_count=1,
            item_count=int(items.size),
        ),
        cells=cells,
        cell_items=cell_items,
    )


# ---------------------------------------------------------------------------------------------------------------
# Writing the lists
# ---------------------------------------------------------------------------------------------------------------


def _lists_columns(*, catalog: Catalog, region_items: np.ndarray, lists: Neighbours, rows: np.ndarray, prefix: str):
    """The three array columns of rows `rows` of `lists` (local item codes → merchant and product ids)."""
    chosen = lists.items[rows]
    lengths = (chosen >= 0).sum(axis=1)
    global_items = region_items[np.maximum(chosen, 0)]
    return lengths, [
        Column(f"{prefix}merchants", "int8", catalog.merchants(global_items), lengths),
        Column(f"{prefix}products", "int8", catalog.products(global_items), lengths),
        Column("scores", "float8", lists.scores[rows].astype(np.float64), lengths),
    ]


def neighbours_write(*, model_id: int, kind: str, catalog: Catalog, region_items: np.ndarray, lists: Neighbours) -> int:
    """One ItemNeighbours row per item with at least one neighbour, by binary COPY."""
    rows = np.flatnonzero((lists.items >= 0).any(axis=1))
    if not rows.size:
        return 0
    _, arrays = _lists_columns(catalog=catalog, region_items=region_items, lists=lists, rows=rows, prefix="neighbour_")
    items = region_items[rows]
    columns = [
        Column("model_id", "int8", np.full(rows.size, model_id, dtype=np.int64)),
        Column("kind", "text", np.full(rows.size, kind.encode())),
        Column("merchant_id", "int8", catalog.merchants(items)),
        Column("product_id", "int8", catalog.products(items)),
        *arrays,
    ]
    with connection.cursor() as cursor:
        return copy_in_arrays(cursor.cursor, table=ItemNeighbours._meta.db_table, columns=columns, count=rows.size)


def popular_write(*, model_id: int, catalog: Catalog, data: RegionData, slots: list[Neighbours]) -> int:
    """PopularItems rows: per cell, one per (part of day, weekend) slot and one at any time (nulls)."""
    written = 0
    for slot, lists in enumerate(slots):
        rows = np.flatnonzero((lists.items >= 0).any(axis=1))
        if not rows.size:
            continue
        _, arrays = _lists_columns(catalog=catalog, region_items=data.items, lists=lists, rows=rows, prefix="")
        columns = [
            Column("model_id", "int8", np.full(rows.size, model_id, dtype=np.int64)),
            Column("h3_r6", "int8", data.cells[rows]),
            *arrays,
        ]
        if slot != ANY_TIME:  # the any-time rows leave daypart and weekend null
            columns += [
                Column("daypart", "int2", np.full(rows.size, slot // 2, dtype=np.int16)),
                Column("weekend", "bool", np.full(rows.size, bool(slot % 2))),
            ]
        table = PopularItems._meta.db_table
        with connection.cursor() as cursor:
            written += copy_in_arrays(cursor.cursor, table=table, columns=columns, count=rows.size)
    return written


def model_activate(*, model: TrainedModel, now: datetime) -> None:
    """In one transaction: the region's ACTIVE model RETIRED, `model` ACTIVE. Then the lists of the region's versions
    older than the one just retired (and of failed ones) are deleted: the previous version stays for a rollback."""
    with transaction.atomic():
        list(TrainedModel.objects.select_for_update().filter(region=model.region).values_list("pk", flat=True))
        TrainedModel.objects.filter(region=model.region, status=ModelStatus.ACTIVE).update(status=ModelStatus.RETIRED)
        TrainedModel.objects.filter(pk=model.pk).update(status=ModelStatus.ACTIVE, finished_at=now)
    model.status, model.finished_at = ModelStatus.ACTIVE, now
    active_models_forget()  # this process's shelves serve the new model at once; other processes within a minute
    previous = (
        TrainedModel.objects.filter(region=model.region, status=ModelStatus.RETIRED)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    stale = TrainedModel.objects.filter(region=model.region).exclude(pk__in=[model.pk, previous or 0])
    stale = stale.exclude(status=ModelStatus.TRAINING)  # another run's, still writing (never ours: we hold the lock)
    ItemNeighbours.objects.filter(model__in=stale).delete()
    PopularItems.objects.filter(model__in=stale).delete()


def _region_train(
    *, catalog: Catalog, events: Events, region: int, budget: Budget, now: datetime, say: Callable[[str], None]
) -> TrainedModel:
    name = catalog.regions[region]
    model = TrainedModel.objects.create(region=name, status=ModelStatus.TRAINING, started_at=timezone.now())
    try:
        data = region_data(catalog=catalog, events=events, region=region)
        trained = model_train(log=data.log, budget=budget, progress=lambda text: say(f"{name}: {text}"))
        bought = data.purchases
        together = together_lists(
            users=data.log.users[bought], items=data.log.items[bought], times=data.log.times[bought],
            item_count=data.log.item_count,
        )  # fmt: skip
        slots = popular_lists(
            items=data.popular.items, times=data.popular.times, weights=data.popular.weights,
            cell_items=data.cell_items, now=now.timestamp(),
        )  # fmt: skip
        assert len(slots) == SLOTS + 1
        with transaction.atomic():
            if trained.similar is not None:
                neighbours_write(model_id=model.pk, kind=NeighbourKind.SIMILAR, catalog=catalog,
                                 region_items=data.items, lists=trained.similar)  # fmt: skip
            neighbours_write(model_id=model.pk, kind=NeighbourKind.TOGETHER, catalog=catalog,
                             region_items=data.items, lists=together)  # fmt: skip
            popular_write(model_id=model.pk, catalog=catalog, data=data, slots=slots)
            model.algorithm = trained.algorithm
            model.params = trained.setting | {"effort": trained.effort, "tune_seconds": round(trained.tune_seconds, 2)}
            model.validation = trained.validation
            model.users, model.items, model.events = trained.users, trained.items, trained.events
            model.fit_seconds = round(trained.fit_seconds, 3)
            model.peak_mb = round(process_peak_rss_bytes() / 2**20, 1)
            model.save()
        model_activate(model=model, now=timezone.now())
    except Exception as exc:  # the region's active model keeps serving; the error is kept for whoever looks
        log.exception("recommendations training of %s failed", name)
        model.status, model.finished_at = ModelStatus.FAILED, timezone.now()
        model.error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        TrainedModel.objects.filter(pk=model.pk).update(
            status=model.status, finished_at=model.finished_at, error=model.error
        )
    return model


def recommendations_train(
    *, region: str | None = None, now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> list[TrainedModel]:
    """Train every region (or only `region`, by its name as `region_of` spells it) on the events of the last
    RECOMMENDATIONS_EVENT_DAYS before `now`, within RECOMMENDATIONS_TRAIN_SECONDS and _MEMORY_MB for the whole run.

    Guarantee: each region's lists are written under a new TrainedModel while its ACTIVE one keeps serving, and the
    switch is one transaction, so serving never reads half a training; a region whose training fails is left
    serving its ACTIVE model, its new one marked FAILED with the error; at most one ACTIVE model per region; only the
    current and the previous version keep their lists. Returns this run's models, one per region trained (none when
    another training holds the lock).
    """
    say = progress or (lambda text: None)
    now = now or timezone.now()
    budget = Budget(seconds=settings.RECOMMENDATIONS_TRAIN_SECONDS, memory_mb=settings.RECOMMENDATIONS_TRAIN_MEMORY_MB)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [TRAINING_LOCK_KEY])
        if not cursor.fetchone()[0]:
            log.info("recommendations training skipped: another one is running")
            return []
    try:
        catalog = catalog_read()
        events = events_read(catalog=catalog, since=now - timedelta(days=settings.RECOMMENDATIONS_EVENT_DAYS))
        say(f"read {catalog.keys.size} products and {events.items.size} events")
        wanted = [code for code, name in enumerate(catalog.regions) if region is None or name == region]
        item_events = np.bincount(events.items, minlength=catalog.keys.size)
        region_events = np.array(  # how the time budget is shared between the regions
            [item_events[np.unique(catalog.pair_items[catalog.pair_regions == code])].sum() for code in wanted],
            dtype=np.float64,
        )
        left = float(region_events.sum())
        models = []
        for code, size in zip(wanted, region_events, strict=True):
            remaining = max(0.0, budget.deadline(1.0) - time.monotonic())
            share = size / left if left else 1.0
            left -= size
            region_budget = Budget(seconds=remaining * min(1.0, share), memory_mb=budget.memory_mb)
            models.append(
                _region_train(catalog=catalog, events=events, region=code, budget=region_budget, now=now, say=say)
            )
        return models
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TRAINING_LOCK_KEY])
