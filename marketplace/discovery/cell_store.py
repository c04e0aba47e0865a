"""Frequent words' branch cells, kept in Redis for every process of the deployment.

Counting a word's cells in a branch reads every hit of the word there (cell_counts.word_cells_count); a web process
meeting a word near branches it has not seen would pay it once per process. So counts live here, counted once per
(word, branch version) by whoever meets it first — beat, ahead of the searches (cell_refresh.py), or a search for a
branch that changed since — and read by the others.

A hash per (database, word), a field per branch: (version, best, n), then the n ids and the n packed cells,
little-endian int64, decoded with `np.frombuffer` (no per-value work). Named by the database's oid as well as its
name: a database dropped and created again restarts the version sequence. Redis is a cache here: when it fails, a
search counts from the rows as a process alone would.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from django.db import connection
from redis import RedisError

from kernel.cache import redis_client
from marketplace.discovery.cell_counts import WordCellsRow, Words

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("<qdq")
_TTL_SECONDS = 2 * 86_400  # a word nobody searched and beat stopped counting (it became rare) goes away


@lru_cache(maxsize=8)
def _database_key(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        return f"{name}:{cursor.fetchone()[0]}"


def _prefix() -> str:
    return f"search:word-cells:{_database_key(connection.settings_dict['NAME'])}:"


def _key(words: Words) -> str:
    return _prefix() + words.key


def shared_keys_pattern() -> str:
    """The Redis keys of this database's word cells, as a SCAN pattern."""
    return _prefix() + "*"


def branch_field(merchant_id: int, branch_id: int) -> str:
    """The hash field of a branch."""
    return f"{merchant_id}:{branch_id}"


def _encode(row: WordCellsRow) -> bytes:
    header = _HEADER.pack(row.version, row.best, len(row.ids))
    return header + np.array(row.ids, dtype="<i8").tobytes() + np.array(row.packed, dtype="<i8").tobytes()


def _decode(merchant_id: int, branch_id: int, value: bytes) -> WordCellsRow:
    version, best, n = _HEADER.unpack_from(value)
    ids = np.frombuffer(value, dtype="<i8", count=n, offset=_HEADER.size)
    packed = np.frombuffer(value, dtype="<i8", count=n, offset=_HEADER.size + 8 * n)
    return WordCellsRow(merchant_id, branch_id, version, ids, packed, best)


def word_cells_get(words: Words, branches: Sequence[tuple[int, int]]) -> dict[tuple[int, int], WordCellsRow]:
    """(merchant_id, branch_id) -> the counts Redis holds for them, at whatever version it holds (none if Redis
    fails: then they are counted, as by a process alone). One HMGET."""
    try:
        values = redis_client().hmget(_key(words), [branch_field(m, b) for m, b in branches])
    except RedisError:
        logger.warning("word cells: Redis unavailable, counting from the rows", exc_info=True)
        return {}
    return {(m, b): _decode(m, b, value) for (m, b), value in zip(branches, values, strict=True) if value is not None}


def word_cells_put(words: Words, rows: Sequence[WordCellsRow]) -> None:
    """Keep counted rows for every process. A lost write only costs a later count."""
    if not rows:
        return
    mapping = {branch_field(row.merchant_id, row.branch_id): _encode(row) for row in rows}
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            pipe.hset(_key(words), mapping=mapping)
            pipe.expire(_key(words), _TTL_SECONDS)
            pipe.execute()
    except RedisError:
        logger.warning("word cells: Redis unavailable, counts kept in this process only", exc_info=True)


def word_cells_forget_others(words: Words, fields: set[str]) -> None:
    """Drop the word's fields other than `fields` (`branch_field`s): branches gone."""
    try:
        client = redis_client()
        gone = [field for field in client.hkeys(_key(words)) if field.decode() not in fields]
        if gone:
            client.hdel(_key(words), *gone)
    except RedisError:
        logger.warning("word cells: Redis unavailable", exc_info=True)
