"""The Procfile's lines as a benchmark runs them: the web server and the Celery workers of `make run`, with the same
server, interface, threads and environment, on a port of the benchmark's own."""

from __future__ import annotations

import re
import shlex
import sys
from importlib.metadata import version
from pathlib import Path

from benchmarks.harness.bootstrap import ROOT


def procfile_line(process: str) -> tuple[dict[str, str], list[str]]:
    """The Procfile line of `process` ("web", "worker"): its NAME=value prefix and the command's tokens."""
    procfile = ROOT / "Procfile"
    for line in procfile.read_text().splitlines() if procfile.exists() else []:
        if line.startswith(f"{process}:"):
            env: dict[str, str] = {}
            tokens = shlex.split(line[len(process) + 1 :])
            while tokens and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", tokens[0]):
                name, _, value = tokens.pop(0).partition("=")
                env[name] = value
            return env, tokens
    return {}, []


def option_value(tokens: list[str], option: str, default: str = "") -> str:
    """The value of `--option value` or `--option=value` in a command's tokens."""
    for i, token in enumerate(tokens):
        if token == option and i + 1 < len(tokens):
            return tokens[i + 1]
        if token.startswith(f"{option}="):
            return token.split("=", 1)[1]
    return default


def procfile_web() -> tuple[dict[str, str], int]:
    """The Procfile web line's NAME=value prefix and its --workers (the server runs with both)."""
    env, tokens = procfile_line("web")
    return env, int(option_value(tokens, "--workers", "1"))


def procfile_worker() -> tuple[dict[str, str], int]:
    """The Procfile worker line's NAME=value prefix and its --concurrency (the workers run with both)."""
    env, tokens = procfile_line("worker")
    return env, int(option_value(tokens, "--concurrency", "2"))


def web_command(*, port: int, workers: int | None = None) -> tuple[dict[str, str], list[str]]:
    """The Procfile web line (its NAME=value prefix, its command) bound to 127.0.0.1:`port`, with `workers` workers
    when given: a benchmark serves what `make run` serves, with the same server, interface and threads."""
    env, tokens = procfile_line("web")
    if not tokens:
        sys.exit("Procfile has no web line")
    options = {"--host": "127.0.0.1", "--port": str(port)} | ({"--workers": str(workers)} if workers else {})
    for option, value in options.items():
        if option in tokens:
            tokens[tokens.index(option) + 1] = value
        else:
            tokens += [option, value]
    return env, tokens


def web_label(*, workers: int | None = None) -> str:
    """The web server as a report names it: its package and version and the Procfile command (host and port left
    out), e.g. `granian 2.8.7: granian --interface wsgi config.wsgi:application --workers 2 ...`."""
    _, tokens = web_command(port=0, workers=workers)
    name = Path(tokens[0]).name
    shown, skip = [name], False
    for token in tokens[1:]:
        if skip:
            skip = False
        elif token in ("--host", "--port"):
            skip = True
        else:
            shown.append(token)
    try:
        return f"{name} {version(name)}: {' '.join(shown)}"
    except Exception:
        return " ".join(shown)
