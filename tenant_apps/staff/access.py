"""The console's walls, in one place. The schema wall: a request on <slug>.<domain> only reaches that schema and
acts through the user's Membership there. The scope wall: every queryset a console view or service sees comes from
the scoped selectors below, filtered by the membership's store/branch. Out of scope is 404 (existence is not
revealed); in scope but not allowed by the role table (permissions.py) is 403."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kernel.errors import CommonErrorCode, DomainError
from tenant_apps.staff.models import AuditEntry, Invitation, Membership, Role
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.models import Branch, Store


def access_console_membership(*, user: Any) -> Membership:
    """The caller's active membership in the current tenant, or raise: 401 anonymous, 404 without a membership
    (never 403: a stranger learns nothing about this merchant). Platform admins get no implicit membership."""
    if user is None or not user.is_authenticated:
        raise DomainError(CommonErrorCode.UNAUTHENTICATED)
    membership = Membership.objects.select_related("store", "branch").filter(user_id=user.pk, is_active=True).first()
    if membership is None:
        raise DomainError(CommonErrorCode.NOT_FOUND)
    return membership


def require(actor: Membership, perm: Perm) -> Membership:
    if perm not in actor.permissions:
        raise DomainError(CommonErrorCode.FORBIDDEN, "Your role does not allow this.")
    return actor


def access_console(*, user: Any, perm: Perm) -> Membership:
    """Membership + permission in one call: what every console endpoint starts with."""
    return require(access_console_membership(user=user), perm)


# Scoped selectors -------------------------------------------------------------------------------------------


def scoped_stores(actor: Membership) -> QuerySet[Store]:
    stores = Store.objects.all()
    if actor.role == Role.MERCHANT:
        return stores
    if actor.role == Role.SHOP_OWNER:
        return stores.filter(pk=actor.store_id)
    return stores.filter(branches=actor.branch_id)


def scoped_branches(actor: Membership) -> QuerySet[Branch]:
    branches = Branch.objects.select_related("store")
    if actor.role == Role.MERCHANT:
        return branches
    if actor.role == Role.SHOP_OWNER:
        return branches.filter(store_id=actor.store_id)
    return branches.filter(pk=actor.branch_id)


def _in_store_of(actor: Membership) -> Q:
    """Rows scoped to the actor's store directly (shop owners) or through one of its branches."""
    return Q(store_id=actor.store_id) | Q(branch__store_id=actor.store_id)


def scoped_memberships(actor: Membership) -> QuerySet[Membership]:
    memberships = Membership.objects.select_related("store", "branch")
    if actor.role == Role.MERCHANT:
        return memberships
    if actor.role == Role.SHOP_OWNER:
        return memberships.filter(_in_store_of(actor))
    if actor.role == Role.BRANCH_MANAGER:
        return memberships.filter(branch_id=actor.branch_id)
    return memberships.filter(pk=actor.pk)


def scoped_invitations(actor: Membership) -> QuerySet[Invitation]:
    invitations = Invitation.objects.select_related("store", "branch")
    if actor.role == Role.MERCHANT:
        return invitations
    if actor.role == Role.SHOP_OWNER:
        return invitations.filter(_in_store_of(actor))
    return invitations.none()


def scoped_audit(actor: Membership) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor")
    if actor.role == Role.MERCHANT:
        return entries
    if actor.role == Role.SHOP_OWNER:
        return entries.filter(data__store_id=actor.store_id)
    return entries.none()


def scoped_orders(actor: Membership) -> QuerySet:
    """Merchant orders the actor's scope covers: every branch (Merchant), its store's branches (Shop Owner), its
    branch (Branch Manager, Employee)."""
    from tenant_apps.orders.models import MerchantOrder

    orders = MerchantOrder.objects.select_related("branch", "branch__store")
    if actor.role == Role.MERCHANT:
        return orders
    if actor.role == Role.SHOP_OWNER:
        return orders.filter(branch__store_id=actor.store_id)
    return orders.filter(branch_id=actor.branch_id)


# access_<entity>_by_id: the only way a view or service gets one object -----------------------------------------


def _one(queryset: QuerySet, pk: int) -> Any:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise DomainError(CommonErrorCode.NOT_FOUND)
    return obj


def access_store_by_id(*, actor: Membership, store_id: int, perm: Perm = Perm.STORE_VIEW) -> Store:
    store = _one(scoped_stores(actor), store_id)
    require(actor, perm)
    return store


def access_branch_by_id(*, actor: Membership, branch_id: int, perm: Perm = Perm.BRANCH_VIEW) -> Branch:
    branch = _one(scoped_branches(actor), branch_id)
    require(actor, perm)
    return branch


def access_membership_by_id(*, actor: Membership, membership_id: int, perm: Perm = Perm.STAFF_VIEW) -> Membership:
    membership = _one(scoped_memberships(actor), membership_id)
    require(actor, perm)
    return membership


def access_invitation_by_id(*, actor: Membership, invitation_id: int) -> Invitation:
    invitation = _one(scoped_invitations(actor), invitation_id)
    require(actor, Perm.STAFF_INVITE)
    return invitation


def access_product_by_id(*, actor: Membership, product_id: int, perm: Perm = Perm.CATALOG_VIEW):
    from tenant_apps.catalog.selectors import scoped_products

    product = _one(scoped_products(actor), product_id)
    require(actor, perm)
    return product


def access_variant_by_id(*, actor: Membership, variant_id: int, perm: Perm = Perm.CATALOG_VIEW):
    from tenant_apps.catalog.selectors import scoped_variants

    variant = _one(scoped_variants(actor), variant_id)
    require(actor, perm)
    return variant


def access_order_by_id(*, actor: Membership, order_id: int, perm: Perm = Perm.ORDERS_VIEW):
    order = _one(scoped_orders(actor), order_id)
    require(actor, perm)
    return order
