"""The one permission table: what each role may do. Scope (which rows) is enforced separately, in access.py."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from tenant_apps.staff.roles import Role


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    STORE_VIEW = "store.view"
    STORE_CREATE = "store.create"
    STORE_MANAGE = "store.manage"
    BRANCH_VIEW = "branch.view"
    BRANCH_CREATE = "branch.create"
    BRANCH_MANAGE = "branch.manage"
    STAFF_VIEW = "staff.view"
    STAFF_INVITE = "staff.invite"
    STAFF_MANAGE = "staff.manage"
    AUDIT_VIEW = "audit.view"
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    PRICE_BASE_EDIT = "price.base_edit"
    STOCK_VIEW = "stock.view"
    STOCK_ADJUST = "stock.adjust"
    ORDERS_VIEW = "orders.view"
    ORDERS_PROCESS = "orders.process"
    PROMOTIONS_MANAGE = "promotions.manage"
    PAYMENTS_VIEW = "payments.view"  # the merchant's shares and settlements (console /payments/)
    PAYMENTS_REFUND = "payments.refund"  # give money back out of the merchant's own share of an order
    DELIVERIES_RIDE = "deliveries.ride"  # the rider page: take, carry and hand over its own deliveries
    DELIVERIES_ASSIGN = "deliveries.assign"  # give a branch's delivery to one of its riders
    MERCHANT_GO_LIVE = "merchant.go_live"  # show the whole merchant to customers: its owner's call alone
    REELS_VIEW = "reels.view"  # the reels of its scope and their statistics
    REELS_MANAGE = "reels.manage"  # upload, tag, schedule, delete reels of its branches


class Duty(StrEnum):
    """What a Branch Manager may assign an Employee to."""

    PROCESS_ORDERS = "process_orders"
    UPDATE_STOCK = "update_stock"
    DELIVER = "deliver"  # a rider: the shop's own deliveries (tenant_apps/fulfilment)


# What the console calls each duty.
DUTY_LABELS: dict[str, str] = {
    Duty.PROCESS_ORDERS: _("Process orders"),
    Duty.UPDATE_STOCK: _("Update stock"),
    Duty.DELIVER: _("Rider"),
}


# What a duty is called wherever a person reads it (staff list, invitation form, dashboards, the audit log).
DUTY_LABELS: dict[str, str] = {
    Duty.PROCESS_ORDERS: _("Process orders"),
    Duty.UPDATE_STOCK: _("Update stock"),
}
DUTY_HINTS: dict[str, str] = {
    Duty.PROCESS_ORDERS: _("Accept, prepare and hand over orders"),
    Duty.UPDATE_STOCK: _("Receive deliveries and count shelves"),
}


def duty_label(duty: str) -> str:
    """ "process_orders" → "Process orders"; an unknown (retired) duty keeps its stored name, readable."""
    return str(DUTY_LABELS.get(duty, duty.replace("_", " ").capitalize()))


_EVERYTHING = frozenset(Perm)
_BRANCH_STAFF_BASE = frozenset({Perm.DASHBOARD_VIEW, Perm.STORE_VIEW, Perm.BRANCH_VIEW, Perm.CATALOG_VIEW})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.MERCHANT: _EVERYTHING,
    # everything else, but only inside its store (scope)
    Role.SHOP_OWNER: _EVERYTHING - {Perm.STORE_CREATE, Perm.MERCHANT_GO_LIVE},
    Role.BRANCH_MANAGER: _BRANCH_STAFF_BASE
    | {
        Perm.BRANCH_MANAGE,
        Perm.STAFF_VIEW,
        Perm.AUDIT_VIEW,
        Perm.STOCK_VIEW,
        Perm.STOCK_ADJUST,
        Perm.ORDERS_VIEW,
        Perm.ORDERS_PROCESS,
    }
    | {Perm.PAYMENTS_VIEW, Perm.PAYMENTS_REFUND, Perm.DELIVERIES_ASSIGN, Perm.REELS_VIEW, Perm.REELS_MANAGE},
    Role.EMPLOYEE: _BRANCH_STAFF_BASE
    | {Perm.REELS_VIEW},  # plus what its duties grant; never money (no duty grants payments.*)
}

DUTY_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Duty.PROCESS_ORDERS: frozenset({Perm.ORDERS_VIEW, Perm.ORDERS_PROCESS}),
    Duty.UPDATE_STOCK: frozenset({Perm.STOCK_VIEW, Perm.STOCK_ADJUST}),
    Duty.DELIVER: frozenset({Perm.DELIVERIES_RIDE}),
}


def permissions_for(*, role: str, duties: list[str] | None = None) -> frozenset[Perm]:
    granted = set(ROLE_PERMISSIONS.get(role, frozenset()))
    if role == Role.EMPLOYEE:
        for duty in duties or []:
            granted |= DUTY_PERMISSIONS.get(duty, frozenset())
    return frozenset(granted)
