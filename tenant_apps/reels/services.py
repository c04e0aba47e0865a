"""Reel writes: create from a verified direct upload, change, submit, moderate, mark the renditions ready, delete.

Every write runs in one transaction with its audit entry and, when what customers may see changes, an outbox event
of entity "reel" carrying `reel_feed_payload` (the contract: tenant_apps/reels/__init__.py). Moderation (ADR 0013):
the automatic checks (checks.py) run on submit and again on approval; a failure rejects with their reasons; a trusted
merchant (`Merchant.reels_trusted`) is approved at once; the others wait in the operators' queue
(marketplace/reel_review, told through signals.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kernel.tasks import task_send
from shared_apps.media.models import MediaResourceType
from shared_apps.media.services import (
    asset_derivatives_check,
    asset_record_upload,
    assets_destroy_on_commit,
    delivery_url,
    tenant_folder,
    upload_signature,
)
from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit
from tenant_apps.reels.checks import CHECK_LABELS, ReelFacts, reel_check_failures
from tenant_apps.reels.errors import ReelError, ReelErrorCode
from tenant_apps.reels.models import MAX_CAPTION, MAX_PRODUCTS, Reel, ReelMedia, ReelProduct, ReelStatus
from tenant_apps.reels.selectors import current_merchant, reel_feed_payload, reels_for_payload
from tenant_apps.reels.signals import reel_review_closed, reel_review_requested
from tenant_apps.staff.access import require, scoped_branches
from tenant_apps.staff.audit import Actions, audit_record
from tenant_apps.staff.models import Membership
from tenant_apps.staff.permissions import Perm

logger = logging.getLogger(__name__)

FOLDER = "reels"
MEDIA_CHECK_TASK = "tenant_apps.reels.tasks.reel_media_check"
MAX_SCHEDULE = timedelta(days=60)
_URL_FIELDS = {"hls": "hls_url", "mp4": "mp4_url", "webm": "webm_url", "frame": "poster_url"}


def reel_upload_signature(*, actor: Membership) -> dict[str, Any]:
    """Signed parameters for the browser's direct (chunked) upload of a reel into merchants/<schema>/reels, with
    the streamed renditions asked for eagerly (shared_apps.media.services.upload_signature, stream=True)."""
    require(actor, Perm.REELS_MANAGE)
    folder = tenant_folder(tenant_schema=connection.schema_name, name=FOLDER)
    return upload_signature(folder=folder, resource_type=MediaResourceType.VIDEO, stream=True)


# ---- validation ----------------------------------------------------------------------------------------------------


def _branches(*, actor: Membership, branch_ids: Sequence[int], store_id: int | None) -> list:
    ids = list(dict.fromkeys(int(b) for b in branch_ids))
    branches = list(scoped_branches(actor).filter(pk__in=ids, is_active=True))
    stores = {b.store_id for b in branches}
    if not ids or len(branches) != len(ids) or len(stores) != 1 or (store_id and stores != {store_id}):
        raise ReelError(ReelErrorCode.BRANCHES_INVALID, field="branch_ids")
    return branches


def _products(*, store_id: int, product_ids: Sequence[int]) -> list[Product]:
    ids = list(dict.fromkeys(int(p) for p in product_ids))
    if not 1 <= len(ids) <= MAX_PRODUCTS:
        raise ReelError(ReelErrorCode.PRODUCTS_INVALID, field="product_ids")
    found = {p.pk: p for p in Product.objects.filter(pk__in=ids, store_id=store_id, status=ProductStatus.ACTIVE)}
    if len(found) != len(ids):
        raise ReelError(ReelErrorCode.PRODUCTS_INVALID, field="product_ids")
    return [found[i] for i in ids]


def _caption(caption: str) -> str:
    caption = " ".join((caption or "").split()) if "\n" not in (caption or "") else (caption or "").strip()
    if len(caption) > MAX_CAPTION:
        raise ReelError(ReelErrorCode.CAPTION_TOO_LONG, field="caption")
    return caption


def _publish_at(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    now = timezone.now()
    if timezone.is_naive(value) or value > now + MAX_SCHEDULE:
        raise ReelError(ReelErrorCode.PUBLISH_AT_INVALID, field="publish_at")
    return value if value > now else None  # a time already past means "now"


def _urls(*, public_id: str, version: int) -> dict[str, str]:
    return {
        field: delivery_url(public_id=public_id, resource_type="video", variant=variant, version=version)
        for variant, field in _URL_FIELDS.items()
    }


def _eager_done(upload: dict[str, Any]) -> bool:
    """Whether the upload's answer already lists every rendition made (a synchronous eager upload)."""
    eager = upload.get("eager")
    if not isinstance(eager, list) or not eager:
        return False
    done = {str(e.get("format")) for e in eager if isinstance(e, dict) and e.get("status") != "processing"}
    return {"m3u8", "mp4", "webm", "jpg"} <= done


# ---- the state machine ---------------------------------------------------------------------------------------------


def _failures(reel: Reel) -> list[str]:
    product_ids = list(reel.tags.values_list("product_id", flat=True))
    active = Product.objects.filter(pk__in=product_ids, status=ProductStatus.ACTIVE).count()
    facts = ReelFacts(
        duration_s=reel.duration_s,
        width=reel.width,
        height=reel.height,
        bytes=reel.bytes,
        products_active=bool(product_ids) and active == len(product_ids),
    )
    return reel_check_failures(facts)


def _reasons(failures: list[str]) -> str:
    return " ".join(str(CHECK_LABELS[f]) for f in failures)


def _approve(reel: Reel) -> None:
    now = timezone.now()
    reel.status, reel.rejection_reason, reel.reviewed_at = ReelStatus.APPROVED, "", now
    reel.published_at = reel.publish_at if reel.publish_at and reel.publish_at > now else now


def _submit(reel: Reel) -> None:
    """Checks, then approved (trusted merchant), rejected (a check failed) or waiting for an operator."""
    reel.check_failures = _failures(reel)
    reel.submitted_at = timezone.now()
    if reel.check_failures:
        reel.status, reel.rejection_reason = ReelStatus.REJECTED, _reasons(reel.check_failures)
        reel.reviewed_at, reel.published_at = timezone.now(), None
    elif current_merchant().reels_trusted:
        _approve(reel)
    else:
        reel.status, reel.rejection_reason, reel.published_at = ReelStatus.PENDING_REVIEW, "", None
        reel_review_requested.send(
            sender=Reel,
            schema=connection.schema_name,
            reel_id=reel.pk,
            caption=reel.caption,
            poster_url=reel.poster_url,
            duration_s=reel.duration_s,
            check_failures=reel.check_failures,
        )


def _publish(reel_id: int) -> None:
    """The reel as the feed should show it now, to the outbox (a withdrawal when it is not public)."""
    reel = reels_for_payload().get(pk=reel_id)
    outbox_emit(entity=Entity.REEL, entity_id=reel_id, payload=reel_feed_payload(reel=reel))


def _check_media_after_commit(reel: Reel) -> None:
    if reel.media_state == ReelMedia.PROCESSING:
        reel_id = reel.pk
        transaction.on_commit(lambda: task_send(MEDIA_CHECK_TASK, reel_id=reel_id, attempt=0), robust=True)


# ---- writes --------------------------------------------------------------------------------------------------------


def reel_create(
    *,
    actor: Membership,
    upload: dict[str, Any],
    branch_ids: Sequence[int],
    product_ids: Sequence[int],
    caption: str = "",
    publish_at: datetime | None = None,
    store_id: int | None = None,
    submit: bool = True,
) -> Reel:
    """A reel from Cloudinary's answer to the browser's direct upload (its signature verified: forged answers are
    MediaError SIGNATURE_INVALID), shown at `branch_ids` (one store's, in the actor's scope), tagging `product_ids`
    (1 to 5 active products of that store, in that order). `submit=False` keeps it a draft; else it is checked and
    approved, rejected or queued for review (module docstring). Raises ReelError (NOT_A_VIDEO, BRANCHES_INVALID,
    PRODUCTS_INVALID, CAPTION_TOO_LONG, PUBLISH_AT_INVALID, ALREADY_USED) or MediaError; nothing is written then."""
    require(actor, Perm.REELS_MANAGE)
    caption, publish_at = _caption(caption), _publish_at(publish_at)
    branches = _branches(actor=actor, branch_ids=branch_ids, store_id=store_id)
    products = _products(store_id=branches[0].store_id, product_ids=product_ids)
    asset = asset_record_upload(response=upload, tenant_schema=connection.schema_name)
    if asset.resource_type != MediaResourceType.VIDEO:
        raise ReelError(ReelErrorCode.NOT_A_VIDEO, field="upload")
    if Reel.objects.filter(public_id=asset.public_id).exists():
        raise ReelError(ReelErrorCode.ALREADY_USED, field="upload")
    with transaction.atomic():
        reel = Reel.objects.create(
            store_id=branches[0].store_id,
            public_id=asset.public_id,
            asset_version=asset.version,
            duration_s=asset.duration or 0,
            width=asset.width or 0,
            height=asset.height or 0,
            bytes=asset.bytes,
            caption=caption,
            publish_at=publish_at,
            media_state=ReelMedia.READY if _eager_done(upload) else ReelMedia.PROCESSING,
            created_by_id=actor.user_id,
            **_urls(public_id=asset.public_id, version=asset.version),
        )
        reel.branches.set(branches)
        ReelProduct.objects.bulk_create(
            [ReelProduct(reel=reel, product=p, position=i) for i, p in enumerate(products, start=1)]
        )
        if submit:
            _submit(reel)
        reel.save()
        audit_record(
            action=Actions.REEL_CREATED,
            target_type="reel",
            target_id=reel.pk,
            store_id=reel.store_id,
            branch_id=branches[0].pk if len(branches) == 1 else None,
            caption=caption[:80],
            products=[p.name for p in products],
        )
        _publish(reel.pk)
        _check_media_after_commit(reel)
    return reel


def reel_update(
    *,
    actor: Membership,
    reel: Reel,
    caption: str | None = None,
    product_ids: Sequence[int] | None = None,
    branch_ids: Sequence[int] | None = None,
    publish_at: datetime | None = None,
    clear_schedule: bool = False,
    submit: bool = False,
) -> Reel:
    """Change what is given. A new caption or new products send a reel back through the checks and, unless the
    merchant is trusted, the review; branches and the schedule do not. `submit=True` submits a draft or a rejected
    reel again. Same errors as `reel_create`; the caller has checked access (`access_reel_by_id`, REELS_MANAGE)."""
    require(actor, Perm.REELS_MANAGE)
    with transaction.atomic():
        reel = Reel.objects.select_for_update().get(pk=reel.pk)
        content_changed = False
        if caption is not None and _caption(caption) != reel.caption:
            reel.caption, content_changed = _caption(caption), True
        if branch_ids is not None:
            reel.branches.set(_branches(actor=actor, branch_ids=branch_ids, store_id=reel.store_id))
        if product_ids is not None:
            products = _products(store_id=reel.store_id, product_ids=product_ids)
            if [p.pk for p in products] != list(reel.tags.order_by("position").values_list("product_id", flat=True)):
                reel.tags.all().delete()
                ReelProduct.objects.bulk_create(
                    [ReelProduct(reel=reel, product=p, position=i) for i, p in enumerate(products, start=1)]
                )
                content_changed = True
        if publish_at is not None or clear_schedule:
            reel.publish_at = None if clear_schedule else _publish_at(publish_at)
            if reel.status == ReelStatus.APPROVED:
                now = timezone.now()
                reel.published_at = reel.publish_at if reel.publish_at and reel.publish_at > now else now
        if submit or (content_changed and reel.status != ReelStatus.DRAFT):
            _submit(reel)
        reel.save()
        audit_record(
            action=Actions.REEL_CHANGED,
            target_type="reel",
            target_id=reel.pk,
            store_id=reel.store_id,
            caption=reel.caption[:80],
        )
        _publish(reel.pk)
    return reel


def reel_delete(*, actor: Membership, reel: Reel) -> None:
    """Delete the reel, withdraw it from the feed and its review, and delete the video at Cloudinary after commit
    (shared_apps.media: retried while Cloudinary is unavailable)."""
    require(actor, Perm.REELS_MANAGE)
    with transaction.atomic():
        reel = Reel.objects.select_for_update().get(pk=reel.pk)
        tenant = current_merchant()
        withdrawal = {
            "kind": "reel.withdrawn",
            "reel_id": reel.pk,
            "merchant_id": tenant.pk,
            "schema": tenant.schema_name,
        }
        outbox_emit(entity=Entity.REEL, entity_id=reel.pk, payload=withdrawal)
        if reel.status == ReelStatus.PENDING_REVIEW:
            reel_review_closed.send(sender=Reel, schema=connection.schema_name, reel_id=reel.pk)
        audit_record(
            action=Actions.REEL_DELETED,
            target_type="reel",
            target_id=reel.pk,
            store_id=reel.store_id,
            caption=reel.caption[:80],
        )
        public_id = reel.public_id
        reel.delete()
        assets_destroy_on_commit(public_ids=[public_id])


def reel_moderate(*, reel_id: int, approve: bool, reason: str = "") -> Reel:
    """An operator's decision, in the merchant's schema (marketplace/reel_review calls it in `schema_context`).
    Approval runs the checks again (a product may have been archived meanwhile): a failure rejects with their
    reasons. Raises ReelError NOT_REVIEWABLE (not waiting for review: decided already, or deleted) and
    REASON_REQUIRED (a rejection without a reason)."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ReelError(ReelErrorCode.REASON_REQUIRED, field="reason")
    with transaction.atomic():
        reel = Reel.objects.select_for_update().filter(pk=reel_id).first()
        if reel is None or reel.status != ReelStatus.PENDING_REVIEW:
            raise ReelError(ReelErrorCode.NOT_REVIEWABLE)
        reel.check_failures = _failures(reel)
        if approve and not reel.check_failures:
            _approve(reel)
        else:
            reel.status, reel.reviewed_at, reel.published_at = ReelStatus.REJECTED, timezone.now(), None
            reel.rejection_reason = reason if not approve else _reasons(reel.check_failures)
        reel.save()
        _publish(reel.pk)
    return reel


def reel_media_apply(*, public_id: str, ready: bool) -> Reel | None:
    """Cloudinary made (or failed to make) the reel's renditions: from the "eager" notification or the status check.
    Idempotent; a ready reel stays ready. None when no reel has this video (deleted meanwhile)."""
    with transaction.atomic():
        reel = Reel.objects.select_for_update().filter(public_id=public_id).first()
        if reel is None or reel.media_state == ReelMedia.READY:
            return reel
        reel.media_state = ReelMedia.READY if ready else ReelMedia.FAILED
        reel.save(update_fields=["media_state", "updated_at"])
        if ready:
            _publish(reel.pk)
    return reel


def reel_media_check(*, reel_id: int) -> bool | None:
    """Ask Cloudinary whether the reel's renditions exist (the status check when a notification was lost): True
    ready, False not yet, None nothing to check. Raises MediaError while Cloudinary is unavailable."""
    reel = Reel.objects.filter(pk=reel_id, media_state=ReelMedia.PROCESSING).first()
    if reel is None:
        return None
    if asset_derivatives_check(public_id=reel.public_id):
        reel_media_apply(public_id=reel.public_id, ready=True)
        return True
    return False
