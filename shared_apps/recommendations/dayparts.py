"""Parts of the day and kinds of day, as the cold-start lists are kept (Pakistan time): a morning's shopping is
not an evening's, nor a Sunday's a Tuesday's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

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


# Pakistan time has been UTC+05:00 all year since 2009 (no daylight saving): arrays of instants are shifted by it
# rather than converted one by one (tests hold it to `daypart_of`).
PAKISTAN_OFFSET_SECONDS = 5 * 3600
SLOTS = len(DAYPARTS) * 2  # (part, weekend) pairs: slot = part * 2 + weekend


def slots_of(seconds: np.ndarray) -> np.ndarray:
    """`daypart_of` for an array of Unix times, as slots (part * 2 + weekend, int8): one pass, no datetime each."""
    local = np.asarray(seconds, dtype=np.float64) + PAKISTAN_OFFSET_SECONDS
    hours = (np.floor(local / 3600.0) % 24).astype(np.int64)
    firsts = np.array([first for first, _ in DAYPARTS])
    numbers = np.array([number for _, number in DAYPARTS])
    index = np.searchsorted(firsts, hours, side="right") - 1  # -1 before the first part: the night (the last one)
    parts = numbers[index]
    days = np.floor(local / 86400.0).astype(np.int64) - (hours < DAYPARTS[0][0])  # the night is the day before's
    weekdays = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    weekend = np.isin(weekdays, np.array(sorted(WEEKEND_DAYS)))
    return (parts * 2 + weekend).astype(np.int8)
