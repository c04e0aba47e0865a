"""What every report prints: sections, the machine it ran on, markdown tables for docs/benchmarks.md, the wall time."""

from __future__ import annotations

import os
import platform
import re
import time
from importlib.metadata import version
from pathlib import Path


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 100 - len(title)), flush=True)


def rows_print(rows: list[tuple[str, str]], width: int = 15) -> None:
    """`label  value` lines, the values aligned."""
    for label, value in rows:
        print(f"{label:<{width}}{value}")


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]] | list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def machine_rows(pg: dict[str, str], server: str, *, shown: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The report's first lines: CPU, RAM and load, OS and Python, PostgreSQL (its version() and the settings
    `shown` of `pg`, from database.postgres_settings)."""
    machine = machine_info()
    settings = ", ".join(f"{name}={pg[name]}" for name in shown)
    return [
        ("CPU", f"{machine['cpu']}, {machine['cores']} cores; RAM {machine['ram']}"),
        ("Load average", " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (before the measurements)"),
        ("OS / Python", f"{machine['os']} / Python {machine['python']}"),
        ("PostgreSQL", pg["version"]),
        ("", f"{server}" + (f", {settings}" if settings else "")),
    ]


def machine_line() -> str:
    """The start of a markdown block's `Machine:` sentence: `Machine: <cpu>, <n> cores, <ram> RAM`."""
    machine = machine_info()
    return f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM"


def redact(url: str) -> str:
    """`url` with its password starred."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def wall_time(run_started: float) -> None:
    print(f"\nTotal benchmark wall time: {time.perf_counter() - run_started:.0f} s")


def versions(*packages: str) -> str:
    """`5.2.19, django-tenants 4.0.1, …`: Django's version, then each package's (a report's `Django` line)."""
    return ", ".join([version("django"), *(f"{p} {version(p)}" for p in packages)])
