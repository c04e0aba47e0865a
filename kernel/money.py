"""How money is written for people, everywhere the product shows it (pages, console, admin, SMS)."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal | int | str | None, currency: str = "PKR") -> str:
    """Decimal → "Rs 1,250" (paisa shown only when there are any: "Rs 99.50"). Never goes through float."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    symbol = "Rs" if currency == "PKR" else currency
    digits = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{symbol} {digits}"
