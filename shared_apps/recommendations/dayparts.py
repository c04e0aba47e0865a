"""Parts of the day and kinds of day, as the cold-start lists are kept (Pakistan time): a morning's shopping is
not an evening's, nor a Sunday's a Tuesday's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PAKISTAN = ZoneInfo("Asia/Karachi")
# (first hour, part) in Pakistan time: 05-11 morning, 11-16 midday, 16-21 evening, 21-05 night.
DAYPARTS = ((5, 0), (11, 1), (16, 2), (21, 3))
DAYPART_NAMES = {0: "morning", 1: "midday", 2: "evening", 3: "night"}
WEEKEND_DAYS = frozenset({5, 6})  # Saturday and Sunday (datetime.weekday())


def daypart_of(at: datetime) -> tuple[int, bool]:
    """The part of the day and whether it is the weekend, at `at` (aware) in Pakistan time. The night belongs to the
    day it started on: Saturday 02:00 is Friday's night."""
    local = at.astimezone(PAKISTAN)
    part = 3
    for first_hour, number in DAYPARTS:
        if local.hour >= first_hour:
            part = number
    day = local.weekday() if local.hour >= DAYPARTS[0][0] else (local.weekday() - 1) % 7
    return part, day in WEEKEND_DAYS
