"""Structured logs: one JSON object per line, each carrying who and what it was about, nothing secret.

Every process (web and live under granian, Celery workers and beat) logs through the standard library; the root
handler's formatter is `formatter()` below (settings.LOGGING, and granian's own loggers through
config/granian_logging.json), so Django's, Celery's and our own `logging.getLogger(__name__)` lines all come out the
same way. structlog is the formatter's engine and is configured here too, for code that prefers
`structlog.get_logger()` and keyword facts.

What every line carries, from context variables bound where work starts:
- `request_id`: the request's (config/observability.py: an incoming X-Request-ID, else a new one; echoed back), and
  in a Celery task the id of the request that queued it (a message header set at publish, config/celery.py);
- `tenant` (the schema) and `user` (`user:<id>` or `guest:<uuid>`), read from the request as it stands when the line
  is written — a Bearer token is only checked inside the view, after the first middleware has run;
- `task_id` and `task` in a Celery task.

`redact` is the one place secrets and personal data are taken out: it runs last before rendering, on the message,
the keyword facts and the rendered traceback alike. PLANCKLY_DEV renders the same event as a readable console line.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import structlog
from structlog.types import EventDict

# The request being served on this thread (read lazily by `_request_facts`) and a task's facts: one context variable
# each, set once per request or task — cheaper than binding keys one by one, and nothing is read until a line is.
_current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("planckly_request", default=None)
_task_facts: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("planckly_task", default=None)


def request_bind(request: Any) -> contextvars.Token:
    """Start a request's log context (`request.request_id` is its id); hand the token to `request_unbind`."""
    return _current_request.set(request)


def request_unbind(token: contextvars.Token) -> None:
    _current_request.reset(token)


def context_bind(**facts: Any) -> contextvars.Token:
    """Bind facts (a task's ids, its tenant) to every line logged until `context_unbind`."""
    return _task_facts.set({k: v for k, v in facts.items() if v is not None})


def context_unbind(token: contextvars.Token) -> None:
    _task_facts.reset(token)


def current_request_id() -> str | None:
    """The request id in force (a request, or a task that a request queued): what a task published now inherits."""
    request = _current_request.get()
    if request is not None:
        return getattr(request, "request_id", None)
    facts = _task_facts.get()
    return facts.get("request_id") if facts else None


def _principal(request: Any) -> str | None:
    """Who the request is, without a query: ninja's `request.auth` once an auth class accepted it, else the session's
    user if the request already loaded it (an unevaluated lazy user is left alone: logging must not hit the
    database)."""
    auth = getattr(request, "auth", None)
    if auth is None:
        user = request.__dict__.get("user")
        if user is None or (getattr(user, "_wrapped", None) is not None and not _evaluated(user)):
            return None
        auth = user
    guest = getattr(auth, "guest", None)
    if guest is not None:
        return f"guest:{guest.pk}"
    if getattr(auth, "is_authenticated", False) and getattr(auth, "pk", None) is not None:
        return f"user:{auth.pk}"
    return None


def _evaluated(lazy: Any) -> bool:
    from django.utils.functional import empty  # kernel imports Django lazily: granian's main process has no settings

    return lazy._wrapped is not empty


def _request_facts(logger: Any, method: str, event: EventDict) -> EventDict:
    facts = _task_facts.get()
    if facts:
        for key, value in facts.items():
            event.setdefault(key, value)
    request = _current_request.get()
    if request is None:
        return event
    request_id = getattr(request, "request_id", None)
    if request_id is not None:
        event.setdefault("request_id", request_id)
    tenant = getattr(request, "tenant", None)
    if tenant is not None:
        event.setdefault("tenant", tenant.schema_name)
    principal = _principal(request)
    if principal is not None:
        event.setdefault("user", principal)
    return event


# ---- redaction ----------------------------------------------------------------------------------------------------
REDACTED = "[redacted]"
# Keys whose whole value is withheld, wherever they appear (keyword facts, nested dicts, `extra=`).
_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|authori[sz]ation|signature|api[_-]?key|otp|mpin|salt|cookie|session|csrf|securehash"
    r"|phone|msisdn|mobile|^to$",
    re.IGNORECASE,
)
_PHONE = "[phone]"
# (pattern, replacement) applied to every string, in this order.
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # HTTP credentials: "Bearer <anything>", "Basic <anything>"
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9._~+/=-]+"), r"\1\2" + REDACTED),
    # JWTs (access, refresh, guest tokens) wherever they appear, e.g. in a URL
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # key=value / "key": "value" for secret-ish names (query strings, form bodies, JSON, provider payloads)
    (
        re.compile(
            r"(?i)(\b[\w-]*(?:password|secret|token|signature|api[_-]?key|mpin|salt|securehash|hash)[\w-]*"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"
        ),
        r"\1" + REDACTED,
    ),
    # one-time codes: digits shortly after a word that names them ("code is 482913", "otp=4829", "'code': '1234'")
    (re.compile(r"(?i)(\b(?:code|otp|pin|mpin|passcode)\b\D{0,20}?)\b\d{4,8}\b"), r"\1" + REDACTED),
    # ... and before it, as the sign-in SMS puts it ("482913 is your Planckly code")
    (re.compile(r"(?i)\b\d{4,8}\b(?=\D{0,24}\b(?:code|otp|pin|passcode)\b)"), REDACTED),
    # links that are their own credential: tracking links, console sign-in hand-offs
    (re.compile(r"/(track|console-signin)/[^/\s?\"'#]+"), r"/\1/" + REDACTED),
    # HMAC signatures and other long hex digests
    (re.compile(r"\b[0-9a-fA-F]{40,}\b"), REDACTED),
    # phone numbers: E.164 (+92 300 1234567, 0092..., %2B92...) and Pakistani local mobile numbers (0300-1234567)
    (re.compile(r"(?:\+|%2B|\b00)\d{1,3}[\s.-]?\(?\d{2,4}\)?(?:[\s.-]?\d){5,10}\b"), _PHONE),
    (re.compile(r"(?<![\w+])(?:92|0)3\d{2}[\s.-]?\d{7}\b"), _PHONE),
)
# Settings whose values are credentials: their literal values are withheld wherever they show up in a line.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "SMS_AUTH_TOKEN",
    "FOREE_API_KEY",
    "JAZZCASH_PASSWORD",
    "JAZZCASH_INTEGRITY_SALT",
    "UBER_DIRECT_CLIENT_SECRET",
    "UBER_DIRECT_WEBHOOK_SIGNING_KEY",
    "POSTEX_API_TOKEN",
    "METRICS_TOKEN",
    "CLOUDINARY_URL",
)
_MIN_LITERAL = 8  # shorter values (a sandbox MPIN "1234") would blank ordinary numbers; the rules above cover them
_literals: tuple[str, ...] | None = None


def _secret_literals() -> tuple[str, ...]:
    global _literals
    if _literals is not None:
        return _literals
    from django.conf import settings  # kernel imports Django lazily: granian's main process has no settings

    if not settings.configured:
        return ()
    found = {str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS}
    cloudinary = re.match(r"cloudinary://([^:@]+):([^@]+)@", str(getattr(settings, "CLOUDINARY_URL", "")))
    if cloudinary:
        found |= {cloudinary.group(2)}
    _literals = tuple(sorted((s for s in found if len(s) >= _MIN_LITERAL), key=len, reverse=True))
    return _literals


def secret_literals_forget() -> None:
    """Tests that change a secret setting call this so the new value is withheld too."""
    global _literals
    _literals = None


def redact_text(text: str) -> str:
    for literal in _secret_literals():
        if literal in text:
            text = text.replace(literal, REDACTED)
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str | None, value: Any) -> Any:
    if key is not None and _SECRET_KEY.search(key):
        if value is None or value == "":
            return value
        return _PHONE if re.search(r"phone|msisdn|mobile|^to$", key, re.IGNORECASE) else REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(None, v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(repr(value) if not isinstance(value, BaseException) else f"{type(value).__name__}: {value}")


_CONTEXT_KEYS = frozenset({"request_id", "tenant", "user", "task_id", "task", "level", "logger", "timestamp"})


def redact(logger: Any, method: str, event: EventDict) -> EventDict:
    """The one redaction step (structlog processor): phone numbers, Bearer and JWT tokens, one-time codes,
    signatures, provider secrets and credential links leave the line as placeholders."""
    return {key: value if key in _CONTEXT_KEYS else _redact_value(key, value) for key, value in event.items()}


# ---- configuration ------------------------------------------------------------------------------------------------
def _shared_processors() -> list[Callable[..., EventDict]]:
    return [
        structlog.contextvars.merge_contextvars,
        _request_facts,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _json_dumps(event: EventDict, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def _configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(dev: bool | None = None) -> logging.Formatter:
    """The root handler's formatter (a dictConfig `()` factory): JSON lines, or a console line when `dev` (default:
    as settings.py decides it — LOG_FORMAT=console|json, else console under PLANCKLY_DEV). Also points structlog's
    own loggers at the standard library."""
    if dev is None:
        dev = os.environ.get("LOG_FORMAT") == "console" or (
            "LOG_FORMAT" not in os.environ and os.environ.get("PLANCKLY_DEV", "").lower() in ("1", "true", "yes", "on")
        )
    _configure_structlog()
    renderer: Callable[..., Any]
    if dev:
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    else:
        renderer = structlog.processors.JSONRenderer(serializer=_json_dumps)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # the traceback becomes text first, so `redact` reads it too
            redact,
            renderer,
        ],
    )


def logging_config(*, dev: bool, level: str, quiet: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """settings.LOGGING: everything through the root handler and `formatter`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "kernel.logs.formatter", "dev": dev}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {name: {"level": name_level} for name, name_level in quiet},
    }
