"""Is a branch open at a given moment? Weekly hours {"mon": [["09:00", "22:00"], ...]} in the platform's time zone,
with date exceptions {"2026-12-25": []} that replace that day's hours. Pure functions: the console and the
marketplace (from BranchListing's copy of the hours) share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningState:
    open: bool
    closes_at: str | None = None  # "22:00" when open
    opens_at: str | None = None  # "Tue 09:00" (or "09:00" today) when closed; None if no hours within a week


def _periods_on(hours: dict, exceptions: dict, day: datetime) -> list[list[str]]:
    key = day.date().isoformat()
    if key in exceptions:
        return exceptions[key] or []
    return hours.get(DAYS[day.weekday()], []) or []


def opening_state(hours: dict, exceptions: dict | None, at: datetime | None = None) -> OpeningState:
    local = timezone.localtime(at or timezone.now())
    exceptions = exceptions or {}
    now = local.strftime("%H:%M")
    today = _periods_on(hours, exceptions, local)
    for start, end in today:
        if start <= now < end:
            return OpeningState(open=True, closes_at=end)
    later_today = sorted(start for start, _ in today if start > now)
    if later_today:
        return OpeningState(open=False, opens_at=later_today[0])
    for ahead in range(1, 8):
        day = local + timedelta(days=ahead)
        periods = _periods_on(hours, exceptions, day)
        if periods:
            return OpeningState(open=False, opens_at=f"{DAYS[day.weekday()].capitalize()} {min(p[0] for p in periods)}")
    return OpeningState(open=False)
