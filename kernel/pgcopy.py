"""PostgreSQL's binary COPY to and from numpy arrays: millions of rows without a Python object per row.

A row of fixed-width, non-null columns (bigint, integer, smallint, double precision, boolean) has the same size in
COPY's binary format, so a stream of them is a numpy structured array: `copy_out_arrays` reads a query's result in
blocks straight into one array per column. `copy_in_arrays` writes rows the same way; array columns (bigint[],
double precision[]) are written for all rows of one length at once, so a table of top-N lists is a few numpy
records per distinct length, not a string per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # signature, flags, no extension
TRAILER = b"\xff\xff"
# PostgreSQL type → (numpy big-endian type, element OID for arrays)
TYPES = {
    "int8": (">i8", 20),
    "int4": (">i4", 23),
    "int2": (">i2", 21),
    "float8": (">f8", 701),
    "bool": ("?", 16),
}
READ_BLOCK_BYTES = 32 * 2**20  # parse the stream every this many bytes: memory stays near the arrays themselves


class CopyFormatError(ValueError):
    """The stream is not rows of the declared fixed-width, non-null columns."""


def _row_dtype(fields: Sequence[tuple[str, str]]) -> np.dtype:
    parts: list[tuple[str, str]] = [("__count", ">i2")]
    for name, pg_type in fields:
        parts += [(f"__length_{name}", ">i4"), (name, TYPES[pg_type][0])]
    return np.dtype(parts)


def copy_out_arrays(cursor, query: str, fields: Sequence[tuple[str, str]], params=None) -> dict[str, np.ndarray]:
    """Run `COPY (query) TO STDOUT (FORMAT BINARY)` on a psycopg cursor; one native-endian array per field.

    `fields`: (name, PostgreSQL type) in the query's column order; every value must be non-null (COALESCE).
    Raises CopyFormatError when a row does not have that shape.
    """
    dtype = _row_dtype(fields)
    widths = {name: np.dtype(TYPES[pg_type][0]).itemsize for name, pg_type in fields}
    parts: dict[str, list[np.ndarray]] = {name: [] for name, _ in fields}
    buffer = bytearray()
    header_seen = False

    def parse(final: bool) -> None:
        nonlocal header_seen
        if not header_seen:
            if len(buffer) < len(HEADER):
                return
            if bytes(buffer[:11]) != HEADER[:11]:
                raise CopyFormatError("not a binary COPY stream")
            extension = int.from_bytes(buffer[15:19], "big")
            del buffer[: 19 + extension]
            header_seen = True
        end = len(buffer) - (len(TRAILER) if final else 0)
        count = max(0, end) // dtype.itemsize
        if final and end != count * dtype.itemsize:
            raise CopyFormatError("the rows are not of the declared fixed-width columns")
        if not count:
            return
        rows = np.frombuffer(buffer, dtype=dtype, count=count)
        if (rows["__count"] != len(fields)).any() or any(
            (rows[f"__length_{name}"] != width).any() for name, width in widths.items()
        ):
            raise CopyFormatError("a row has another number of columns, another type or a null")
        for name, _ in fields:
            parts[name].append(rows[name].astype(rows[name].dtype.newbyteorder("=")))
        del rows
        del buffer[: count * dtype.itemsize]

    with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for block in copy:
            buffer += block
            if len(buffer) >= READ_BLOCK_BYTES:
                parse(final=False)
    parse(final=True)
    native = {name: np.dtype(TYPES[pg_type][0]).newbyteorder("=") for name, pg_type in fields}
    return {name: np.concatenate(parts[name]) if parts[name] else np.zeros(0, native[name]) for name in native}


@dataclass(frozen=True)
class Column:
    """One column of rows to write: a value per row (`values`, 1-D), or with `lengths` an array per row (`values`
    rows x width, row i's first lengths[i] elements). Array columns of one write share their `lengths`. A "text"
    column's values are a numpy bytes array whose values all have the same length (a kind, a code)."""

    name: str
    pg_type: str  # the element's type for an array column
    values: np.ndarray
    lengths: np.ndarray | None = None


def _element(column: Column) -> np.dtype:
    if column.pg_type == "text":  # fixed-width bytes: every value of the column has the same length
        return np.dtype(f"S{column.values.dtype.itemsize}")
    return np.dtype(TYPES[column.pg_type][0])


def _records(columns: Sequence[Column], rows: np.ndarray, length: int | None) -> bytes:
    """The rows `rows`, their array columns all `length` long, as COPY's binary tuples."""
    parts: list[tuple] = [("__count", ">i2")]
    for column in columns:
        parts.append((f"__length_{column.name}", ">i4"))
        if column.lengths is None:
            parts.append((column.name, _element(column)))
        else:
            cell = np.dtype([("length", ">i4"), ("value", _element(column))])
            parts += [(f"__head_{column.name}", ">i4", (5,)), (column.name, cell, (length,))]
    records = np.zeros(rows.size, dtype=np.dtype(parts))
    records["__count"] = len(columns)
    for column in columns:
        element = _element(column)
        if column.lengths is None:
            records[f"__length_{column.name}"] = element.itemsize
            records[column.name] = column.values[rows]
            continue
        # one dimension: ndim, has nulls, element OID, then its size and lower bound
        records[f"__head_{column.name}"] = [1, 0, TYPES[column.pg_type][1], length, 1]
        records[f"__length_{column.name}"] = 20 + length * (4 + element.itemsize)
        records[column.name]["length"] = element.itemsize
        records[column.name]["value"] = column.values[rows, :length]
    return records.tobytes()


def _batches(columns: Sequence[Column], count: int) -> Iterator[bytes]:
    lengths = next((column.lengths for column in columns if column.lengths is not None), None)
    if lengths is None:
        yield _records(columns, np.arange(count), None)
        return
    for length in np.unique(lengths):
        yield _records(columns, np.flatnonzero(lengths == length), int(length))


def copy_in_arrays(cursor, *, table: str, columns: Sequence[Column], count: int) -> int:
    """Write `count` rows into `table` with binary COPY; returns `count`. Rows of empty lists are not supported
    (leave them out: a list with nothing in it is no list)."""
    if not count:
        return 0
    if any(column.lengths is not None and (column.lengths <= 0).any() for column in columns):
        raise ValueError("array columns must not be empty")
    if any(column.pg_type == "text" and (np.char.str_len(column.values) != column.values.itemsize).any()
           for column in columns):  # fmt: skip
        raise ValueError("a text column's values must all have the same length")
    names = ", ".join(f'"{column.name}"' for column in columns)
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.write(HEADER)
        for batch in _batches(columns, count):
            copy.write(batch)
        copy.write(TRAILER)
    return count
