"""When a branch takes an order: now, or — closed now — a scheduled time within its opening hours.

The hours are stores.hours' (weekly {"mon": [["09:00", "22:00"]]}, date exceptions replacing a day's hours, local
time) read from the merchant's schema with the branch's terms. On top of `opening_state` this module turns them into
concrete periods over the next days, so checkout can name the next opening ("as soon as it opens at 09:00"), offer
later slots, and check a time the customer sends:

| the branch                                  | checkout                                                         |
|---------------------------------------------|------------------------------------------------------------------|
| open now                                    | takes the order for now (or a valid later slot, if one is sent)  |
| closed now, opens within the horizon        | needs a scheduled time: the next opening or a later slot         |
| closed beyond the horizon (or hours empty)  | refuses the shop's group, saying when it opens if it does        |
| no weekly hours published at all            | takes orders any time: hours are the merchant's opt-in           |

A period may run past midnight ("22:00"-"02:00" or "…-24:00"): it is kept whole, so "open until 2 am" reads from
the day it starts, and back-to-back periods ("18:00"-"24:00" then "00:00"-"02:00") join into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from tenant_apps.stores.hours import DAYS
from tenant_apps.stores.promise import when_label

__all__ = ["BranchSchedule", "Period", "branch_schedule", "first_opening_after", "open_periods", "when_label"]


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class BranchSchedule:
    """A branch's order-taking over [now, now + horizon]."""

    now: datetime
    hours_published: bool
    periods: tuple[Period, ...]
    horizon_end: datetime

    @property
    def open_now(self) -> bool:
        return not self.hours_published or any(p.holds(self.now) for p in self.periods)

    @property
    def next_opening(self) -> datetime | None:
        """The first moment it is open after now (None: open now, or not within the horizon)."""
        if self.open_now:
            return None
        return next((p.start for p in self.periods if p.start > self.now), None)

    def accepts(self, at: datetime) -> bool:
        """Whether an order may be scheduled for `at`: within an opening period, not past, within the horizon."""
        if at < self.now or at > self.horizon_end:
            return False
        return not self.hours_published or any(p.holds(at) for p in self.periods)

    def slots(self, *, minutes: int | None = None, limit: int = 96) -> list[datetime]:
        """Times a customer may pick: each period's opening, then every `minutes` on the clock until it closes."""
        step = timedelta(minutes=minutes or settings.CHECKOUT_SCHEDULE_SLOT_MINUTES)
        found: list[datetime] = []
        for period in self.periods:
            at = period.start if period.start > self.now else _ceil(self.now, step)
            while at < period.end and at <= self.horizon_end and len(found) < limit:
                found.append(at)
                at = _ceil(at + timedelta(seconds=1), step)
        return found


def _ceil(at: datetime, step: timedelta) -> datetime:
    """`at` rounded up to the clock's next multiple of `step` (09:07 → 09:30 for 30 minutes)."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -(-(at - midnight) // step)
    return midnight + steps * step


def _at(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    extra = timedelta(days=hours // 24)  # "24:00" is the next midnight
    local = datetime.combine(day, time(hours % 24, minutes)) + extra
    return timezone.make_aware(local, timezone.get_current_timezone())


def _day_periods(hours: dict, exceptions: dict, day: date) -> list[Period]:
    spans = exceptions[day.isoformat()] if day.isoformat() in exceptions else hours.get(DAYS[day.weekday()])
    periods = []
    for start, end in spans or []:
        opens, closes = _at(day, start), _at(day, end)
        if closes <= opens:  # past midnight: "22:00"-"02:00" closes the next day
            closes += timedelta(days=1)
        periods.append(Period(opens, closes))
    return periods


def open_periods(hours: dict, exceptions: dict | None, *, since: datetime, until: datetime) -> list[Period]:
    """The branch's opening periods that overlap [since, until], joined where they touch, in order."""
    exceptions = exceptions or {}
    first = timezone.localtime(since).date() - timedelta(days=1)  # yesterday's period may run past midnight
    last = timezone.localtime(until).date()
    periods: list[Period] = []
    day = first
    while day <= last:
        periods += _day_periods(hours, exceptions, day)
        day += timedelta(days=1)
    joined: list[Period] = []
    for period in sorted(periods, key=lambda p: p.start):
        if joined and period.start <= joined[-1].end:
            joined[-1] = Period(joined[-1].start, max(joined[-1].end, period.end))
        else:
            joined.append(period)
    return [p for p in joined if p.end > since and p.start <= until]


def branch_schedule(
    hours: dict | None, exceptions: dict | None, *, now: datetime | None = None, horizon_days: int | None = None
) -> BranchSchedule:
    """The branch's schedule from now over the horizon (CHECKOUT_SCHEDULE_HORIZON_DAYS unless given)."""
    now = now or timezone.now()
    horizon_end = now + timedelta(days=horizon_days or settings.CHECKOUT_SCHEDULE_HORIZON_DAYS)
    published = bool(hours)
    periods = tuple(open_periods(hours or {}, exceptions, since=now, until=horizon_end)) if published else ()
    return BranchSchedule(now=now, hours_published=published, periods=periods, horizon_end=horizon_end)


def first_opening_after(hours: dict | None, exceptions: dict | None, *, after: datetime, days: int = 8):
    """The next opening after `after` looking a week ahead (for the message when it is beyond the horizon)."""
    if not hours:
        return None
    periods = open_periods(hours, exceptions, since=after, until=after + timedelta(days=days))
    return next((p.start for p in periods if p.start > after), None)
