"""A reproducible interaction log with the skew of real shopping, for evaluating models where no real log exists.

What real logs have and a uniform random one lacks, each with its knob in `BehaviourShape`:

| trait | how it is made |
|---|---|
| popularity skew | an item of popularity rank r is drawn ∝ 1/r^`popularity_exponent` (Zipf) within its group |
| busy and quiet shoppers | a basket's shopper is drawn ∝ 1/r^`activity_exponent` |
| taste | a shopper's basket comes from one of its `tastes` groups with probability `taste_focus` |
| sessions of co-bought items | a basket: 1 + Poisson(`basket_mean` - 1) items of one group, seconds apart |
| co-purchase | after a basket's first item, one of the previous item's companions (`companion_share`) |
| repeat purchases | with probability `repeat_share` an item is one the shopper already took |

Groups are taste clusters (generated), or in the demo the shops: a shopper's tastes are the shops near them. A basket
not from the shopper's tastes comes from any group by its popularity.

Everything is drawn from one `random.Random(seed)`: the same shape and seed give the same rows, on any machine.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

START_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z: timestamps are integer seconds from here
BASKET_GAP_SECONDS = 900  # mean time between two baskets of the whole platform; only the order matters
BASKET_ITEM_SECONDS = 20  # between two items of one basket
COMPANIONS = 3  # fixed companions per item: bread goes with butter, eggs and milk, not with everything


@dataclass(frozen=True)
class CatalogItem:
    item_id: str
    group: str  # what a taste is about: a cluster of related items, or a shop


@dataclass(frozen=True)
class BehaviourShape:
    interactions: int = 20_000
    shoppers: int = 2_000
    items: int = 1_000  # used when no catalog is given
    groups: int = 40  # used when no catalog is given
    popularity_exponent: float = 1.0
    activity_exponent: float = 0.8
    tastes: int = 2
    taste_focus: float = 0.8
    basket_mean: float = 3.0
    companion_share: float = 0.5
    repeat_share: float = 0.2
    seed: int = 0


class _Picker:
    """Draws from a fixed list with fixed weights in O(log n) (cumulative sums and bisection)."""

    def __init__(self, values: Sequence[int], weights: Sequence[float]) -> None:
        self.values = list(values)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> int:
        position = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.values[min(position, len(self.values) - 1)]


def catalog_generated(*, shape: BehaviourShape) -> tuple[CatalogItem, ...]:
    """`shape.items` items spread over `shape.groups` taste clusters ("i00042" in "g07")."""
    rng = random.Random(f"planckly-catalog:{shape.seed}")
    width, group_width = len(str(shape.items - 1)), len(str(shape.groups - 1))
    return tuple(
        CatalogItem(f"i{index:0{width}d}", f"g{rng.randrange(shape.groups):0{group_width}d}")
        for index in range(shape.items)
    )


def behaviour_generate(
    *, shape: BehaviourShape, catalog: Sequence[CatalogItem] | None = None
) -> Iterator[tuple[str, str, int]]:
    """(shopper id, item id, timestamp) rows in time order, about `shape.interactions` of them."""
    items = tuple(catalog) if catalog is not None else catalog_generated(shape=shape)
    if not items:
        return
    rng = random.Random(shape.seed)
    ranks = list(range(1, len(items) + 1))
    rng.shuffle(ranks)
    weight = [1.0 / rank**shape.popularity_exponent for rank in ranks]
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(item.group, []).append(index)
    group_names = sorted(groups)
    in_group = {name: _Picker(groups[name], [weight[i] for i in groups[name]]) for name in group_names}
    any_group = _Picker(range(len(group_names)), [sum(weight[i] for i in groups[name]) for name in group_names])
    companions = [
        [in_group[item.group].pick(rng) for _ in range(COMPANIONS)] if len(groups[item.group]) > 1 else []
        for item in items
    ]
    shopper_ranks = list(range(1, shape.shoppers + 1))
    rng.shuffle(shopper_ranks)
    shoppers = _Picker(range(shape.shoppers), [1.0 / rank**shape.activity_exponent for rank in shopper_ranks])
    tastes = [[group_names[any_group.pick(rng)] for _ in range(shape.tastes)] for _ in range(shape.shoppers)]
    history: list[list[int]] = [[] for _ in range(shape.shoppers)]  # distinct items taken, oldest first
    known: list[set[int]] = [set() for _ in range(shape.shoppers)]
    width = len(str(shape.shoppers - 1))
    clock = float(START_TIME)
    produced = 0
    while produced < shape.interactions:
        clock += rng.expovariate(1.0 / BASKET_GAP_SECONDS)
        shopper = shoppers.pick(rng)
        taken = history[shopper]
        focused = rng.random() < shape.taste_focus
        group = rng.choice(tastes[shopper]) if focused else group_names[any_group.pick(rng)]
        size = 1 + _poisson(rng, shape.basket_mean - 1.0)
        basket: list[int] = []
        for _ in range(size):
            if basket and companions[basket[-1]] and rng.random() < shape.companion_share:
                item = rng.choice(companions[basket[-1]])
            elif taken and rng.random() < shape.repeat_share:
                item = rng.choice(taken)
            else:
                item = in_group[group].pick(rng)
            if item not in basket:
                basket.append(item)
        for position, item in enumerate(basket):
            yield f"u{shopper:0{width}d}", items[item].item_id, int(clock) + BASKET_ITEM_SECONDS * position
        clock += BASKET_ITEM_SECONDS * len(basket)  # the next basket starts after this one ends
        for item in basket:
            if item not in known[shopper]:
                known[shopper].add(item)
                taken.append(item)
        produced += len(basket)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: small means only, which is all a basket needs."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def behaviour_csv_write(*, rows: Iterator[tuple[str, str, int]], stream: TextIO) -> int:
    """Write `user,item,timestamp` and the rows; returns how many rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(("user", "item", "timestamp"))
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
