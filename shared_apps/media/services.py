"""Media writes and provider calls, through the `cloudinary` SDK (configured by CLOUDINARY_URL alone).

Folders: a merchant's media lives under `merchants/<tenant schema>/...`; every public_id we accept is checked against
that prefix, so the public_id says which merchant owns an asset (MediaAsset.tenant_schema).

Trust: an upload response that comes back through a browser is signed by Cloudinary over public_id and version only,
so only those two are taken as facts; the descriptive fields are sanitized and the URL is rebuilt, never copied. A
notification is signed over its whole body (X-Cld-Signature), so its fields are taken as they are.

Delivery URLs come from the SDK and its configuration: with plain `cloudinary://<key>:<secret>@<cloud>` they are
`https://res.cloudinary.com/<cloud>/<resource_type>/upload/...`; a `cname` option in CLOUDINARY_URL (the dev default
`cname=127.0.0.1:8100`, the sandbox) makes them `http://<cname>/<cloud>/...` — the SDK's own rule for cnames — unless
`secure=true` is also given. Nothing else decides where media is served from.
"""

from __future__ import annotations

import json
import logging
import re
import time
from functools import lru_cache
from pathlib import PurePosixPath
from typing import IO, Any

import cloudinary
import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
from cloudinary import exceptions as cld
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kernel.jsonparse import json_loads
from kernel.tasks import task_send
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.models import MediaAsset, MediaAssetStatus, MediaResourceType
from shared_apps.media.signals import media_derivatives_ready
from tenants.models import Merchant

logger = logging.getLogger(__name__)

TENANT_ROOT = "merchants"
CHUNK_BYTES = 20 * 1024 * 1024  # a browser uploads larger files in chunks of this size (Cloudinary: at least 5 MB)
DESTROY_TASK = "shared_apps.media.tasks.asset_destroy_at_provider"  # sent by name: the tasks module imports this one
MAX_BYTES = {MediaResourceType.IMAGE: 10 * 1024 * 1024, MediaResourceType.VIDEO: 100 * 1024 * 1024}
# What Cloudinary reports as `format`, per resource type: sent as `allowed_formats`, so Cloudinary refuses the rest.
FORMATS = {
    MediaResourceType.IMAGE: ("jpg", "png", "webp", "gif", "avif", "heic"),
    MediaResourceType.VIDEO: ("mp4", "mov", "webm"),
}
_EXTENSIONS = {
    **dict.fromkeys(("jpg", "jpeg", "png", "webp", "gif", "avif", "heic", "heif"), MediaResourceType.IMAGE),
    **dict.fromkeys(("mp4", "m4v", "mov", "webm"), MediaResourceType.VIDEO),
}
VARIANTS: dict[tuple[str, str], dict[str, Any]] = {
    ("image", "thumb"): {"crop": "fill", "width": 320, "height": 320, "fetch_format": "auto", "quality": "auto"},
    ("image", "full"): {"crop": "limit", "width": 1600, "fetch_format": "auto", "quality": "auto"},
    ("video", "thumb"): {"crop": "fill", "width": 320, "height": 320, "quality": "auto", "format": "jpg"},
    ("video", "poster"): {"crop": "limit", "width": 1600, "quality": "auto", "format": "jpg"},  # a frame, as JPEG
    ("video", "video"): {"fetch_format": "auto", "quality": "auto"},
    # Reels: the renditions made eagerly at upload (STREAM_EAGER), so playback never waits for a transform.
    ("video", "hls"): {"streaming_profile": "auto", "format": "m3u8"},
    ("video", "mp4"): {"fetch_format": "auto", "quality": "auto", "format": "mp4"},
    ("video", "webm"): {"fetch_format": "auto", "quality": "auto", "format": "webm"},
    ("video", "frame"): {"start_offset": "1", "format": "jpg"},
}
STREAM_VARIANTS = ("hls", "mp4", "webm", "frame")  # what a streamed video (a reel) asks Cloudinary for at upload
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_FOLDER_TAIL = re.compile(r"(/[A-Za-z0-9_-]{1,64}){0,4}")
_PUBLIC_ID_TAIL = re.compile(r"[A-Za-z0-9_-]+(?:[./ ][A-Za-z0-9_-]+)*")
_FORMAT = re.compile(r"[a-z0-9]{1,16}")


# ---- folders and ownership -----------------------------------------------------------------------------------------


def tenant_folder(*, tenant_schema: str, name: str) -> str:
    """`merchants/<tenant_schema>/<name>`, e.g. tenant_folder(tenant_schema="m_shop", name="products")."""
    return _folder_checked(folder=f"{TENANT_ROOT}/{tenant_schema}/{name}", tenant_schema=tenant_schema)


def tenant_of_public_id(public_id: str) -> str | None:
    """The schema whose folder holds `public_id` (`merchants/<schema>/...`), or None when it is in no merchant's."""
    root, _, rest = public_id.partition("/")
    schema, _, tail = rest.partition("/")
    if root != TENANT_ROOT or not _SCHEMA.fullmatch(schema) or schema == "public" or not tail:
        return None
    return schema


def _folder_checked(*, folder: str, tenant_schema: str) -> str:
    folder = folder.strip().strip("/")
    prefix = f"{TENANT_ROOT}/{tenant_schema}"
    in_tenant = folder == prefix or (folder.startswith(prefix + "/") and _FOLDER_TAIL.fullmatch(folder[len(prefix) :]))
    if not _SCHEMA.fullmatch(tenant_schema) or tenant_schema == "public" or not in_tenant:
        raise MediaError(MediaErrorCode.OUTSIDE_FOLDER, field="folder")
    return folder


def _public_id_checked(*, public_id: str, tenant_schema: str) -> None:
    prefix = f"{TENANT_ROOT}/{tenant_schema}/"
    tail = public_id[len(prefix) :]
    if (
        len(public_id) > 255
        or tenant_of_public_id(public_id) != tenant_schema
        or not _PUBLIC_ID_TAIL.fullmatch(tail)
        or ".." in tail
    ):
        raise MediaError(MediaErrorCode.OUTSIDE_FOLDER, field="public_id")


# ---- SDK configuration and failures --------------------------------------------------------------------------------


# Cloudinary checks Upload API signatures the version-2 way (an `&` inside a value escaped as %26, so a value cannot
# smuggle in a parameter). The SDK would sign the old way if CLOUDINARY_URL said signature_version=1: never follow it.
SIGNATURE_VERSION = 2


def _secure_delivery() -> bool:
    """HTTPS unless a cname is configured without `secure=true` (query values from CLOUDINARY_URL are strings)."""
    config = cloudinary.config()
    return not config.cname or str(config.secure).lower() in ("true", "1")


def _provider_error(exc: cld.Error, *, action: str) -> MediaError:
    """Map an SDK failure to our error: transient ones (network, 5xx, rate limits) are PROVIDER_UNAVAILABLE, which
    callers may retry; refusals of the request are permanent."""
    message = str(exc)
    if isinstance(exc, cld.BadRequest) and action == "upload":
        return MediaError(MediaErrorCode.UPLOAD_REJECTED, f"The media service refused this file: {message}")
    refused = (cld.BadRequest, cld.AuthorizationRequired, cld.NotAllowed, cld.NotFound, cld.AlreadyExists)
    unreadable_4xx = re.match(r"Error parsing server response \((4\d\d)\)", message)
    if isinstance(exc, refused) or (unreadable_4xx and unreadable_4xx.group(1) != "429"):
        logger.error("cloudinary %s refused: %s", action, message)  # our configuration or request is wrong
        return MediaError(MediaErrorCode.PROVIDER_REJECTED)
    logger.warning("cloudinary %s unavailable: %s", action, message)
    return MediaError(MediaErrorCode.PROVIDER_UNAVAILABLE)


# ---- uploads -------------------------------------------------------------------------------------------------------


def stream_eager() -> str:
    """The `eager` parameter that makes STREAM_VARIANTS at upload, in the SDK's own notation
    ("sp_auto/m3u8|f_auto,q_auto/mp4|..."): the same transformations as their delivery URLs, so those hit the cache."""
    return cloudinary.utils.build_eager([dict(VARIANTS[("video", v)]) for v in STREAM_VARIANTS])


def upload_signature(*, folder: str, resource_type: str = "image", stream: bool = False) -> dict[str, Any]:
    """Signed parameters for one direct upload from the browser into `folder` of the current tenant.

    `folder` must be the current tenant's (`merchants/<connection.schema_name>[/<name>...]`), else
    MediaError(OUTSIDE_FOLDER); `resource_type` is "image" or "video", else MediaError(UNSUPPORTED_TYPE).
    The browser POSTs `file` with api_key, timestamp, signature, folder, allowed_formats (and notification_url when
    present) as form fields to `upload_url`, within one hour (Cloudinary refuses older timestamps), then hands the
    JSON response to `asset_record_upload`. Signing has no side effects; Cloudinary enforces folder and formats.
    `stream=True` (videos) also asks for the streamed renditions eagerly and in the background (`eager`,
    `eager_async`; `eager_notification_url` when notifications are configured): Cloudinary reports them ready with an
    "eager" notification (`media_derivatives_ready`), or `asset_derivatives_check` asks. Files over 20 MB go up in
    chunks (`chunk_size`), each chunk a POST with these same fields and X-Unique-Upload-Id / Content-Range headers.
    """
    folder = _folder_checked(folder=folder, tenant_schema=connection.schema_name)
    if resource_type not in MediaResourceType.values:
        raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, field="resource_type")
    config = cloudinary.config()
    params: dict[str, Any] = {
        "timestamp": int(time.time()),
        "folder": folder,
        "allowed_formats": ",".join(FORMATS[MediaResourceType(resource_type)]),
    }
    if settings.CLOUDINARY_NOTIFICATION_URL:
        params["notification_url"] = settings.CLOUDINARY_NOTIFICATION_URL
    if stream:
        if resource_type != MediaResourceType.VIDEO:
            raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, field="resource_type")
        params.update(eager=stream_eager(), eager_async="true")
        if settings.CLOUDINARY_NOTIFICATION_URL:
            params["eager_notification_url"] = settings.CLOUDINARY_NOTIFICATION_URL
    signature = cloudinary.utils.api_sign_request(
        params, config.api_secret, config.signature_algorithm, SIGNATURE_VERSION
    )
    return {
        "upload_url": cloudinary.utils.cloudinary_api_url("upload", resource_type=resource_type),
        "api_key": config.api_key,
        "cloud_name": config.cloud_name,
        "resource_type": resource_type,
        "chunk_size": CHUNK_BYTES,
        **params,
        "signature": signature,
    }


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def _original_url(*, public_id: str, resource_type: str, version: int, format: str) -> str:
    url, _ = cloudinary.utils.cloudinary_url(
        public_id,
        resource_type=resource_type,
        type="upload",
        version=version,
        format=format or None,
        secure=_secure_delivery(),
    )
    return url


def _asset_upsert(*, data: dict[str, Any], public_id: str, version: int, tenant_schema: str) -> MediaAsset:
    """Create or refresh the row for `public_id` from provider data. A newer version replaces the row (and revives
    it); the same version refreshes an active row; an older version, or the same one on a row being deleted, changes
    nothing — so replays and late notifications never undo a newer upload or a deletion."""
    resource_type = data.get("resource_type")
    if resource_type not in MediaResourceType.values:
        raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, field="resource_type")
    format = str(data.get("format") or "").lower()
    format = format if _FORMAT.fullmatch(format) else ""
    width, height = _as_int(data.get("width")), _as_int(data.get("height"))
    fields = {
        "resource_type": resource_type,
        "format": format,
        "bytes": _as_int(data.get("bytes")) or 0,
        "width": width if width and width < 2**31 else None,
        "height": height if height and height < 2**31 else None,
        "duration": _as_float(data.get("duration")) if resource_type == MediaResourceType.VIDEO else None,
        "version": version,
        "secure_url": _original_url(public_id=public_id, resource_type=resource_type, version=version, format=format),
        "tenant_schema": tenant_schema,
    }
    with transaction.atomic():
        asset, created = MediaAsset.objects.get_or_create(public_id=public_id, defaults=fields)
        if created:
            return asset
        asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        newer = version > asset.version
        if newer or (version == asset.version and asset.status == MediaAssetStatus.ACTIVE):
            for name, value in fields.items():
                setattr(asset, name, value)
            asset.status, asset.deleted_at = MediaAssetStatus.ACTIVE, None
            asset.save()
        return asset


def asset_record_upload(*, response: dict[str, Any], tenant_schema: str) -> MediaAsset:
    """Record an upload from Cloudinary's upload response (as the browser or `asset_upload` received it).

    Verifies the response's `signature` over public_id and version with the API secret (MediaError(SIGNATURE_INVALID)
    otherwise) and that public_id lies in `tenant_schema`'s folder (MediaError(OUTSIDE_FOLDER)); a response missing
    them is MediaError(UPLOAD_INVALID), a raw file MediaError(UNSUPPORTED_TYPE). Idempotent on public_id: recording
    the same response again returns the same row; a newer version of the public_id updates it.
    """
    if not isinstance(response, dict):
        raise MediaError(MediaErrorCode.UPLOAD_INVALID)
    public_id, version, signature = (
        response.get("public_id"),
        _as_int(response.get("version")),
        response.get("signature"),
    )
    if not isinstance(public_id, str) or not public_id or version is None or not isinstance(signature, str):
        raise MediaError(MediaErrorCode.UPLOAD_INVALID)
    if not cloudinary.utils.verify_api_response_signature(public_id, version, signature):
        raise MediaError(MediaErrorCode.SIGNATURE_INVALID, field="signature")
    _public_id_checked(public_id=public_id, tenant_schema=tenant_schema)
    return _asset_upsert(data=response, public_id=public_id, version=version, tenant_schema=tenant_schema)


def _read_limited(file: bytes | IO[bytes], *, limit: int) -> bytes:
    """At most `limit` bytes of `file`, else MediaError(FILE_TOO_LARGE). Paths and URLs are refused: the SDK would
    read a local file or have Cloudinary fetch a URL."""
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    elif hasattr(file, "read"):
        size = getattr(file, "size", None)
        if isinstance(size, int) and size > limit:
            raise MediaError(MediaErrorCode.FILE_TOO_LARGE, field="file")
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)
        if not isinstance(data, bytes):
            raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, "Open the file in binary mode.", field="file")
    else:
        raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, "Send the file's content.", field="file")
    if len(data) > limit:
        raise MediaError(MediaErrorCode.FILE_TOO_LARGE, field="file")
    if not data:
        raise MediaError(MediaErrorCode.FILE_EMPTY, field="file")
    return data


def asset_upload(
    *, file: bytes | IO[bytes], filename: str, folder: str, tenant_schema: str, resource_type: str = "auto"
) -> MediaAsset:
    """Upload a small file from the server into `folder` (the tenant's) and record it. One Upload API call.

    The type comes from the filename's extension (images: jpg, jpeg, png, webp, gif, avif, heic; videos: mp4, m4v,
    mov, webm) and must agree with `resource_type` unless it is "auto"; images over 10 MB and videos over 100 MB are
    refused before any upload. Raises MediaError: OUTSIDE_FOLDER, UNSUPPORTED_TYPE, FILE_TOO_LARGE, FILE_EMPTY,
    UPLOAD_REJECTED (Cloudinary refused the file, e.g. not really an image), PROVIDER_REJECTED (credentials or
    configuration), PROVIDER_UNAVAILABLE (network, 5xx: the upload may be retried; a retry makes a second asset).
    """
    folder = _folder_checked(folder=folder, tenant_schema=tenant_schema)
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    kind = _EXTENSIONS.get(PurePosixPath(name).suffix.lower().lstrip("."))
    if kind is None or resource_type not in ("auto", kind):
        raise MediaError(MediaErrorCode.UNSUPPORTED_TYPE, field="file")
    data = _read_limited(file, limit=MAX_BYTES[kind])
    try:
        response = cloudinary.uploader.upload(
            (name, data),
            folder=folder,
            resource_type=kind.value,
            allowed_formats=list(FORMATS[kind]),
            signature_version=SIGNATURE_VERSION,
            timeout=settings.CLOUDINARY_TIMEOUT_SECONDS,
        )
    except cld.Error as exc:
        raise _provider_error(exc, action="upload") from exc
    return asset_record_upload(response=response, tenant_schema=tenant_schema)


# ---- deletion ------------------------------------------------------------------------------------------------------


def asset_destroy(*, public_id: str) -> None:
    """Delete `public_id` at Cloudinary (CDN copies invalidated) and mark its row deleted. One Destroy API call.

    Idempotent: "not found" at Cloudinary counts as done, and an already deleted row stays as it is. Uses the row's
    resource type (image when there is no row). Raises MediaError(PROVIDER_UNAVAILABLE) on network errors, 5xx and
    rate limits (retry later) and MediaError(PROVIDER_REJECTED) when Cloudinary refuses the request (do not retry);
    the row is left unchanged then.
    """
    asset = MediaAsset.objects.filter(public_id=public_id).first()
    resource_type = asset.resource_type if asset else MediaResourceType.IMAGE.value
    try:
        result = cloudinary.uploader.destroy(
            public_id,
            resource_type=resource_type,
            invalidate=True,
            signature_version=SIGNATURE_VERSION,
            timeout=settings.CLOUDINARY_TIMEOUT_SECONDS,
        )
    except cld.Error as exc:
        raise _provider_error(exc, action="destroy") from exc
    outcome = result.get("result") if isinstance(result, dict) else None
    if outcome not in ("ok", "not found"):
        logger.warning("cloudinary destroy %s answered %s", public_id, json.dumps(result)[:200])
        raise MediaError(MediaErrorCode.PROVIDER_UNAVAILABLE)
    MediaAsset.objects.filter(public_id=public_id).exclude(status=MediaAssetStatus.DELETED).update(
        status=MediaAssetStatus.DELETED, deleted_at=timezone.now()
    )


def assets_destroy_on_commit(*, public_ids: list[str]) -> None:
    """Mark these assets `deleting` now and delete them at Cloudinary after the transaction commits.

    One Celery task per public_id (shared_apps.media.tasks.asset_destroy_at_provider), retried with backoff while
    Cloudinary is unavailable (at most 8 times). Nothing is queued if the transaction rolls back (the status change
    rolls back with it). Never raises into the caller: if the broker refuses the task it is logged and the row stays
    `deleting` (no longer shown); the beat sweep (tasks.assets_deleting_sweep) sends it again after an hour. Ids
    without a row are destroyed too.
    """
    ids = list(dict.fromkeys(public_id for public_id in public_ids if public_id))
    if not ids:
        return
    MediaAsset.objects.filter(public_id__in=ids, status=MediaAssetStatus.ACTIVE).update(
        status=MediaAssetStatus.DELETING, deleting_since=timezone.now()
    )

    def enqueue() -> None:
        for public_id in ids:
            try:
                task_send(DESTROY_TASK, public_id=public_id)
            except Exception:
                logger.exception("media %s: destroy could not be queued", public_id)

    transaction.on_commit(enqueue)


# ---- delivery ------------------------------------------------------------------------------------------------------


def delivery_url(
    *, public_id: str, resource_type: str = "image", variant: str = "full", version: int | None = None
) -> str:
    """The URL to show `public_id` as `variant`. Pure: no database, no network.

    Images: "thumb" (c_fill,w_320,h_320,f_auto,q_auto), "full" (c_limit,w_1600,f_auto,q_auto). Videos: "thumb" and
    "poster" (a JPEG frame, 320x320 fill or up to 1600 wide), "video" (f_auto,q_auto stream). Anything else is
    MediaError(VARIANT_INVALID). Pass the asset's `version` to bust caches after it was replaced. Host and scheme
    follow CLOUDINARY_URL (see the module docstring).
    """
    return delivery_urls(public_ids=[public_id], resource_type=resource_type, variant=variant, version=version)[0]


def delivery_urls(
    *, public_ids: list[str], resource_type: str = "image", variant: str = "full", version: int | None = None
) -> list[str]:
    """`delivery_url` of each of `public_ids`, in order: a page of results reads the configuration once."""
    if (resource_type, variant) not in VARIANTS:
        raise MediaError(MediaErrorCode.VARIANT_INVALID, field="variant")
    config = tuple(sorted((k, str(v)) for k, v in vars(cloudinary.config()).items()))
    urls = []
    for public_id in public_ids:
        if version is None and _PLAIN_ID.fullmatch(public_id):
            # The SDK leaves such ids as they are: one URL per (variant, slash or not) serves them all. A search
            # page shows thousands of different images, and the SDK's URL building is costly next to a replace.
            placeholder = _PLACEHOLDER_SLASH if "/" in public_id else _PLACEHOLDER
            template = _delivery_url(placeholder, resource_type, variant, None, config)
            urls.append(template.replace(placeholder, public_id))
        else:
            urls.append(_delivery_url(public_id, resource_type, variant, version, config))
    return urls


_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")
_PLACEHOLDER, _PLACEHOLDER_SLASH = "PLANCKLYID0", "PLANCKLYID1/PLANCKLYID2"


@lru_cache(maxsize=20_000)
def _delivery_url(public_id: str, resource_type: str, variant: str, version: int | None, _config: tuple) -> str:
    """Building a URL through the SDK is costly and pages ask for the same ones again: cached per configuration."""
    url, _ = cloudinary.utils.cloudinary_url(
        public_id,
        resource_type=resource_type,
        type="upload",
        version=version,
        secure=_secure_delivery(),
        **VARIANTS[(resource_type, variant)],
    )
    return url


# ---- notifications -------------------------------------------------------------------------------------------------


def _verified(*, body: str, timestamp: str | None, signature: str | None) -> None:
    if not timestamp or not signature:
        raise MediaError(MediaErrorCode.SIGNATURE_INVALID)
    try:
        valid = cloudinary.utils.verify_notification_signature(body, timestamp, signature, valid_for=7200)
    except (TypeError, ValueError):  # a timestamp that is not a number
        valid = False
    if not valid:
        raise MediaError(MediaErrorCode.SIGNATURE_INVALID)


def _asset_gone(public_id: str) -> bool:
    return bool(
        MediaAsset.objects.filter(public_id=public_id)
        .exclude(status=MediaAssetStatus.DELETED)
        .update(status=MediaAssetStatus.DELETED, deleted_at=timezone.now())
    )


def notification_apply(*, body: str, timestamp: str | None, signature: str | None) -> str:
    """Apply one Cloudinary notification (the raw body and its X-Cld-Timestamp / X-Cld-Signature headers).

    Nothing is read before the signature is verified (MediaError(SIGNATURE_INVALID) for a missing, wrong or more than
    two hours old one). "upload" records or refreshes the asset when its public_id is in an existing merchant's
    folder; "delete" marks the listed assets deleted; anything else is ignored. Idempotent (same rules as
    `asset_record_upload`), database only. Returns what was done: "recorded", "deleted" or "ignored".
    """
    _verified(body=body, timestamp=timestamp, signature=signature)
    try:
        payload = json_loads(body)
    except ValueError as exc:
        raise MediaError(MediaErrorCode.NOTIFICATION_INVALID) from exc
    if not isinstance(payload, dict):
        raise MediaError(MediaErrorCode.NOTIFICATION_INVALID)
    kind = payload.get("notification_type")
    if kind == "upload":
        return _notification_upload(payload)
    if kind == "eager":
        return _notification_eager(payload)
    if kind == "delete":
        resources = payload.get("resources")
        entries = resources if isinstance(resources, list) else [payload]
        public_ids = [
            e.get("public_id") for e in entries if isinstance(e, dict) and isinstance(e.get("public_id"), str)
        ]
        deleted = [public_id for public_id in public_ids if _asset_gone(public_id)]
        return "deleted" if deleted else "ignored"
    return "ignored"


def _derivatives_made(derived: Any) -> set[str]:
    """Which STREAM_VARIANTS a list of eager/derived entries holds (by their format)."""
    formats = (
        {str(e.get("format") or "").lower() for e in derived if isinstance(e, dict)}
        if isinstance(derived, list)
        else set()
    )
    wanted = {v: VARIANTS[("video", v)]["format"] for v in STREAM_VARIANTS}
    return {v for v, fmt in wanted.items() if fmt in formats}


def _notification_eager(payload: dict[str, Any]) -> str:
    public_id = payload.get("public_id")
    schema = tenant_of_public_id(public_id) if isinstance(public_id, str) else None
    if schema is None:
        return "ignored"
    made = _derivatives_made(payload.get("eager"))
    ready = made == set(STREAM_VARIANTS)
    media_derivatives_ready.send(sender=MediaAsset, public_id=public_id, tenant_schema=schema, ready=ready)
    return "recorded"


def asset_derivatives_check(*, public_id: str) -> bool:
    """Whether Cloudinary holds every streamed rendition of `public_id` (Admin API, one call): the status check for
    when an "eager" notification was lost. Raises MediaError(PROVIDER_UNAVAILABLE / PROVIDER_REJECTED)."""
    try:
        resource = cloudinary.api.resource(
            public_id, resource_type="video", timeout=settings.CLOUDINARY_TIMEOUT_SECONDS
        )
    except cld.NotFound:
        return False
    except cld.Error as exc:
        raise _provider_error(exc, action="resource") from exc
    return _derivatives_made(resource.get("derived")) == set(STREAM_VARIANTS)


def _notification_upload(payload: dict[str, Any]) -> str:
    public_id, version = payload.get("public_id"), _as_int(payload.get("version"))
    schema = tenant_of_public_id(public_id) if isinstance(public_id, str) else None
    if schema is None or version is None or not Merchant.objects.filter(schema_name=schema).exists():
        logger.info("cloudinary upload notification for %r: not a merchant's asset, ignored", public_id)
        return "ignored"
    try:
        _public_id_checked(public_id=public_id, tenant_schema=schema)
        _asset_upsert(data=payload, public_id=public_id, version=version, tenant_schema=schema)
    except MediaError as exc:
        logger.info("cloudinary upload notification for %r ignored: %s", public_id, exc)
        return "ignored"
    return "recorded"
