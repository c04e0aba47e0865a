"""kernel.pgcopy: binary COPY in and out of numpy arrays, checked against what PostgreSQL itself reads back."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from kernel.pgcopy import Column, CopyFormatError, copy_in_arrays, copy_out_arrays

pytestmark = pytest.mark.django_db


def test_rows_go_in_and_come_out_as_arrays(monkeypatch):
    monkeypatch.setattr("kernel.pgcopy.READ_BLOCK_BYTES", 64)  # parsed in many small pieces
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE t (id serial, a bigint, k text, d smallint, w boolean, xs bigint[], ys float8[])"
        )
        lengths = np.array([1, 3, 3, 2])
        xs = np.arange(12).reshape(4, 3) - 5
        ys = xs / 4.0
        columns = [
            Column("a", "int8", np.array([2**40, -1, 0, 7])),
            Column("k", "text", np.full(4, b"similar")),
            Column("d", "int2", np.array([0, 1, 2, 3], dtype=np.int16)),
            Column("w", "bool", np.array([True, False, True, False])),
            Column("xs", "int8", xs, lengths),
            Column("ys", "float8", ys, lengths),
        ]
        assert copy_in_arrays(cursor.cursor, table="t", columns=columns, count=4) == 4
        cursor.execute("SELECT a, k, d, w, xs, ys FROM t ORDER BY a")
        assert cursor.fetchall() == [
            (-1, "similar", 1, False, [-2, -1, 0], [-0.5, -0.25, 0.0]),
            (0, "similar", 2, True, [1, 2, 3], [0.25, 0.5, 0.75]),
            (7, "similar", 3, False, [4, 5], [1.0, 1.25]),
            (2**40, "similar", 0, True, [-5], [-1.25]),
        ]
        out = copy_out_arrays(
            cursor.cursor,
            "SELECT a, d, w, a::float8 / %s FROM t ORDER BY a",
            [("a", "int8"), ("d", "int2"), ("w", "bool"), ("f", "float8")],
            [2],
        )
        assert out["a"].tolist() == [-1, 0, 7, 2**40] and out["a"].dtype == np.int64
        assert out["d"].tolist() == [1, 2, 3, 0] and out["w"].tolist() == [False, True, False, True]
        assert out["f"].tolist() == [-0.5, 0.0, 3.5, 2**39]
        empty = copy_out_arrays(cursor.cursor, "SELECT a FROM t WHERE false", [("a", "int8")])
        assert empty["a"].size == 0
        with pytest.raises(CopyFormatError):
            copy_out_arrays(cursor.cursor, "SELECT NULL::bigint FROM t", [("a", "int8")])
