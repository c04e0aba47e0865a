"""The four roles of a merchant's staff, the scope each covers and how they rank. It sits below both the models
(which store a role) and the permission table (which says what a role may do), so neither imports the other."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MERCHANT = "merchant", _("Merchant")  # every store and branch of the tenant
    SHOP_OWNER = "shop_owner", _("Shop owner")  # one store and its branches
    BRANCH_MANAGER = "branch_manager", _("Branch manager")  # one branch
    EMPLOYEE = "employee", _("Employee")  # assigned duties in one branch


# Invitations and role changes never reach above the actor: rank of the role given ≤ rank of the giver.
ROLE_RANK: dict[str, int] = {Role.MERCHANT: 4, Role.SHOP_OWNER: 3, Role.BRANCH_MANAGER: 2, Role.EMPLOYEE: 1}


def role_outranks(*, role: str, giver_role: str) -> bool:
    """Whether `role` is above `giver_role`: what nobody may give, change or remove."""
    return ROLE_RANK[role] > ROLE_RANK[giver_role]


def roles_grantable(*, giver_role: str) -> list[tuple[str, str]]:
    """(value, label) of every role the giver may invite to: its own and those below it."""
    return [(value, label) for value, label in Role.choices if not role_outranks(role=value, giver_role=giver_role)]


def role_lowest_grantable(*, giver_role: str) -> str:
    """The role an invitation form starts on: the least the giver may grant (whoever invites rarely means more)."""
    return min((value for value, _label in roles_grantable(giver_role=giver_role)), key=ROLE_RANK.__getitem__)
