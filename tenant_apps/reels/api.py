"""Console API for reels: /api/v1/console/reels..., scoped by the access layer (tenant_apps/staff/access.py).

Upload flow: POST /reels/sign → the browser uploads straight to Cloudinary (chunked above `chunk_size`, each chunk
a POST of the same signed fields with X-Unique-Upload-Id and Content-Range) → POST /reels with Cloudinary's answer.
Errors use the envelope {"code", "message", "field"}: reel_* codes (tenant_apps/reels/errors.py), media's
signature_invalid (401, a forged upload answer), outside_folder (403), not_found (404: out of scope or unknown),
forbidden (403: the role may not, or a Branch Manager's reel shown at another branch too), validation (422).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from shared_apps.accounts.auth import user_auth
from tenant_apps.reels import services
from tenant_apps.reels.checks import CHECK_LABELS
from tenant_apps.reels.models import Reel
from tenant_apps.reels.selectors import ReelStats, reel_stats
from tenant_apps.staff.access import access_console, access_reel_by_id, scoped_reels
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["reels"])
LIST_LIMIT = 200


class ReelIn(Schema):
    upload: dict  # Cloudinary's answer to the direct upload, as the browser received it
    branch_ids: list[int]
    product_ids: list[int]
    caption: str = ""
    publish_at: datetime | None = None  # null: as soon as approved
    submit: bool = True  # false: keep it a draft


class ReelPatch(Schema):
    caption: str | None = None
    branch_ids: list[int] | None = None
    product_ids: list[int] | None = None
    publish_at: datetime | None = None
    clear_schedule: bool = False
    submit: bool = False


class TagOut(Schema):
    product_id: int
    name: str
    position: int


class StatsOut(Schema):
    views: int
    average_watch_percent: float
    completions: int
    product_taps: int
    add_to_carts: int
    orders: int


class ReelOut(Schema):
    id: int
    store_id: int
    caption: str
    status: str
    status_label: str
    rejection_reason: str
    check_failures: list[str]
    media_state: str
    duration_s: float
    width: int
    height: int
    poster_url: str
    hls_url: str
    mp4_url: str
    webm_url: str
    publish_at: datetime | None
    published_at: datetime | None
    branch_ids: list[int]
    products: list[TagOut]
    stats: StatsOut
    created_at: datetime


def _out(reel: Reel, stats: ReelStats) -> dict:
    return {
        **{f: getattr(reel, f) for f in ("id", "store_id", "caption", "status", "rejection_reason", "media_state")},
        **{f: getattr(reel, f) for f in ("duration_s", "width", "height", "poster_url", "hls_url", "mp4_url")},
        **{f: getattr(reel, f) for f in ("webm_url", "publish_at", "published_at", "created_at")},
        "status_label": str(reel.get_status_display()),
        "check_failures": [str(CHECK_LABELS.get(c, c)) for c in reel.check_failures],
        "branch_ids": sorted(b.pk for b in reel.branches.all()),
        "products": [
            {"product_id": t.product_id, "name": t.product.name, "position": t.position}
            for t in sorted(reel.tags.all(), key=lambda t: t.position)
        ],
        "stats": stats.__dict__,
    }


def _loaded(queryset):
    return queryset.prefetch_related("branches", "tags__product")


def _one_out(request: HttpRequest, reel_id: int) -> dict:
    reel = _loaded(Reel.objects.filter(pk=reel_id)).get()
    return _out(reel, reel_stats(merchant=request.tenant, reel_ids=[reel.pk])[reel.pk])


@router.post("/reels/sign", response=dict)
def reel_sign(request: HttpRequest):
    """Signed parameters for the browser's direct upload of a reel (eager HLS, MP4, WebM and poster requested)."""
    actor = access_console(user=request.user, perm=Perm.REELS_MANAGE)
    return services.reel_upload_signature(actor=actor)


@router.get("/reels", response=list[ReelOut])
def reel_list(request: HttpRequest, status: str = ""):
    """The reels in the caller's scope, newest first (at most 200), each with its statistics."""
    actor = access_console(user=request.user, perm=Perm.REELS_VIEW)
    reels = _loaded(scoped_reels(actor))
    if status:
        reels = reels.filter(status=status)
    reels = list(reels[:LIST_LIMIT])
    stats = reel_stats(merchant=request.tenant, reel_ids=[r.pk for r in reels])
    return [_out(r, stats[r.pk]) for r in reels]


@router.post("/reels", response={201: ReelOut})
def reel_create(request: HttpRequest, payload: ReelIn):
    """Create a reel from a verified direct upload; submitted for review unless `submit` is false."""
    actor = access_console(user=request.user, perm=Perm.REELS_MANAGE)
    reel = services.reel_create(actor=actor, **payload.dict())
    return Status(201, _one_out(request, reel.pk))


@router.get("/reels/{reel_id}", response=ReelOut)
def reel_detail(request: HttpRequest, reel_id: int):
    actor = access_console(user=request.user, perm=Perm.REELS_VIEW)
    reel = access_reel_by_id(actor=actor, reel_id=reel_id)
    return _one_out(request, reel.pk)


@router.patch("/reels/{reel_id}", response=ReelOut)
def reel_update(request: HttpRequest, reel_id: int, payload: ReelPatch):
    """Change caption, products, branches or schedule; `submit` sends a draft or rejected reel (back) to review."""
    actor = access_console(user=request.user, perm=Perm.REELS_VIEW)
    reel = access_reel_by_id(actor=actor, reel_id=reel_id, perm=Perm.REELS_MANAGE)
    services.reel_update(actor=actor, reel=reel, **payload.dict())
    return _one_out(request, reel.pk)


@router.delete("/reels/{reel_id}", response={204: None})
def reel_delete(request: HttpRequest, reel_id: int):
    """Delete the reel; its video is deleted at Cloudinary after the commit."""
    actor = access_console(user=request.user, perm=Perm.REELS_VIEW)
    reel = access_reel_by_id(actor=actor, reel_id=reel_id, perm=Perm.REELS_MANAGE)
    services.reel_delete(actor=actor, reel=reel)
    return Status(204, None)
