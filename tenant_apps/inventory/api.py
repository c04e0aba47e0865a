"""Console API for stock: /api/v1/console/branches/{branch_id}/stock..., per branch, with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kernel.idempotency import IdempotencyKeyHeader
from kernel.inputs import Page, Quantity
from shared_apps.accounts.auth import user_auth
from tenant_apps.inventory import services
from tenant_apps.inventory.models import StockLevel
from tenant_apps.inventory.selectors import (
    branch_stock_level,
    branch_stock_levels,
    branch_stock_movements,
    stock_is_low,
)
from tenant_apps.staff.access import access_branch_by_id, access_branch_variant, access_console_membership
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["inventory"])


class LevelOut(Schema):
    variant_id: int
    sku: str
    product: str
    variant: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    low: bool


class MovementOut(Schema):
    id: int
    variant_id: int
    reason: str
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int | None
    reference: str
    note: str
    actor_id: int | None
    created_at: datetime


class ReceiveIn(Schema):
    quantity: Quantity
    note: str = ""


class AdjustIn(Schema):
    delta: Quantity
    reason: str = "adjustment"
    note: str = ""


class CountIn(Schema):
    counted: Quantity
    note: str = ""


def _level_out(level: StockLevel) -> LevelOut:
    return LevelOut(
        variant_id=level.variant_id,
        sku=level.variant.sku,
        product=level.variant.product.name,
        variant=level.variant.name,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        low_stock_threshold=level.variant.product.low_stock_threshold,
        low=stock_is_low(level),
    )


def _target(request: HttpRequest, branch_id: int, variant_id: int, perm: Perm):
    actor = access_console_membership(user=request.user)
    branch, variant = access_branch_variant(actor=actor, branch_id=branch_id, variant_id=variant_id, perm=perm)
    return actor, branch, variant


def _level_after(branch_id: int, variant_id: int) -> LevelOut:
    return _level_out(branch_stock_level(branch_id=branch_id, variant_id=variant_id))


@router.get("/branches/{branch_id}/stock", response=list[LevelOut])
def stock_list(request: HttpRequest, branch_id: int, low_only: bool = False):
    actor = access_console_membership(user=request.user)
    branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
    rows = [_level_out(level) for level in branch_stock_levels(branch=branch)]
    return [r for r in rows if r.low] if low_only else rows


def _stock_write(request: HttpRequest, branch_id: int, variant_id: int, key: str | None, write, **fields) -> LevelOut:
    """Receive, adjust and count share their route: the access check, the keyed service call with the payload's
    fields, the level after it."""
    actor, branch, variant = _target(request, branch_id, variant_id, Perm.STOCK_ADJUST)
    write(branch_id=branch.pk, variant_id=variant.pk, actor_id=actor.user_id, idempotency_key=key, **fields)
    return _level_after(branch.pk, variant.pk)


@router.post("/branches/{branch_id}/stock/{variant_id}/receive", response=LevelOut)
def stock_receive(
    request: HttpRequest,
    branch_id: int,
    variant_id: int,
    payload: ReceiveIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    return _stock_write(request, branch_id, variant_id, idempotency_key, services.stock_receive, **payload.dict())


@router.post("/branches/{branch_id}/stock/{variant_id}/adjust", response=LevelOut)
def stock_adjust(
    request: HttpRequest,
    branch_id: int,
    variant_id: int,
    payload: AdjustIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    return _stock_write(request, branch_id, variant_id, idempotency_key, services.stock_adjust, **payload.dict())


@router.post("/branches/{branch_id}/stock/{variant_id}/count", response=LevelOut)
def stock_count(
    request: HttpRequest,
    branch_id: int,
    variant_id: int,
    payload: CountIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    return _stock_write(request, branch_id, variant_id, idempotency_key, services.stock_count, **payload.dict())


@router.get("/branches/{branch_id}/movements", response=list[MovementOut])
def movement_list(request: HttpRequest, branch_id: int, page: Query[Page], variant_id: int | None = None):
    actor = access_console_membership(user=request.user)
    branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)
    return list(page.slice(branch_stock_movements(branch=branch, variant_id=variant_id)))
