"""When a branch's order will be ready or at the door: the one rule the checkout promises by, the customer's order
page shows and the fulfilment floor re-computes from (this floor, so tenant apps can import it).

ready = start + preparation; at the door = ready + travel, travel being the straight-line distance at
DELIVERY_SPEED_KMH, rounded up to the minute;
the promise itself is rounded up to the minute. `start` is now, or the time a scheduled order was asked for."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

DELIVERY_HANDOVER_MINUTES = 5  # finding the door, the gate, the change: a rider's last few minutes


def travel_minutes(distance_km: float, *, speed_kmh: float | None = None) -> int:
    """Minutes a rider needs for `distance_km` (straight line) at the configured speed, rounded up."""
    speed = speed_kmh or settings.DELIVERY_SPEED_KMH
    return math.ceil(max(distance_km, 0.0) / speed * 60) + DELIVERY_HANDOVER_MINUTES


def promised_time(
    *, start: datetime, preparation_minutes: int, delivered: bool, distance_km: float | None = None
) -> datetime:
    """When the customer may expect the order: ready for pickup (`delivered` False), or at the door. A delivery
    without a known distance promises the preparation only (the courier's own ETA replaces it later)."""
    ready = start + timedelta(minutes=preparation_minutes)
    if delivered and distance_km is not None:
        ready += timedelta(minutes=travel_minutes(distance_km))
    return _minute_up(ready)


def _minute_up(at: datetime) -> datetime:
    """A promise is to the minute, and never earlier than the sum."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def when_label(at: datetime, *, now: datetime | None = None) -> str:
    """A time as a customer reads it: "today at 09:00", "tomorrow at 09:00", "Wed 9 Dec at 09:00"."""
    local, today = timezone.localtime(at), timezone.localtime(now or timezone.now()).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("today at %(time)s") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("tomorrow at %(time)s") % {"time": clock}
    return _("%(day)s at %(time)s") % {"day": date_format(local, "D j M"), "time": clock}
