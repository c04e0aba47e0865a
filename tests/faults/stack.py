"""The Procfile's processes for fault tests, started as `make run` starts them (same commands, threads and
variables; ports of their own) against the test database, a given Redis and the session's sandbox process.

`procfile_process("web", port=…)` runs one line; `serving_stack()` runs front + web + providers, the path a
customer's request takes (config/Caddyfile decides which of web and providers answers)."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.harness.procfile import procfile_line
from conftest import database_url_for_subprocess

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path
    command: list[str]
    env: dict[str, str]

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self, *, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        """Start the same command again (after stop())."""
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)


def process_env(**extra: str) -> dict[str, str]:
    """os.environ (the sandbox's URLs included, once `sandbox_server` ran) pointed at the test database."""
    return {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "PLANCKLY_DEV": "1", **extra}


@contextmanager
def procfile_process(name: str, *, port: int | None = None, env: dict[str, str], args: tuple[str, ...] = ()):
    """The Procfile line `name` with `--port port` (HTTP servers) and `args` appended; stopped on exit."""
    line_env, tokens = procfile_line(name)
    assert tokens, f"Procfile has no {name} line"
    if port is not None:
        tokens[tokens.index("--port") + 1] = str(port)
    log = Path(tempfile.mkstemp(prefix=f"fault-{name}-", suffix=".log")[1])
    full_env = {**env, **line_env}
    command = [*tokens, *args]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    process = Process(name, proc, log, command, full_env)
    try:
        yield process
    finally:
        process.stop()
        log.unlink(missing_ok=True)


def wait_healthy(base: str, *, process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise RuntimeError(f"{process.name} exited: {process.output()}")
        try:
            if httpx.get(f"{base}/healthz", headers={"Host": "localhost"}, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not answer /healthz: {process.output()}")


@dataclass
class Stack:
    base: str  # the front: what a browser or app talks to
    processes: dict[str, Process]


@contextmanager
def serving_stack(*, env: dict[str, str]) -> Iterator[Stack]:
    """front (Caddy) → web and providers (granian WSGI), each the Procfile's command, on free ports."""
    ports = {name: free_port() for name in ("front", "web", "providers")}
    with ExitStack() as stack:
        processes = {
            name: stack.enter_context(procfile_process(name, port=ports[name], env=env))
            for name in ("web", "providers")
        }
        front_env = {
            **env,
            "FRONT_PORT": str(ports["front"]),
            "WEB_PORT": str(ports["web"]),
            "PROVIDERS_PORT": str(ports["providers"]),
            "LIVE_PORT": str(free_port()),  # nobody: these tests open no stream through the front
        }
        processes["front"] = stack.enter_context(procfile_process("front", env=front_env))
        for name in ("web", "providers"):
            wait_healthy(f"http://127.0.0.1:{ports[name]}", process=processes[name])
        base = f"http://127.0.0.1:{ports['front']}"
        wait_healthy(base, process=processes["front"])
        yield Stack(base, processes)


class PrivateRedis:
    """A redis-server of the test's own on a free port (the machine's Redis is shared with other tests): stop() and
    start() it at will. Keeps nothing across a restart (`--save ""`), as a crashed Redis without persistence."""

    def __init__(self) -> None:
        import shutil

        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        command = [self.binary or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        for _ in range(200):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash: no goodbye to the clients
            self.proc.wait(10)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb into a temporary directory, a free port), holding a copy of
    the test database: the machine's cluster is shared with other tests running in parallel, so only this one may
    be restarted. PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user."""

    def __init__(self) -> None:
        import shutil

        self.bin = Path(shutil.which("pg_ctl") or "pg_ctl").resolve().parent
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/planckly_faults"

    @staticmethod
    def available() -> bool:
        import shutil

        return bool(shutil.which("pg_ctl") and shutil.which("initdb") and shutil.which("pg_dump"))

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # No pipes: a postmaster started by pg_ctl would inherit them and hold this call open.
        subprocess.run(
            [*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir
        )

    def start(self, *, copy_of: str) -> None:
        if os.geteuid() == 0:
            import shutil

            shutil.chown(self.dir, "postgres", "postgres")
        data = str(self.dir / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-o", options, "-l", str(self.dir / "log"), "-w", "start")
        target = f"postgresql://postgres@127.0.0.1:{self.port}"
        subprocess.run(["psql", f"{target}/postgres", "-qc", "CREATE DATABASE planckly_faults"], check=True)
        dump = subprocess.Popen(["pg_dump", "--no-owner", copy_of], stdout=subprocess.PIPE)
        subprocess.run(
            ["psql", f"{target}/planckly_faults", "-q", "-v", "ON_ERROR_STOP=1"],
            stdin=dump.stdout,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        assert dump.wait() == 0

    def restart(self) -> None:
        """A fast restart: every session is cut off mid-transaction (what a failover or a crash does to them)."""
        data, log = str(self.dir / "data"), str(self.dir / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        import shutil

        with suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
