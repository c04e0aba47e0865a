"""Console JSON API on <slug>.<domain>/api/v1/console/: dashboard, stores, branches (scoped)."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kernel.inputs import Fee, RadiusKm
from kernel.openapi import ErrorOut
from shared_apps.accounts.auth import user_auth
from shared_apps.media.services import delivery_url
from tenant_apps.staff.access import (
    access_branch_by_id,
    access_console,
    access_console_membership,
    access_store_by_id,
    scoped_branches,
)
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores import selectors, services

router = Router(auth=user_auth, tags=["stores"])


class SummaryOut(Schema):
    merchant: str
    role: str
    stores: int
    branches: int
    staff: int
    products: int
    active_products: int
    low_stock: int


class StoreOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    phone: str
    logo_url: str
    is_active: bool

    @staticmethod
    def resolve_logo_url(store) -> str:
        if not store.logo_public_id:
            return ""
        return delivery_url(public_id=store.logo_public_id, resource_type="image", variant="thumb")


class StoreListOut(StoreOut):
    branch_count: int


class BranchOut(Schema):
    id: int
    store_id: int
    name: str
    address: str
    area: str
    latitude: Decimal
    longitude: Decimal
    offers_pickup: bool
    offers_delivery: bool
    delivery_radius_km: Decimal
    is_active: bool


class StoreIn(Schema):
    name: str = Field(description="2-120 characters, unique among the merchant's stores (any case).")
    description: str = ""
    phone: str = Field("", description="7-15 digits; spaces, dashes and a leading + allowed.")


class StorePatch(Schema):
    """Only the fields sent change; null is the same as not sent. The slug stays as it was made on creation."""

    name: str | None = None
    description: str | None = None
    phone: str | None = None
    is_active: bool | None = Field(None, description="false closes the store (its listings are hidden), true reopens")


class BranchIn(Schema):
    store_id: int
    name: str
    address: str
    latitude: Decimal
    longitude: Decimal
    area: str = ""
    phone: str = ""
    email: str = ""
    opening_hours: dict = {}
    hours_exceptions: dict = {}
    offers_pickup: bool = True
    offers_delivery: bool = False
    delivery_radius_km: RadiusKm = Decimal("0")
    delivery_fee: Fee = Decimal("0")
    delivery_min_order: Fee = Decimal("0")
    offers_partner_delivery: bool = False


class BranchPatch(Schema):
    name: str | None = None
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    area: str | None = None
    phone: str | None = None
    email: str | None = None
    opening_hours: dict | None = None
    hours_exceptions: dict | None = None
    offers_pickup: bool | None = None
    offers_delivery: bool | None = None
    delivery_radius_km: RadiusKm | None = None
    delivery_fee: Fee | None = None
    delivery_min_order: Fee | None = None
    offers_partner_delivery: bool | None = None
    is_active: bool | None = None


class BranchDetailOut(BranchOut):
    phone: str
    email: str
    opening_hours: dict
    hours_exceptions: dict
    delivery_fee: Decimal
    delivery_min_order: Decimal
    offers_partner_delivery: bool


@router.get("/summary", response=SummaryOut)
def console_summary(request: HttpRequest):
    actor = access_console(user=request.user, perm=Perm.DASHBOARD_VIEW)
    return {"merchant": request.tenant.name, "role": actor.role, **selectors.console_summary(actor=actor)}


@router.get("/stores", response=list[StoreListOut])
def store_list(request: HttpRequest):
    """The stores in the caller's scope (every store for a Merchant, its own for the others), open and closed."""
    actor = access_console(user=request.user, perm=Perm.STORE_VIEW)
    return list(selectors.stores_with_counts(actor=actor))


@router.get("/stores/{store_id}", response={200: StoreOut, 404: ErrorOut})
def store_detail(request: HttpRequest, store_id: int):
    actor = access_console(user=request.user, perm=Perm.STORE_VIEW)
    return access_store_by_id(actor=actor, store_id=store_id)


@router.get("/branches", response=list[BranchOut])
def branch_list(request: HttpRequest):
    actor = access_console(user=request.user, perm=Perm.BRANCH_VIEW)
    return list(scoped_branches(actor).order_by("store_id", "name"))


@router.get("/branches/{branch_id}", response=BranchDetailOut)
def branch_detail(request: HttpRequest, branch_id: int):
    actor = access_console(user=request.user, perm=Perm.BRANCH_VIEW)
    return access_branch_by_id(actor=actor, branch_id=branch_id)


@router.post("/stores", response={201: StoreOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def store_create(request: HttpRequest, payload: StoreIn):
    """Create an open store; its slug is made from the name (unique: a suffix when another name makes the same).
    400 `name_invalid` / `phone_invalid` / `text_too_long` / `invalid`, 403 for roles that may not create stores
    (only a Merchant may), 409 `store_slug_taken` when a store already has this name."""
    actor = access_console(user=request.user, perm=Perm.STORE_CREATE)
    return Status(201, services.store_create(**payload.dict(), by=actor))


@router.patch(
    "/stores/{store_id}", response={200: StoreOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def store_patch(request: HttpRequest, store_id: int, payload: StorePatch):
    """Rename, describe, set the phone, close or reopen a store in the caller's scope (Merchant, or the Shop Owner
    of that store). Bad input changes nothing: 400 with the field, 409 `store_slug_taken` for a name in use."""
    actor = access_console_membership(user=request.user)
    store = access_store_by_id(actor=actor, store_id=store_id, perm=Perm.STORE_MANAGE)
    return services.store_update(store=store, by=actor, **payload.dict(exclude_unset=True, exclude_none=True))


@router.post("/branches", response={201: BranchDetailOut})
def branch_create(request: HttpRequest, payload: BranchIn):
    actor = access_console(user=request.user, perm=Perm.BRANCH_CREATE)
    data = payload.dict()
    store = access_store_by_id(actor=actor, store_id=data.pop("store_id"), perm=Perm.BRANCH_CREATE)
    return Status(201, services.branch_create(store=store, by=actor, **data))


@router.patch("/branches/{branch_id}", response=BranchDetailOut)
def branch_patch(request: HttpRequest, branch_id: int, payload: BranchPatch):
    actor = access_console_membership(user=request.user)
    branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
    return services.branch_update(branch=branch, by=actor, **payload.dict(exclude_unset=True))
