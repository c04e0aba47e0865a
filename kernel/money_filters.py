"""The `money` template filter, installed as a builtin (settings.TEMPLATES) so that every template writes money the
one way `kernel.money.money` does, without loading a library: {{ amount|money }} or {{ amount|money:currency }}."""

from __future__ import annotations

from decimal import Decimal

from django import template

from kernel.money import money as money_text

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | int | str | None, currency: str = "PKR") -> str:
    return money_text(amount, currency or "PKR")
