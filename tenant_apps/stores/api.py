"""Console JSON API on <slug>.<domain>/api/v1/console/: dashboard, stores, branches (scoped)."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from shared_apps.accounts.auth import user_auth
from tenant_apps.staff.access import access_branch_by_id, access_console, access_store_by_id, scoped_branches
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores import selectors

router = Router(auth=user_auth, tags=["stores"])


class SummaryOut(Schema):
    merchant: str
    role: str
    stores: int
    branches: int
    staff: int
    products: int
    active_products: int


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


@router.get("/branches/{branch_id}", response=BranchOut)
def branch_detail(request: HttpRequest, branch_id: int):
    actor = access_console(user=request.user, perm=Perm.BRANCH_VIEW)
    return access_branch_by_id(actor=actor, branch_id=branch_id)
