"""The console's walls, in one place.

The schema wall: a request on <slug>.<domain> only reaches that schema and acts through the user's Membership there
(`access_console_membership`). The scope wall: every queryset a console view, API route or service sees comes from
the scoped selectors below, filtered by the membership's store/branch; one object comes from an `access_*` function.
Both raise AccessError: out of scope is NOT_FOUND (404), so existence is never revealed; in scope but not allowed
by the role table (permissions.py) is FORBIDDEN (403). Views and API routes never look at a role themselves: what a
role changes on a page (a branch picker, the home's order panel) is asked here too.

| what the caller needs | function |
|---|---|
| the actor | `access_console_membership`, `access_console` (with a permission) |
| a branch's riders to assign from | `scoped_riders(actor, branch_id=...)` |
| every row of a kind it may see | `scoped_<entities>(actor)` |
| one object, by id | `access_<entity>_by_id(*, actor, <entity>_id, perm)` |
| a branch and a variant it sells | `access_branch_variant(*, actor, branch_id, variant_id, perm)` |
| a reel it may change (Branch Managers: reels of their branch alone) | `access_reel_by_id(perm=REELS_MANAGE)` |
| the branch a per-branch page narrows to | `access_chosen_branch`, `branch_choices` |
| what the console's home shows of orders | `home_orders` |
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from tenant_apps.catalog.models import Product, ProductMedia, Variant
from tenant_apps.fulfilment.models import Delivery
from tenant_apps.inventory.models import StockLevel
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.reels.models import Reel
from tenant_apps.staff.audit import audit_actor_note
from tenant_apps.staff.errors import AccessError, AccessErrorCode
from tenant_apps.staff.models import AuditEntry, Invitation, Membership
from tenant_apps.staff.permissions import Perm
from tenant_apps.staff.roles import Role
from tenant_apps.stores.models import Branch, Store


def access_console_membership(*, user: Any) -> Membership:
    """The caller's active membership in the current tenant, or raise: 401 anonymous, 404 without a membership
    (never 403: a stranger learns nothing about this merchant). Platform admins get no implicit membership."""
    if user is None or not user.is_authenticated:
        raise AccessError(AccessErrorCode.UNAUTHENTICATED)
    membership = Membership.objects.select_related("store", "branch").filter(user_id=user.pk, is_active=True).first()
    if membership is None:
        raise AccessError(AccessErrorCode.NOT_FOUND)
    audit_actor_note(membership.user_id)  # what this request writes is signed by this member (staff/audit.py)
    return membership


def require(actor: Membership, perm: Perm) -> Membership:
    """The actor, if the role table grants it `perm`; else AccessError FORBIDDEN."""
    if perm not in actor.permissions:
        raise AccessError(AccessErrorCode.FORBIDDEN)
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


def scoped_team(actor: Membership) -> QuerySet[Membership]:
    """The actor's active colleagues inside its scope, itself left out (a Branch Manager's team)."""
    return scoped_memberships(actor).filter(is_active=True).exclude(pk=actor.pk).select_related("user")


def scoped_invitations(actor: Membership) -> QuerySet[Invitation]:
    invitations = Invitation.objects.select_related("store", "branch")
    if actor.role == Role.MERCHANT:
        return invitations
    if actor.role == Role.SHOP_OWNER:
        return invitations.filter(_in_store_of(actor))
    return invitations.none()


def scoped_audit(actor: Membership) -> QuerySet[AuditEntry]:
    """Entries about what the actor's scope holds: everything (Merchant), its store and that store's branches (Shop
    Owner), its branch (Branch Manager). An Employee reads none (no AUDIT_VIEW), and gets none here either."""
    entries = AuditEntry.objects.select_related("actor")
    if actor.role == Role.MERCHANT:
        return entries
    if actor.role == Role.SHOP_OWNER:
        return entries.filter(store_id=actor.store_id)
    if actor.role == Role.BRANCH_MANAGER:
        return entries.filter(branch_id=actor.branch_id)
    return entries.none()


def scoped_products(actor: Membership) -> QuerySet[Product]:
    """Products of the stores the actor may see, with variants and media in two extra queries (not one per row)."""
    return (
        Product.objects.filter(store__in=scoped_stores(actor))
        .select_related("category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("pk")),
            Prefetch("media", queryset=ProductMedia.objects.order_by("position", "pk")),
        )
        .order_by("name", "pk")
    )


def scoped_reels(actor: Membership) -> QuerySet[Reel]:
    """Reels of the actor's stores (Merchant, Shop Owner) or shown at its branch (Branch Manager, Employee)."""
    reels = Reel.objects.select_related("store")
    if actor.role == Role.MERCHANT:
        return reels
    if actor.role == Role.SHOP_OWNER:
        return reels.filter(store_id=actor.store_id)
    return reels.filter(pk__in=Reel.branches.through.objects.filter(branch_id=actor.branch_id).values("reel_id"))


def scoped_variants(actor: Membership) -> QuerySet[Variant]:
    return Variant.objects.filter(product__store__in=scoped_stores(actor)).select_related("product")


def scoped_stock_levels(actor: Membership) -> QuerySet[StockLevel]:
    """Stock levels of the branches the actor may see."""
    return StockLevel.objects.filter(branch__in=scoped_branches(actor))


def scoped_orders(actor: Membership) -> QuerySet[MerchantOrder]:
    """Merchant orders the actor's scope covers: every branch (Merchant), its store's branches (Shop Owner), its
    branch (Branch Manager, Employee)."""
    orders = MerchantOrder.objects.select_related("branch", "branch__store")
    if actor.role == Role.MERCHANT:
        return orders
    if actor.role == Role.SHOP_OWNER:
        return orders.filter(branch__store_id=actor.store_id)
    return orders.filter(branch_id=actor.branch_id)


def scoped_deliveries(actor: Membership) -> QuerySet[Delivery]:
    """Deliveries of the orders in scope. An Employee who only rides sees those given to it, never a colleague's;
    one who also processes the branch's orders sees the branch's (it hands pickups over at the counter)."""
    deliveries = Delivery.objects.select_related("order", "branch", "branch__store")
    if actor.role == Role.MERCHANT:
        return deliveries
    if actor.role == Role.SHOP_OWNER:
        return deliveries.filter(branch__store_id=actor.store_id)
    if actor.role == Role.BRANCH_MANAGER:
        return deliveries.filter(branch_id=actor.branch_id)
    deliveries = deliveries.filter(branch_id=actor.branch_id)
    return deliveries if Perm.ORDERS_VIEW in actor.permissions else deliveries.filter(rider_id=actor.pk)


def scoped_riders(actor: Membership, *, branch_id: int) -> QuerySet[Membership]:
    """The active riders (Employees with the deliver duty) of one branch in scope, by name."""
    return (
        scoped_memberships(actor)
        .filter(branch_id=branch_id, is_active=True, role=Role.EMPLOYEE, duties__contains=["deliver"])
        .order_by("pk")
    )


# "This branch sells this variant" ---------------------------------------------------------------------------
# A branch sells every variant of its own store's products and nothing else; its own price or a stock level never
# widens that. The rule is written here only: for a branch's list (variants_sold_at), for rows checked in bulk
# (branch_sells) and for one pair that a request names (access_branch_variant).


def branch_sells(*, branch_store_id: int, variant_store_id: int | None) -> bool:
    return variant_store_id is not None and variant_store_id == branch_store_id


def variants_sold_at(branch: Branch) -> QuerySet[Variant]:
    return Variant.objects.filter(product__store_id=branch.store_id).select_related("product")


# access_<entity>_by_id: the only way a view or service gets one object -----------------------------------------


def _one(queryset: QuerySet, pk: int) -> Any:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise AccessError(AccessErrorCode.NOT_FOUND)
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


def access_product_by_id(*, actor: Membership, product_id: int, perm: Perm = Perm.CATALOG_VIEW) -> Product:
    product = _one(scoped_products(actor), product_id)
    require(actor, perm)
    return product


def access_product_media_by_id(
    *, actor: Membership, product_id: int, media_id: int, perm: Perm = Perm.CATALOG_MANAGE
) -> ProductMedia:
    """One image or video of a product in scope; another product's media is 404 like any unknown id."""
    product = access_product_by_id(actor=actor, product_id=product_id, perm=perm)
    return _one(ProductMedia.objects.filter(product_id=product.pk), media_id)


def access_variant_by_id(*, actor: Membership, variant_id: int, perm: Perm = Perm.CATALOG_VIEW) -> Variant:
    variant = _one(scoped_variants(actor), variant_id)
    require(actor, perm)
    return variant


def access_branch_variant(*, actor: Membership, branch_id: int, variant_id: int, perm: Perm) -> tuple[Branch, Variant]:
    """A branch in scope and a variant it sells: what a branch's price or stock is written for. A variant of another
    store is 404 like an unknown one, even when the actor's scope holds that store too."""
    branch = _one(scoped_branches(actor), branch_id)
    variant = _one(scoped_variants(actor), variant_id)
    if not branch_sells(branch_store_id=branch.store_id, variant_store_id=variant.product.store_id):
        raise AccessError(AccessErrorCode.NOT_FOUND)
    require(actor, perm)
    return branch, variant


def access_reel_by_id(*, actor: Membership, reel_id: int, perm: Perm = Perm.REELS_VIEW) -> Reel:
    """A reel in scope. To change one a Branch Manager must hold every branch it is shown at: a reel shared with
    another branch is read-only to it (403), as the other branch's manager did not agree."""
    reel = _one(scoped_reels(actor), reel_id)
    require(actor, perm)
    shared = Reel.branches.through.objects.filter(reel_id=reel.pk).exclude(branch_id=actor.branch_id)
    if perm == Perm.REELS_MANAGE and actor.role in (Role.BRANCH_MANAGER, Role.EMPLOYEE) and shared.exists():
        raise AccessError(AccessErrorCode.FORBIDDEN)
    return reel


def access_order_by_id(*, actor: Membership, order_id: int, perm: Perm = Perm.ORDERS_VIEW) -> MerchantOrder:
    order = _one(scoped_orders(actor), order_id)
    require(actor, perm)
    return order


def access_delivery_by_id(*, actor: Membership, delivery_id: int, perm: Perm = Perm.DELIVERIES_RIDE) -> Delivery:
    """One delivery in scope (a rider: one of its own) whose role grants `perm`."""
    delivery = _one(scoped_deliveries(actor), delivery_id)
    require(actor, perm)
    return delivery


# What a role changes on a page ------------------------------------------------------------------------------


def scope_spans_branches(actor: Membership) -> bool:
    """Merchants and Shop Owners see several branches, so per-branch pages let them pick one; a Branch Manager's or
    an Employee's scope is its own branch."""
    return actor.role in (Role.MERCHANT, Role.SHOP_OWNER)


def branch_choices(actor: Membership) -> list[Branch]:
    """The branches a per-branch page offers to pick from (none when the scope is one branch)."""
    if not scope_spans_branches(actor):
        return []
    return list(scoped_branches(actor).order_by("store__name", "name"))


def access_chosen_branch(*, actor: Membership, chosen: str, perm: Perm) -> Branch | None:
    """The branch a per-branch page narrows to by `?branch=<id>`: the chosen one (404 outside the scope), or None for
    every branch in scope. Only an actor whose scope spans branches chooses; for the others it is always None."""
    if not chosen or not scope_spans_branches(actor):
        return None
    return access_branch_by_id(actor=actor, branch_id=int(chosen) if chosen.isdigit() else 0, perm=perm)


class HomeOrders(StrEnum):
    """What the console's home shows of orders."""

    QUEUE = "queue"  # the open orders of its branch, polled like the orders page: an Employee's task list
    FIGURES = "figures"  # orders and revenue today and over 7 days in scope


def home_orders(actor: Membership) -> HomeOrders | None:
    """None without the permission to see orders."""
    if Perm.ORDERS_VIEW not in actor.permissions:
        return None
    return HomeOrders.QUEUE if actor.role == Role.EMPLOYEE else HomeOrders.FIGURES
