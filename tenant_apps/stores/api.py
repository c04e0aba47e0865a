"""Console JSON API on <slug>.<domain>/api/v1/console/: dashboard, stores, branches (scoped)."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from shared_apps.accounts.auth import user_auth
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
    is_active: bool


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
    name: str
    description: str = ""
    phone: str = ""


class StorePatch(Schema):
    name: str | None = None
    description: str | None = None
    phone: str | None = None
    is_active: bool | None = None


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
    delivery_radius_km: Decimal = Decimal("0")
    delivery_fee: Decimal = Decimal("0")
    delivery_min_order: Decimal = Decimal("0")
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
    delivery_radius_km: Decimal | None = None
    delivery_fee: Decimal | None = None
    delivery_min_order: Decimal | None = None
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
    actor = access_console(user=request.user, perm=Perm.STORE_VIEW)
    return list(selectors.stores_with_counts(actor=actor))


@router.get("/stores/{store_id}", response=StoreOut)
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


@router.post("/stores", response={201: StoreOut})
def store_create(request: HttpRequest, payload: StoreIn):
    access_console(user=request.user, perm=Perm.STORE_CREATE)
    return Status(201, services.store_create(**payload.dict()))


@router.patch("/stores/{store_id}", response=StoreOut)
def store_patch(request: HttpRequest, store_id: int, payload: StorePatch):
    actor = access_console_membership(user=request.user)
    store = access_store_by_id(actor=actor, store_id=store_id, perm=Perm.STORE_MANAGE)
    return services.store_update(store=store, **payload.dict(exclude_unset=True))


@router.post("/branches", response={201: BranchDetailOut})
def branch_create(request: HttpRequest, payload: BranchIn):
    actor = access_console(user=request.user, perm=Perm.BRANCH_CREATE)
    data = payload.dict()
    store = access_store_by_id(actor=actor, store_id=data.pop("store_id"), perm=Perm.BRANCH_CREATE)
    return Status(201, services.branch_create(store=store, **data))


@router.patch("/branches/{branch_id}", response=BranchDetailOut)
def branch_patch(request: HttpRequest, branch_id: int, payload: BranchPatch):
    actor = access_console_membership(user=request.user)
    branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
    return services.branch_update(branch=branch, **payload.dict(exclude_unset=True))
