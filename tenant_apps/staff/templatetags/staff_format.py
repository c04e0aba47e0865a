"""Filters for people and their duties: {{ duty|duty_label }}, {{ duty|duty_hint }}, {{ role|role_name }}."""

from __future__ import annotations

from django import template

from tenant_apps.staff.permissions import DUTY_HINTS
from tenant_apps.staff.permissions import duty_label as duty_label_text
from tenant_apps.staff.roles import Role

register = template.Library()


@register.filter
def duty_label(duty: str) -> str:
    return duty_label_text(duty)


@register.filter
def duty_hint(duty: str) -> str:
    return str(DUTY_HINTS.get(duty, ""))


@register.filter
def role_name(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role
