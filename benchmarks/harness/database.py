"""The bench database: a fresh database next to the source one (DATABASE_URL, or the embedded server's), made this
process's DATABASE_URL before Django reads its settings, and dropped at the end. Dev data is never touched."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from benchmarks.harness.bootstrap import embedded_env

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def source_database_url() -> str:
    """DATABASE_URL from the environment, else the embedded server's from .data/embedded.env (as settings do)."""
    return embedded_env("DATABASE_URL")


def bench_database_url(source_url: str, name: str | None) -> tuple[str, str]:
    """(url, name) of the bench database `name` (default `<source>_bench`) on the source's server; exits on a name
    that is unsafe to interpolate or is the source's own."""
    parts = urlsplit(source_url)
    source_name = unquote(parts.path.lstrip("/")) or "planckly"
    bench_name = name or f"{source_name}_bench"
    if not _DB_NAME.match(bench_name):
        sys.exit(f"unsafe bench database name {bench_name!r}")
    if bench_name == source_name:
        sys.exit("the bench database must not be the source database")
    return urlunsplit(parts._replace(path="/" + bench_name)), bench_name


@contextmanager
def bench_database(*, name: str | None, suffix: str = "bench", keep: bool = False) -> Iterator[tuple[str, str]]:
    """A fresh database `<source>_<suffix>` (or `name`) on the source's server, made the process's DATABASE_URL;
    dropped afterwards unless `keep`. Yields (url, name)."""
    source_url = source_database_url()
    source_name = unquote(urlsplit(source_url).path.lstrip("/")) or "planckly"
    bench_url, bench_name = bench_database_url(source_url, name or f"{source_name}_{suffix}")
    database_recreate(bench_url, bench_name)
    os.environ["DATABASE_URL"] = bench_url
    try:
        yield bench_url, bench_name
    finally:
        if keep:
            print(f"\nBench database kept: {bench_name}")
        else:
            try:
                from django.db import connections  # only if the run got as far as Django

                connections.close_all()
            except Exception:  # noqa: S110 - Django may not be set up yet; the drop below forces connections out
                pass
            database_drop(bench_url, bench_name)
            print(f"\nBench database {bench_name} dropped.")


def bench_database_reuse(name: str) -> str:
    """Point DATABASE_URL at an existing (kept) bench database `name`, never dropped; exits if there is none.
    Returns its url."""
    url, name = bench_database_url(source_database_url(), name)
    with maintenance_connect(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            sys.exit(f"--reuse: database {name} does not exist")
    os.environ["DATABASE_URL"] = url
    return url


def conninfo(url: str) -> str:
    """A DATABASE_URL as psycopg takes it (the `postgres://` scheme spelled `postgresql://`)."""
    return url.replace("postgres://", "postgresql://", 1)


def maintenance_connect(url: str) -> Any:
    """psycopg connection to the `postgres` maintenance database of the server in `url` (autocommit)."""
    import environ  # the scripts' client processes never connect here: keep them light
    import psycopg  # (as above)

    config = environ.Env.db_url_config(url)
    params = {"dbname": "postgres", "user": config.get("USER") or None, "password": config.get("PASSWORD") or None}
    if config.get("HOST"):
        params["host"] = unquote(config["HOST"])  # socket dirs arrive %-encoded
    if config.get("PORT"):
        params["port"] = str(config["PORT"])
    params.update(config.get("OPTIONS", {}))
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v is not None})


def database_recreate(url: str, name: str) -> None:
    with maintenance_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str, name: str) -> None:
    with maintenance_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_settings(*names: str) -> dict[str, str]:
    """`version` (the full version() string) and current_setting(name) for each of `names`, on Django's connection."""
    from django.db import connection  # Django is set up only once DATABASE_URL is the bench's

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        found = {"version": cursor.fetchone()[0]}
        cursor.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(names)])
        found.update(cursor.fetchall())
    return found


def database_server() -> str:
    """host:port of Django's database, as a report names it."""
    from django.conf import settings  # (as above)

    db = settings.DATABASES["default"]
    return (db["HOST"] or "localhost") + (f":{db['PORT']}" if db.get("PORT") else "")


def rows_dict(sql: str, params: Any = None) -> dict:
    """The rows of a two-column statement on Django's connection, as {first column: second column}."""
    from django.db import connection  # (as above)

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())
