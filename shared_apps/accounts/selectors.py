"""Reads of a customer's own records. Every address read is scoped to its owner: another user's address is "not
found" (404), never "forbidden", so ids reveal nothing."""

from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import Address, User


def addresses_of(*, user: User) -> QuerySet[Address]:
    """The user's saved addresses, the default first, then in the order they were added."""
    return Address.objects.filter(user_id=user.pk).order_by("-is_default", "id")


def access_address_by_id(*, user: User, address_id: int) -> Address:
    """The user's address `address_id`, or ADDRESS_NOT_FOUND (404) — for anyone else's as for a missing one."""
    address = addresses_of(user=user).filter(pk=address_id).first()
    if address is None:
        raise AccountsError(AccountsErrorCode.ADDRESS_NOT_FOUND)
    address.user = user  # the caller's own row: no query to load it again
    return address
