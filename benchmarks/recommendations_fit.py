"""Training's numbers alone, at the benchmark's shape: `python -m benchmarks.recommendations_fit [--events N ...]`.

Generates a skewed log straight into arrays (numpy: busy and quiet shoppers, Zipf items within taste groups,
baskets of a few items seconds apart, kinds mostly views), saves it, then trains it in a child process
(`shared_apps.recommendations.training`: model choice within the budget, the final fit, similar, together and
popular lists) and prints the child's wall time and peak resident memory. Reading the events from PostgreSQL is
not in this figure (the end-to-end benchmark times `recommendations_train` itself).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DAY = 86400.0
KINDS = (0.25, 0.4, 0.7, 1.0)  # view, search click, add to cart, purchase (marketplace.recommendations.training)
KIND_SHARES = (0.6, 0.15, 0.15, 0.1)


def log_generate(*, events: int, users: int, items: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = max(1, items // 300)
    group_of = rng.integers(0, groups, items)
    order = np.argsort(group_of, kind="stable")
    starts = np.searchsorted(group_of[order], np.arange(groups + 1))
    baskets = events // 3
    activity = 1.0 / np.arange(1, users + 1) ** 0.8
    basket_users = rng.choice(users, size=baskets, p=activity / activity.sum())
    tastes = rng.integers(0, groups, (users, 3))
    focused = rng.random(baskets) < 0.8
    chosen_taste = tastes[basket_users, rng.integers(0, 3, baskets)]
    basket_groups = np.where(focused, chosen_taste, rng.integers(0, groups, baskets))
    sizes = 1 + rng.poisson(2.0, baskets)
    event_basket = np.repeat(np.arange(baskets), sizes)[:events]
    group = basket_groups[event_basket]
    width = starts[group + 1] - starts[group]
    rank = np.minimum(np.floor(rng.pareto(1.0, event_basket.size)).astype(np.int64), width - 1)  # Zipf-like
    item = order[starts[group] + np.maximum(rank, 0) % np.maximum(width, 1)]
    basket_times = np.sort(rng.uniform(0, 180 * DAY, baskets)) + 1_767_225_600
    position = np.arange(event_basket.size) - np.searchsorted(event_basket, event_basket)
    times = basket_times[event_basket] + 20.0 * position
    kind = rng.choice(len(KINDS), size=event_basket.size, p=KIND_SHARES)
    return {
        "users": basket_users[event_basket].astype(np.int64),
        "items": item.astype(np.int64),
        "times": times,
        "weights": np.asarray(KINDS, dtype=np.float32)[kind],
        "purchase": kind == len(KINDS) - 1,
        "cells": rng.integers(0, 400, items),  # each item sold in one of 400 H3 cells
    }


def child(path: str, seconds: float, memory_mb: float) -> None:
    import scipy.sparse as sp

    from shared_apps.recommendations.training import Budget, Log, model_train, popular_lists, together_lists

    started = time.monotonic()
    data = dict(np.load(path))
    users, items = int(data["users"].max()) + 1, int(data["cells"].size)
    budget = Budget(seconds=seconds, memory_mb=memory_mb, started=started)
    log = Log(data["users"], data["items"], data["times"], data["weights"], users, items)

    def say(text: str) -> None:
        print(f"  {time.monotonic() - started:6.1f}s {text}", file=sys.stderr)

    trained = model_train(log=log, budget=budget, progress=say)
    bought = data["purchase"]
    together_started = time.monotonic()
    together_lists(
        users=data["users"][bought], items=data["items"][bought], times=data["times"][bought], item_count=items
    )
    together_seconds = time.monotonic() - together_started
    cell_items = sp.csr_matrix((np.ones(items, np.float32), (data["cells"], np.arange(items))), shape=(400, items))
    popular_lists(
        items=data["items"], times=data["times"], weights=data["weights"], cell_items=cell_items,
        now=float(data["times"].max()),
    )  # fmt: skip
    print(json.dumps({
        "algorithm": trained.algorithm, "setting": trained.setting, "validation": trained.validation,
        "effort": trained.effort, "users": trained.users, "items": trained.items, "events": trained.events,
        "tune_seconds": round(trained.tune_seconds, 1), "fit_seconds": round(trained.fit_seconds, 1),
        "together_seconds": round(together_seconds, 1), "seconds": round(time.monotonic() - started, 1),
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=150_000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--memory-mb", type=float, default=4096.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.seconds, args.memory_mb)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "log.npz")
        made = time.monotonic()
        np.savez(path, **log_generate(events=args.events, users=args.users, items=args.items))
        print(f"generated {args.events:,} events in {time.monotonic() - made:.1f}s", file=sys.stderr)
        started = time.monotonic()
        command = [sys.executable, "-m", "benchmarks.recommendations_fit", "--child", path,
                   "--seconds", str(args.seconds), "--memory-mb", str(args.memory_mb)]  # fmt: skip
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        wall = time.monotonic() - started
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures |= {"wall_seconds": round(wall, 1), "peak_rss_mb": round(peak_mb)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
