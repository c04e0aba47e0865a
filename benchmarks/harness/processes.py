"""The processes a benchmark starts and measures: the Procfile's web server, the provider sandboxes, Celery workers on
a queue of the run's own, and client processes released together; the CPU each used.

Client processes are spawned, not forked: they hold no Django state and no inherited connection, and each script's
module is imported again in them, so what they run must import nothing heavy at module level.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness.bootstrap import ROOT
from benchmarks.harness.keepalive import KeepAliveClient
from benchmarks.harness.procfile import web_command

PORTS = range(8300, 8400)


def free_port() -> int:
    """The first port of PORTS nobody listens on (not `make run`'s 8000 or the sandboxes' 8100)."""
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


class WebServer:
    """The Procfile's web command with `workers` workers on a free port, in this environment (DATABASE_URL: the
    bench database) plus the Procfile web line's variables and `env` over them: what `make run` serves."""

    log_prefix = "bench-web-"

    def __init__(self, *, workers: int, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.workers = workers
        self.procfile_env, self.command = web_command(port=self.port, workers=workers)
        self.log = tempfile.NamedTemporaryFile(prefix=self.log_prefix, suffix=".log", delete=False)  # noqa: SIM115
        self.proc = self._start(
            self.command,
            env={**os.environ, **self.procfile_env, **(env or {}), "PLANCKLY_DEV": "1", "LOG_LEVEL": "WARNING"},
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def _start(self, command: list[str], *, env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 60.0) -> None:
        """Until GET /healthz answers 200; raises with the server's output if it exits or never does."""
        deadline = time.monotonic() + timeout
        client = KeepAliveClient(self.port)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.command[0]} exited with {self.proc.returncode}: {self.output()}")
                try:
                    if client.get("/healthz")[0] == 200:
                        return
                except OSError:  # not listening yet
                    client.close()
                time.sleep(0.1)
        finally:
            client.close()
        raise RuntimeError(f"{self.command[0]} did not answer /healthz in {timeout:.0f} s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def exceptions(self) -> Counter:
        """The exceptions the server logged (the last line of each traceback), counted."""
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return Counter(
            m.group(1) for m in re.finditer(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)\w*)\b", text, re.M)
        )

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        return [self.proc.pid, *children_of(self.proc.pid)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


class Sandboxes(WebServer):
    """The provider sandboxes (`uvicorn sandboxes.app:app`, one process as the Procfile's sandboxes line) on a free
    port, their SQLite state in a temporary directory removed at stop()."""

    log_prefix = "bench-sandboxes-"

    def __init__(self, *, env: dict[str, str]) -> None:
        self.data = tempfile.TemporaryDirectory(prefix="bench-sandboxes-")
        self.port = free_port()
        self.workers = 1
        self.procfile_env = {}
        self.command = [sys.executable, "-m", "uvicorn", "sandboxes.app:app", "--host", "127.0.0.1"]
        self.command += ["--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        self.log = tempfile.NamedTemporaryFile(prefix=self.log_prefix, suffix=".log", delete=False)  # noqa: SIM115
        self.proc = self._start(self.command, env={**env, "SANDBOX_DATA_DIR": self.data.name})
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        super().stop()
        self.data.cleanup()


class CeleryWorkers:
    """`count` x `celery worker --pool prefork --concurrency <concurrency>` on `queue` only, in this environment with
    DATABASE_URL and CELERY_QUEUE pointed at the run's; each logs to a file of its own (task run times are read from
    it)."""

    def __init__(self, *, queue: str, count: int, concurrency: int) -> None:
        self.queue, self.count, self.concurrency = queue, count, concurrency
        self.started: list[tuple[subprocess.Popen, Path]] = []
        self.names: list[str] = []

    def start(self) -> list[str]:
        """Start them; returns their node names (for ping and inspect)."""
        env = {**os.environ, "CELERY_QUEUE": self.queue, "PLANCKLY_DEV": "1"}
        for i in range(self.count):
            hostname = f"{self.queue}-{i}@%h"
            log = Path(tempfile.gettempdir()) / f"celery-{self.queue}-{i}.log"
            command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork"]
            command += ["--concurrency", str(self.concurrency), "-Q", self.queue, "-n", hostname]
            command += ["--without-gossip", "--without-mingle", "-l", "INFO"]
            with log.open("w") as log_file:
                process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
            self.started.append((process, log))
            self.names.append(hostname.replace("%h", os.uname().nodename))
        return self.names

    def alive_check(self) -> None:
        """Raise with its log's tail if a worker has exited."""
        for process, log in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"a celery worker exited: {log.read_text()[-3000:]}")

    def wait_ready(self, app: Any, timeout: float = 60.0) -> None:
        """Until every worker answers a ping of `app` (the Celery app)."""
        answered: set[str] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and answered != set(self.names):
            self.alive_check()
            for reply in app.control.ping(timeout=0.5, destination=self.names) or []:
                answered.update(reply)
        if answered != set(self.names):
            log = self.started[0][1].read_text()[-3000:]
            raise RuntimeError(f"celery workers did not answer ({answered} of {self.names}): {log}")

    def logs(self) -> str:
        return "".join(log.read_text(errors="replace") for _, log in self.started)

    def log_paths(self) -> list[Path]:
        return [log for _, log in self.started]

    def pids(self) -> list[int]:
        """The workers and their prefork children."""
        return [pid for process, _ in self.started for pid in (process.pid, *children_of(process.pid))]

    def stop(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def celery_queue_drop(queue: str) -> None:
    """Delete the run's queue and kombu's bindings for it from the broker, best effort: a leftover empty queue in the
    bench Redis database is harmless."""
    try:
        from config.celery import app  # Django's settings name the broker: only once the bench database is set

        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
            client = conn.default_channel.client
            leftovers = list(client.scan_iter(match=f"*{queue}*", count=500))
            if leftovers:
                client.delete(*leftovers)
    except Exception as exc:
        print(f"(could not delete queue {queue}: {exc})")


def shares(items: list, n: int) -> list[list]:
    """`items` dealt round-robin into `n` shares."""
    return [items[i::n] for i in range(n)]


def run_clients(target: Callable[..., None], per_process_args: list[tuple]) -> tuple[list, float]:
    """Start one spawned process per args tuple, release them together, collect their result lists. `target(*args,
    ready, start, results)` waits on the barrier `ready`, then on the event `start`, and puts one list on `results`.
    Returns (every row, the perf_counter of the release)."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(len(per_process_args) + 1)
    start = ctx.Event()
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, ready, start, results)) for args in per_process_args]
    for proc in procs:
        proc.start()
    ready.wait()
    time.sleep(0.5)  # every process is past the barrier and waiting on the event
    released = time.perf_counter()
    start.set()
    rows: list = []
    for _ in procs:
        rows.extend(results.get(timeout=600))
    for proc in procs:
        proc.join(30)
    return rows, released


def process_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by `pids` (Linux /proc; 0 for a pid that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
