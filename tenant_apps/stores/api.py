"""Console JSON API on <slug>.<domain>/api/v1/console/."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from tenant_apps.staff.access import access_console_membership
from tenant_apps.stores import selectors

router = Router(auth=django_auth)


class SummaryOut(Schema):
    merchant: str
    role: str
    stores: int
    branches: int
    products: int
    active_products: int


class StoreOut(Schema):
    id: int
    name: str
    slug: str
    branch_count: int


@router.get("/summary", response=SummaryOut)
def console_summary(request: HttpRequest):
    actor = access_console_membership(user=request.user)
    return {"merchant": request.tenant.name, "role": actor.role, **selectors.console_summary(actor=actor)}


@router.get("/stores", response=list[StoreOut])
def store_list(request: HttpRequest):
    actor = access_console_membership(user=request.user)
    return list(selectors.stores_for(actor=actor))
