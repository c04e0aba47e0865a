"""What `make run`'s front costs the pages: the same requests sent straight to the Procfile's `web` (granian WSGI, as
before the live streams) and through the Procfile's `front` (Caddy, routing the stream paths to `live` and every
other path to `web`), back to back, from one keep-alive client — latency per request and the front's CPU per request.
The figures behind docs/decisions/0011-live-streams.md.

Run from the repo root:

    .venv/bin/python benchmarks/live_front.py [--requests 2000] [--rounds 3]

A database `<name>_front` on the DATABASE_URL server (shared apps migrated, no listings: the front's cost does not
depend on what the page does, so the cheapest pages show it best), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `make bench` runs the scripts from the repo root

from benchmarks.harness import report
from benchmarks.harness.bootstrap import ROOT, django_start, redis_database_use, shared_apps_migrate
from benchmarks.harness.database import bench_database
from benchmarks.harness.figures import fmt_ms, stats
from benchmarks.harness.keepalive import KeepAliveClient
from benchmarks.harness.processes import WebServer, free_port, process_cpu_s
from benchmarks.harness.procfile import procfile_line

PATHS = ("/healthz", "/api/v1/search?q=rice&lat=31.5102&lng=74.3443", "/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per path, per round and route")
    parser.add_argument("--rounds", type=int, default=3, help="direct/front rounds, alternated (default 3)")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_front)")
    args = parser.parse_args()
    redis_database_use(args.redis_db)
    with bench_database(name=args.db_name, suffix="front") as _:
        django_start(quiet=True)
        shared_apps_migrate()
        return run(args)


def run(args: argparse.Namespace) -> int:
    web = WebServer(workers=2)
    web.wait()  # listening: the front's port is another one
    front_port = free_port()
    env, tokens = procfile_line("front")
    log = tempfile.TemporaryFile()  # noqa: SIM115
    front = subprocess.Popen(
        tokens,
        cwd=ROOT,
        env={**os.environ, **env, "FRONT_PORT": str(front_port), "WEB_PORT": str(web.port), "LIVE_PORT": "9"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(1.0)
        results: dict[tuple[str, str], list[float]] = {}
        front_cpu: list[float] = []
        for round_ in range(args.rounds):
            routes = (("direct", web.port), ("front", front_port))
            for route, port in routes if round_ % 2 == 0 else routes[::-1]:  # neither always goes first
                for path in PATHS:
                    _times(port, path, 50)  # warm this route's connection and the view
                    before = process_cpu_s([front.pid])
                    results.setdefault((route, path), []).extend(_times(port, path, args.requests))
                    if route == "front":
                        front_cpu.append((process_cpu_s([front.pid]) - before) / args.requests * 1000)
    finally:
        front.terminate()
        front.wait(10)
        web.stop()
    report.section("Latency per request, one keep-alive client (ms)")
    rows = []
    for path in PATHS:
        direct, via = stats(results[("direct", path)]), stats(results[("front", path)])
        rows.append(
            (
                path.split("?")[0],
                f"p50 {fmt_ms(direct['p50'])}, p99 {fmt_ms(direct['p99'])}",
                f"p50 {fmt_ms(via['p50'])}, p99 {fmt_ms(via['p99'])}",
                f"{via['p50'] - direct['p50']:+.2f}",
            )
        )
    report.markdown_table(("path", "straight to web (granian WSGI)", "through front (Caddy)", "p50 cost"), rows)
    print(f"\nCaddy CPU per request: {sum(front_cpu) / len(front_cpu):.2f} ms ({report.machine_line()})")
    return 0


def _times(port: int, path: str, n: int) -> list[float]:
    client = KeepAliveClient(port)
    times = []
    try:
        for _ in range(n):
            started = time.perf_counter()
            status, _ = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
    finally:
        client.close()
    return times


if __name__ == "__main__":
    sys.exit(main())
