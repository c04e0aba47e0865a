"""Search benchmark, the query mix: what customers ask, drawn from the generated data's own vocabulary.

Classes by share (common and rare words, two words, a typo, browse without text, root and leaf categories, price
ranges, in stock, delivery, offers), every sort, radius 2/5/10 km and a few 25/50, pages 1-3, from customer
locations drawn like the merchants (dense centres, sparse outskirts). Words are chosen by how many listings hold
them in the index (SearchTerm's document frequency): the common nouns, rare words (mostly the long tail of brands),
frequent adjacent pairs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from benchmarks.harness.database import rows_dict
from benchmarks.search_data import CITIES, LEAVES, cumulative, place

CLASSES: dict[str, float] = {
    "common word": 0.20,
    "rare word": 0.08,
    "two words": 0.10,
    "typo": 0.05,
    "browse, no text": 0.15,
    "root category": 0.07,
    "leaf category": 0.08,
    "price range": 0.06,
    "in stock": 0.06,
    "delivery": 0.06,
    "has offer": 0.05,
    "pickup + leaf + word": 0.04,
}
SORTS = {"relevance": 0.40, "distance": 0.20, "price_asc": 0.12, "price_desc": 0.05, "newest": 0.10, "popular": 0.13}
RADII = {2: 0.25, 5: 0.40, 10: 0.25, 25: 0.07, 50: 0.03}
PRICE_RANGES = (("0", "250"), ("100", "1000"), ("500", "2500"), ("1000", "5000"), ("5000", None), (None, "500"))


@dataclass
class Query:
    cls: str
    params: dict[str, Any]
    http_ms: float = 0.0
    sql_ms: float = 0.0
    statements_ms: float = 0.0  # of sql_ms: the plan's statements, fetches and sums, planning excluded
    total: int = -1
    http_total: int = -1
    cells: int = 0


@dataclass
class Vocabulary:
    common: list[str]
    rare: list[str]
    pairs: list[tuple[str, float]]
    typo_sources: list[str]
    roots: list[str]
    leaves: list[str]
    df: dict[str, int] = field(default_factory=dict)


def vocabulary(meta: dict[str, Any], n_listings: int) -> Vocabulary:
    """Query words by how many listings hold them (the index's real document frequency, via the stemmed
    vocabulary SearchTerm): common nouns, rare words (mostly the long tail of brands), frequent word pairs."""
    words = sorted(set(meta["word_df"]))
    df = rows_dict(
        "SELECT w, coalesce(t.listings, 0) FROM unnest(%s::text[]) w "
        "LEFT JOIN public.listings_searchterm t ON t.lexeme = (ts_lexize('english_stem', w))[1]",
        [words],
    )
    one_word_nouns = {noun for leaf in LEAVES.values() for noun in leaf.nouns if " " not in noun}
    nouns = set(meta["nouns"]) & one_word_nouns
    by_df = sorted((w for w in nouns if df.get(w, 0) > 0), key=lambda w: (-df[w], w))  # ties: stable across runs
    common = by_df[:40]
    low, high = max(3, n_listings // 50_000), max(30, n_listings // 2_000)
    rare = sorted(w for w in words if low <= df.get(w, 0) <= high and meta["word_df"][w] <= high)
    pairs = sorted(meta["pair_df"].items(), key=lambda kv: (-kv[1], kv[0]))[:400]
    typo_sources = [w for w in by_df[:150] if len(w) >= 5]
    cats = meta["categories"]
    return Vocabulary(
        common=common,
        rare=rare,
        pairs=[(p, math.sqrt(n)) for p, n in pairs],
        typo_sources=typo_sources,
        roots=sorted(s for s, c in cats.items() if c["parent"] is None),
        leaves=sorted(s for s, c in cats.items() if c["parent"] is not None),
        df=df,
    )


def typo(rng: random.Random, word: str) -> str:
    """One interior edit (swap, drop, replace) that keeps the first two letters, as most typos do."""
    for _ in range(20):
        i = rng.randrange(2, len(word) - 1)
        kind = rng.choice(("swap", "drop", "replace"))
        if kind == "swap":
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "drop":
            out = word[:i] + word[i + 1 :]
        else:
            out = word[:i] + rng.choice("aeioustrnl") + word[i + 1 :]
        if out != word and not word.startswith(out):
            return out
    return word[:2] + word[3:]


def query_mix(rng: random.Random, vocab: Vocabulary, n: int) -> list[Query]:
    classes, class_cum = list(CLASSES), list(cumulative(list(CLASSES.values())))
    sorts, sort_cum = list(SORTS), list(cumulative(list(SORTS.values())))
    radii, radius_cum = list(RADII), list(cumulative(list(RADII.values())))
    city_cum = list(cumulative([c.weight for c in CITIES]))
    common_cum = list(cumulative([1.0 / math.sqrt(i + 1) for i in range(len(vocab.common))]))
    pair_words, pair_cum = [p for p, _ in vocab.pairs], list(cumulative([w for _, w in vocab.pairs]))
    out = []
    for _ in range(n):
        cls = rng.choices(classes, cum_weights=class_cum)[0]
        city = rng.choices(CITIES, cum_weights=city_cum)[0]
        lat, lng, _ = place(rng, city, centre=0.60, town=0.30)
        params: dict[str, Any] = {
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "radius_km": rng.choices(radii, cum_weights=radius_cum)[0],
        }

        def common() -> str:
            return rng.choices(vocab.common, cum_weights=common_cum)[0]

        if cls == "common word":
            params["q"] = common()
        elif cls == "rare word":
            params["q"] = rng.choice(vocab.rare)
        elif cls == "two words":
            params["q"] = rng.choices(pair_words, cum_weights=pair_cum)[0]
        elif cls == "typo":
            params["q"] = typo(rng, rng.choice(vocab.typo_sources))
        elif cls == "root category":
            params["category"] = rng.choice(vocab.roots)
            if rng.random() < 0.3:
                params["q"] = common()
        elif cls == "leaf category":
            params["category"] = rng.choice(vocab.leaves)
            if rng.random() < 0.3:
                params["q"] = common()
        elif cls == "price range":
            low, high = rng.choice(PRICE_RANGES)
            params.update({k: v for k, v in (("price_min", low), ("price_max", high)) if v is not None})
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "in stock":
            params["in_stock"] = True
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "delivery":
            params["delivery"] = "delivery"
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "has offer":
            params["has_offer"] = True
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "pickup + leaf + word":
            params.update(delivery="pickup", category=rng.choice(vocab.leaves), q=common(), in_stock=True)
        params["sort"] = rng.choices(sorts, cum_weights=sort_cum)[0]
        page = rng.choices((1, 2, 3), weights=(0.85, 0.10, 0.05))[0]
        if page > 1:
            params["page"] = page
        out.append(Query(cls=cls, params=params))
    return out
