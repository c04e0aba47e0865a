"""Interaction logs as arrays: who took which item when, read from any CSV with a header row.

Ids are kept as the file spells them (any string) and coded 0..n-1 in order of first appearance; rows keep their
file order, which is what breaks ties between equal times (the later row happened later). Times may be integers,
floats or ISO 8601 dates (a date without a zone is read as UTC); they are only ever compared, so their unit and
origin do not matter as long as one file uses one kind.
"""

from __future__ import annotations

import csv
import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

DELIMITERS = (",", "\t", ";", "|")  # tried in this order on the header row: exports differ, the columns do not


class InteractionsError(ValueError):
    """The input cannot be read as interactions; the message says where and why, for a person to fix."""


@dataclass(frozen=True)
class Interactions:
    users: np.ndarray  # int64 user code per event, file order
    items: np.ndarray  # int64 item code per event
    times: np.ndarray  # float64, comparable within one file
    user_ids: tuple[str, ...]  # code → id as written in the file
    item_ids: tuple[str, ...]
    weights: np.ndarray | None = None  # float32 per event, how much it says about taste (None: every event alike)

    @property
    def count(self) -> int:
        return int(self.users.size)

    @property
    def user_count(self) -> int:
        return len(self.user_ids)

    @property
    def item_count(self) -> int:
        return len(self.item_ids)

    def subset(self, *, keep: np.ndarray) -> Interactions:
        """The events where `keep` is true, in the same order, with the same id universe."""
        return Interactions(
            users=self.users[keep],
            items=self.items[keep],
            times=self.times[keep],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            weights=None if self.weights is None else self.weights[keep],
        )


def time_parse(value: str) -> float:
    """Seconds (or whatever unit the file uses) from an integer, a float or an ISO 8601 date; raises ValueError."""
    try:
        number = float(value)
    except ValueError:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite time")
    return number


def _delimiter(header_line: str, wanted: tuple[str, ...]) -> str:
    for delimiter in DELIMITERS:
        names = {name.strip() for name in next(csv.reader([header_line], delimiter=delimiter), [])}
        if set(wanted) <= names:
            return delimiter
    return ","


def _numbered_rows(lines: Iterable[str], *, delimiter: str, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """csv rows with the file line each starts on (a quoted field may span lines); csv errors name their line."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        start = first_line + reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InteractionsError(f"line {start}: {exc}") from None
        yield start, row


def interactions_from_lines(*, lines: Iterable[str], user_col: str, item_col: str, time_col: str) -> Interactions:
    """Read a header row then one event per row, streaming; other columns are ignored. Raises InteractionsError.

    Blank lines are skipped; a row missing one of the three values is an error naming its line, never a guess.
    """
    wanted = (user_col, item_col, time_col)
    iterator = iter(lines)
    header_line_number, header_line = next(
        ((number, line) for number, line in enumerate(iterator, start=1) if line.strip()), (0, None)
    )
    if header_line is None:
        raise InteractionsError("the file is empty: expected a header row naming the columns")
    delimiter = _delimiter(header_line, wanted)
    header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise InteractionsError(
            f"missing column(s) {', '.join(repr(name) for name in missing)}; the header has {', '.join(header)}"
        )
    user_at, item_at, time_at = (header.index(name) for name in wanted)
    width = max(user_at, item_at, time_at) + 1
    user_codes: dict[str, int] = {}
    item_codes: dict[str, int] = {}
    users, items, times = array("q"), array("q"), array("d")  # 8 bytes an event, not a Python object each
    for line_number, row in _numbered_rows(iterator, delimiter=delimiter, first_line=header_line_number + 1):
        if not row or not any(field.strip() for field in row):
            continue
        if len(row) < width:
            raise InteractionsError(f"line {line_number}: {len(row)} field(s), the header has {len(header)}")
        user, item, moment = row[user_at].strip(), row[item_at].strip(), row[time_at].strip()
        if not user or not item or not moment:
            raise InteractionsError(f"line {line_number}: an empty {user_col}, {item_col} or {time_col}")
        try:
            times.append(time_parse(moment))
        except ValueError:
            raise InteractionsError(
                f"line {line_number}: {time_col} {moment!r} is not a number or an ISO 8601 date"
            ) from None
        users.append(user_codes.setdefault(user, len(user_codes)))
        items.append(item_codes.setdefault(item, len(item_codes)))
    return Interactions(
        users=np.frombuffer(users, dtype=np.int64).copy(),
        items=np.frombuffer(items, dtype=np.int64).copy(),
        times=np.frombuffer(times, dtype=np.float64).copy(),
        user_ids=tuple(user_codes),
        item_ids=tuple(item_codes),
    )
