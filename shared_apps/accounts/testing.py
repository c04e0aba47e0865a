"""Factories for customers and their saved addresses, through the real services (tests of every app use them)."""

from __future__ import annotations

import itertools

from shared_apps.accounts.models import Address, User
from shared_apps.accounts.services import AddressFields, address_create, user_get_or_create_by_phone

_phones = itertools.count(1)
LIBERTY_DOOR = ("31.511000", "74.345000")  # a few hundred metres from Liberty Market, Gulberg III


def customer_make(*, phone: str | None = None, name: str = "Ayesha") -> User:
    return user_get_or_create_by_phone(phone=phone or f"+92301{next(_phones):07d}", name=name)


def address_make(
    user: User,
    *,
    label: str = "Home",
    street: str = "House 12, Street 4",
    area: str = "Gulberg III",
    at: tuple[str, str] = LIBERTY_DOOR,
    notes: str = "Green gate",
    make_default: bool = False,
) -> Address:
    fields = AddressFields(street=street, latitude=at[0], longitude=at[1], label=label, area=area, notes=notes)
    return address_create(user=user, fields=fields, make_default=make_default)
