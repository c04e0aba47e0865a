"""The hours page's form <-> Branch.opening_hours / hours_exceptions.

The page shows one row per weekday (closed / open with one or two periods / open 24 hours) and a list of dated
exceptions (closed that day, or special hours). Both directions live here so that a form sent back with an error
shows exactly what was typed: the rows are rebuilt from the POST, not from the branch.

| row mode | stored as |
|---|---|
| closed | the day left out (hours.py: a missing day is closed) |
| open | [[open1, close1]] or [[open1, close1], [open2, close2]] |
| 24h | [["00:00", "24:00"]] |

A closing time of 00:00 means midnight (<input type=time> cannot say 24:00); hours.py has no overnight periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from tenant_apps.stores.hours import DAYS

DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
ALL_DAY = ["00:00", "24:00"]
EXCEPTION_ROWS_EMPTY = 2  # blank exception rows offered under the saved ones
MAX_EXCEPTIONS = 60


class Mode:
    CLOSED = "closed"
    OPEN = "open"
    ALL_DAY = "24h"


@dataclass
class DayRow:
    day: str
    label: str
    mode: str = Mode.CLOSED
    open1: str = ""
    close1: str = ""
    open2: str = ""
    close2: str = ""


@dataclass
class ExceptionRow:
    date: str = ""
    mode: str = Mode.CLOSED  # closed | open (special hours)
    open1: str = ""
    close1: str = ""


@dataclass
class HoursForm:
    days: list[DayRow]
    exceptions: list[ExceptionRow] = field(default_factory=list)


def _shown(time: str) -> str:
    return "00:00" if time == "24:00" else time


def _stored_close(time: str) -> str:
    return "24:00" if time == "00:00" else time


def hours_form_from_branch(opening_hours: dict, hours_exceptions: dict) -> HoursForm:
    days = []
    for day in DAYS:
        periods = opening_hours.get(day) or []
        row = DayRow(day=day, label=str(DAY_LABELS[day]))
        if periods == [ALL_DAY]:
            row.mode = Mode.ALL_DAY
        elif periods:
            row.mode = Mode.OPEN
            row.open1, row.close1 = periods[0][0], _shown(periods[0][1])
            if len(periods) > 1:
                row.open2, row.close2 = periods[1][0], _shown(periods[1][1])
        days.append(row)
    exceptions = []
    for day, periods in sorted(hours_exceptions.items()):
        if periods:
            exceptions.append(ExceptionRow(day, Mode.OPEN, periods[0][0], _shown(periods[0][1])))
        else:
            exceptions.append(ExceptionRow(day, Mode.CLOSED))
    return HoursForm(days=days, exceptions=exceptions + [ExceptionRow() for _ in range(EXCEPTION_ROWS_EMPTY)])


def hours_form_from_post(data: Any) -> HoursForm:
    """The form as it was sent (every value kept, valid or not)."""
    days = [
        DayRow(
            day=day,
            label=str(DAY_LABELS[day]),
            mode=data.get(f"{day}_mode", Mode.CLOSED),
            open1=data.get(f"{day}_open1", "").strip(),
            close1=data.get(f"{day}_close1", "").strip(),
            open2=data.get(f"{day}_open2", "").strip(),
            close2=data.get(f"{day}_close2", "").strip(),
        )
        for day in DAYS
    ]
    dates, modes = data.getlist("exc_date"), data.getlist("exc_mode")
    opens, closes = data.getlist("exc_open1"), data.getlist("exc_close1")
    exceptions = []
    for i, raw_date in enumerate(dates[:MAX_EXCEPTIONS]):

        def at(values: list[str], i: int = i) -> str:
            return values[i].strip() if i < len(values) else ""

        exceptions.append(ExceptionRow(raw_date.strip(), at(modes) or Mode.CLOSED, at(opens), at(closes)))
    return HoursForm(days=days, exceptions=exceptions)


def _period(opens: str, closes: str) -> list[str]:
    return [opens, _stored_close(closes)]


def hours_from_form(form: HoursForm) -> tuple[dict, dict]:
    """What services.hours_validate then checks: an open day with an empty time is sent as it is, so the service
    refuses it with its field rather than the page guessing."""
    hours: dict[str, list[list[str]]] = {}
    for row in form.days:
        if row.mode == Mode.ALL_DAY:
            hours[row.day] = [list(ALL_DAY)]
        elif row.mode == Mode.OPEN:
            periods = [_period(row.open1, row.close1)]
            if row.open2 or row.close2:
                periods.append(_period(row.open2, row.close2))
            hours[row.day] = periods
    exceptions: dict[str, list[list[str]]] = {}
    for row in form.exceptions:
        if not row.date:
            continue  # a blank row
        exceptions[row.date] = [_period(row.open1, row.close1)] if row.mode == Mode.OPEN else []
    return hours, exceptions
