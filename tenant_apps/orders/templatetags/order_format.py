"""Filters for the console's order pages and dashboards: {{ status|status_tone }}, {{ status|status_label }}, {{
role|role_label }}, {{ moment|age }}, {{ duration|prep_time }}. Money is the builtin {{ amount|money:currency }}
(kernel/money_filters.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from tenant_apps.orders.models import OrderStatus as S
from tenant_apps.staff.roles import Role
from tenant_apps.stores.promise import when_label

register = template.Library()

_TONES = {
    S.PLACED: "new",
    S.ACCEPTED: "progress",
    S.PREPARING: "progress",
    S.READY_FOR_PICKUP: "ready",
    S.OUT_FOR_DELIVERY: "ready",
    S.PICKED_UP: "done",
    S.DELIVERED: "done",
    S.REJECTED: "stopped",
    S.CANCELLED: "stopped",
    S.REFUNDED: "stopped",
}


@register.filter
def status_tone(status: str) -> str:
    """A CSS modifier per status family: new, progress, ready, done, stopped, waiting."""
    return _TONES.get(status, "waiting")


@register.filter
def status_label(status: str) -> str:
    """ "ready_for_pickup" → "Ready for pickup" (history rows store the bare value)."""
    return S(status).label if status in S.values else status


@register.filter
def role_label(role: str) -> str:
    """A history row's actor: the staff role's name, or "Customer" / "System"."""
    return Role(role).label if role in Role.values else role.capitalize()


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago, for the queue's cards: "just now" under a minute, else "4 minutes ago"."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


@register.filter
def when(moment: datetime | None) -> str:
    """A scheduled or promised time as staff read it: "today at 09:00", "tomorrow at 09:00", "Wed 9 Dec at 09:00"."""
    return when_label(moment) if moment else ""


@register.filter
def prep_time(duration: timedelta | None) -> str:
    """An average preparation time as a cook says it: "under a minute", "12 min", "1 h 5 min"."""
    if duration is None:
        return ""
    minutes = round(duration.total_seconds() / 60)
    if minutes < 1:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(m)s min") % {"m": minutes}
    return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes} if minutes else _("%(h)s h") % {"h": hours}
