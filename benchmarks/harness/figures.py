"""Figures: nearest-rank percentiles, latency summaries, and how a report prints them."""

from __future__ import annotations

import math
import statistics


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 10 samples is the maximum)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def summary(ms: list[float]) -> dict[str, float]:
    """p50, p95, max and mean of a few samples (runs of a slow operation)."""
    return {"p50": statistics.median(ms), "p95": percentile(ms, 95), "max": max(ms), "mean": statistics.fmean(ms)}


def stats(ms: list[float]) -> dict[str, float]:
    """n, p50, p90, p99, max and mean of latencies (NaN for none, so a report still prints)."""
    if not ms:
        return {"n": 0, "p50": math.nan, "p90": math.nan, "p99": math.nan, "max": math.nan, "mean": math.nan}
    return {
        "n": len(ms),
        "p50": statistics.median(ms),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
    }


def fmt_ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def latency(s: dict[str, float]) -> str:
    """`p50 …, p90 …, p99 …, max … ms` of a stats() summary, `-` for none."""
    if not s["n"]:
        return "-"
    return f"p50 {fmt_ms(s['p50'])}, p90 {fmt_ms(s['p90'])}, p99 {fmt_ms(s['p99'])}, max {fmt_ms(s['max'])} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
