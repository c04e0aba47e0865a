"""Filters for the console's order pages and dashboards: {{ amount|money:currency }}, {{ status|status_tone }},
{{ status|status_label }}, {{ role|role_label }}, {{ moment|age }}."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from kernel.money import money as money_label
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
def money(amount: Decimal | None, currency: str = "PKR") -> str:
    """ "Rs 1,250" (paisa only when there are any), the same as the customer pages."""
    return money_label(amount, currency or "PKR")


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
