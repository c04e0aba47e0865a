"""The environment every benchmark runs in, set on import (before Django reads its settings), and Django's setup."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("PLANCKLY_DEV", "1")  # what `make bench` exports: the sandboxes' default provider settings


def embedded_env(name: str) -> str:
    """`name` from the environment, else from the embedded services' .data/embedded.env (as settings read it)."""
    value = os.environ.get(name)
    if value:
        return value
    env_file = ROOT / ".data" / "embedded.env"
    for line in env_file.read_text().splitlines() if env_file.exists() else []:
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == name:
            return value.strip().strip("'\"")
    sys.exit(f"{name} is not set and .data/embedded.env has none: start the embedded services (make services)")


def redis_database_use(db: int) -> str:
    """Point REDIS_URL (this process and every process it starts) at database `db` of the same Redis server: a run's
    queue and cache keys stay out of dev data. Returns the new URL."""
    parts = urlsplit(embedded_env("REDIS_URL"))
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query)) | {"db": str(db)}
        url = urlunsplit(parts._replace(query=urlencode(query)))
    else:
        url = urlunsplit(parts._replace(path=f"/{db}"))
    os.environ["REDIS_URL"] = url
    return url


def django_start(*, quiet: bool = False) -> None:
    """django.setup() on the bench database; `quiet` keeps the 4xx a setup provokes and httpx's requests out of the
    output."""
    import django  # spawned client processes import the scripts too, and must not pay for Django

    django.setup()
    if quiet:
        logging.getLogger("django.request").setLevel(logging.ERROR)
        logging.getLogger("httpx").setLevel(logging.WARNING)


def shared_apps_migrate() -> float:
    """migrate_schemas --shared on the fresh bench database; returns the seconds it took."""
    from django.core.management import call_command  # Django is set up only once DATABASE_URL is the bench's

    started = time.perf_counter()
    call_command("migrate_schemas", "--shared", verbosity=0)
    return time.perf_counter() - started
