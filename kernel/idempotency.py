"""Idempotency: one rule for every write that takes an `Idempotency-Key` (checkout, stock writes, payment attempts).

A client that did not hear the answer sends the same request again with the same key, and must get the first
answer instead of a second effect. Each domain keeps its keys where its writes live — the keyed row (an order, a
stock movement, a payment attempt) stores the key under a unique index next to the fingerprint of the request that
used it — and every domain applies this module's rule to them:

| the key was seen before with ...  | answer                                                           |
|-----------------------------------|------------------------------------------------------------------|
| nothing (a new key)               | the write runs                                                   |
| the same request (fingerprint)    | the earlier result, replayed: nothing runs a second time         |
| another request                   | the domain's conflict error (409): a key names one request       |
| (no key sent)                     | the write runs, with no protection against a retry               |

Concurrent twins (one key, two requests at once) are serialised by the database, not by this module: the write
inserts its keyed row inside its own transaction, so a twin's insert blocks on the unique index until the first
transaction ends — then fails if the first committed (the twin replays it) or goes on if it rolled back (the twin is
the first now). A write may also serialise its twins earlier on a row lock it takes before writing (payment
attempts lock their intent); the rule is the same.

The earlier result is looked up only when the write cannot go on — the unique index refused it, or a domain error
(sold out since, paid already) that a retry of a write that succeeded may well run into: the client must get that
success, not an error the first write itself caused. A new key therefore costs no extra query.

`IdempotencyKeyHeader` is the one declaration of the header, so every route's OpenAPI names it `Idempotency-Key`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from ninja import Header

from kernel.errors import DomainError, ErrorCode

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 80  # every keyed table's column is varchar(80)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description=(
            f"1-{KEY_MAX_LENGTH} printable characters naming this request: the same key with the same body replays "
            "the first answer; with another body it is a 409."
        ),
    ),
]

T = TypeVar("T")


class IdempotencyErrorCode(ErrorCode):
    KEY_INVALID = (
        "idempotency_key_invalid",
        400,
        f"An Idempotency-Key is 1-{KEY_MAX_LENGTH} printable characters.",
    )


class IdempotencyError(DomainError):
    pass


@dataclass(frozen=True)
class Earlier(Generic[T]):
    """What a key's first request left behind: its result and that request's fingerprint (None for a row written
    before fingerprints were kept: it replays, as it did then)."""

    result: T
    fingerprint: str | None


@dataclass(frozen=True)
class Idempotent(Generic[T]):
    result: T
    replayed: bool  # the earlier result of this key: the write did not run again


def idempotency_key_clean(raw: str | None) -> str | None:
    """The key as stored, or None when none was sent (absent or blank). Raises IdempotencyError(KEY_INVALID) for a
    key longer than the columns hold or with unprintable characters."""
    key = (raw or "").strip()
    if not key:
        return None
    if len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise IdempotencyError(IdempotencyErrorCode.KEY_INVALID, field=IDEMPOTENCY_HEADER)
    return key


def request_fingerprint(fields: Mapping[str, Any]) -> str:
    """A request's identity for its key: the SHA-256 of its fields as canonical JSON (keys sorted, no spaces), so
    the order in which a client sends them does not count. The caller normalises what else must not count (e.g.
    the order of a list that is a set)."""
    body = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def idempotent_replay(
    *,
    key: str,
    fingerprint: str,
    find: Callable[[str], Earlier[T] | None],
    conflict: Callable[[], Exception],
) -> T | None:
    """The replay/mismatch rule: the earlier result of `key` when it came with this same request, None when the key
    is new; raises `conflict()` when the key came with another request."""
    earlier = find(key)
    if earlier is None:
        return None
    if earlier.fingerprint is not None and earlier.fingerprint != fingerprint:
        raise conflict()
    return earlier.result


def idempotent_write(
    *,
    key: str | None,
    fingerprint: str,
    find: Callable[[str], Earlier[T] | None],
    write: Callable[[], T],
    conflict: Callable[[], Exception],
) -> Idempotent[T]:
    """Run `write` once per key. `write` must store `key` and `fingerprint` in a row under a unique index on the key,
    inside its transaction; `find(key)` returns what that row's write returned. With a key, `write` runs in a
    transaction (a savepoint inside the caller's), so a refused insert leaves the caller's transaction usable.
    Without a key, `write` runs as it is: a write of several statements opens its own transaction.

    Returns the fresh result, or the earlier one (`replayed`) when the write failed — a twin holding the key, or
    any DomainError — and the key was used before with this same request. Raises `conflict()` when the key was used
    for another request, and the write's own error when the key is new."""
    if key is None:
        return Idempotent(write(), replayed=False)
    try:
        with transaction.atomic():
            return Idempotent(write(), replayed=False)  # a twin with the same key blocks here until we end
    except (IntegrityError, DomainError):
        earlier = idempotent_replay(key=key, fingerprint=fingerprint, find=find, conflict=conflict)
        if earlier is None:
            raise
        return Idempotent(earlier, replayed=True)
