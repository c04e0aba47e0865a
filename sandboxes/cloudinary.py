"""Cloudinary sandbox: the Upload API calls the `cloudinary` SDK makes, and delivery of what was uploaded.

Protocol (../../shared/docs/providers.md, "Cloudinary"): `POST /v1_1/{cloud}/{resource_type}/upload` and
`.../destroy`, multipart or urlencoded form, `resource_type` image | video | raw | auto (auto: upload only), signed with
the API secret exactly as Cloudinary checks it (`string_to_sign`, `signature_matches`); errors are Cloudinary's
`{"error": {"message"}}` with its HTTP statuses. Point the SDK here with
`CLOUDINARY_URL=cloudinary://<key>:<secret>@<cloud>?upload_prefix=http://127.0.0.1:8100&cname=127.0.0.1:8100`.
Credentials: SANDBOX_CLOUDINARY_API_KEY, SANDBOX_CLOUDINARY_API_SECRET, SANDBOX_CLOUDINARY_CLOUD (defaults match the
app's default CLOUDINARY_URL). SANDBOX_CLOUDINARY_NOTIFICATION_URL stands in for the account's global notification
URL; a `notification_url` parameter overrides it, as at Cloudinary.

Delivery: `GET /{cloud}/{resource_type}/upload/[<transformations>/][v<version>/]<public_id>[.<ext>]` serves the stored
original whatever the transformations say; a video asked for as an image (a poster) is a grey JPEG of its size.

Video (sandboxes/cloudinary_video.py): chunked uploads (X-Unique-Upload-Id, Content-Range), eager transformations
(sync or `eager_async` with an "eager" notification) and delivery of HLS (`sp_auto/.../x.m3u8`), MP4/WebM renditions and
poster frames, made with ffmpeg. Admin API: `GET /v1_1/{cloud}/resources/{resource_type}/upload/{public_id}` (HTTP
Basic api_key:secret) describes an asset with its `derived` list, for a status check when a notification is lost.

Not modelled: the account's choice of SHA-256 signatures (a 64-hex signature is checked as SHA-256, a 40-hex one as
SHA-1), the rest of the Admin API, upload presets (unsigned uploads are refused), dynamic folder mode (`folder`
prefixes the public_id, as in fixed folder mode), resizing. Notifications are tried once, never retried.

Storage: $SANDBOX_DATA_DIR/cloudinary/<cloud>/<resource_type>/<sha1(public_id)>.{bin,json} (default
<repo>/.data/sandboxes), written atomically, so several uvicorn workers and restarts share it. Every notification
sent is appended to .../cloudinary/notifications.jsonl. People and tests: `GET /cloudinary` (a page),
`GET /cloudinary/resources?prefix=` (JSON, newest first), `DELETE /cloudinary/resources`,
`GET /cloudinary/notifications`.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import hmac
import html
import io
import json
import logging
import mimetypes
import os
import re
import secrets
import shutil
import string
import struct
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
from PIL import Image
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sandboxes import cloudinary_video as video

logger = logging.getLogger(__name__)

API_VERSION = "v1_1"
DEFAULT_API_KEY = "sandbox-key"  # = the app's default CLOUDINARY_URL
DEFAULT_API_SECRET = "sandbox-secret"  # noqa: S105
DEFAULT_CLOUD = "planckly"
REPO = Path(__file__).resolve().parent.parent
SIGNATURE_TTL_SECONDS = 3600
MAX_BYTES = {"image": 10 * 1024 * 1024, "video": 100 * 1024 * 1024, "raw": 10 * 1024 * 1024}  # free plan limits
UNSIGNED_PARAMS = frozenset({"file", "cloud_name", "resource_type", "api_key", "signature"})
RESOURCE_TYPES = ("image", "video", "raw")

PROVIDER = {"name": "Cloudinary", "path": "/cloudinary", "protocol": "Cloudinary Upload API (v1_1) and delivery"}

_PILLOW_FORMATS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "AVIF": "avif",
    "HEIF": "heic",
    "BMP": "bmp",
    "TIFF": "tiff",
    "ICO": "ico",
}
_VIDEO_EXTENSIONS = {"mp4": "mp4", "m4v": "mp4", "mov": "mov", "webm": "webm", "mkv": "mkv", "avi": "avi"}
_CONTENT_TYPES = {
    "heic": "image/heic",
    "avif": "image/avif",
    "webp": "image/webp",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "jpg": "image/jpeg",
}
_VERSION = re.compile(r"v\d+")
_PUBLIC_ID = re.compile(r"[^\x00-\x1f\\?#&%<>\"']{1,255}")
_RANDOM = string.ascii_lowercase + string.digits


# ---- signatures: what Cloudinary checks ----------------------------------------------------------------------------


def _form_text(value: Any) -> str:
    """A value as the HTTP form carries it, which is what Cloudinary signs: the SDK sends booleans as 1 and 0
    (`cloudinary.utils.cleanup_params`), never Python's "True"."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def string_to_sign(params: Mapping[str, Any], *, signature_version: int = 2) -> str:
    """Every parameter except file, cloud_name, resource_type, api_key (and signature), empty ones dropped, sorted by
    name, `name=value` joined by `&`; list values comma-joined, booleans as the form sends them (1/0). Version 2
    writes an `&` inside a value as `%26`, so a value cannot smuggle in a parameter of its own."""
    parts = []
    for name in sorted(params):
        value = params[name]
        if name in UNSIGNED_PARAMS:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(_form_text(item) for item in value)
        if value is None or value == "":
            continue
        text = _form_text(value)
        parts.append(f"{name}={text.replace('&', '%26') if signature_version >= 2 else text}")
    return "&".join(parts)


def signature_for(
    params: Mapping[str, Any], secret: str, *, algorithm: str = "sha1", signature_version: int = 2
) -> str:
    """hex(SHA-1 or SHA-256 of string_to_sign + secret): the `signature` an Upload API call must carry."""
    return hashlib.new(
        algorithm, (string_to_sign(params, signature_version=signature_version) + secret).encode()
    ).hexdigest()


def _algorithm_of(signature: str) -> str:
    return "sha256" if len(signature) == 64 else "sha1"


def signature_matches(params: Mapping[str, Any], secret: str, signature: str) -> bool:
    """Whether `signature` signs `params` the version-2 way: SHA-256 when it is 64 hex digits, else SHA-1.

    Cloudinary applies version 2 to every Upload API call: a signature computed the old way (version 1, an `&` in a
    value left as it is) is refused. Without an `&` in any value both ways write the same string, so old clients that
    never sign such values keep working."""
    signature = signature.strip().lower()
    algorithm = _algorithm_of(signature)
    expected = signature_for(params, secret, algorithm=algorithm, signature_version=2)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def response_signature(public_id: str, version: int, secret: str, *, algorithm: str = "sha1") -> str:
    """The `signature` of an upload response: over public_id and version (signature version 1), as the SDK verifies."""
    return hashlib.new(algorithm, f"public_id={public_id}&version={version}{secret}".encode()).hexdigest()


def notification_signature(body: str, timestamp: str, secret: str, *, algorithm: str = "sha1") -> str:
    """X-Cld-Signature: hex digest of the raw body, then the X-Cld-Timestamp value, then the secret."""
    return hashlib.new(algorithm, f"{body}{timestamp}{secret}".encode()).hexdigest()


def _credentials() -> tuple[str, str, str]:
    return (
        os.environ.get("SANDBOX_CLOUDINARY_API_KEY") or DEFAULT_API_KEY,
        os.environ.get("SANDBOX_CLOUDINARY_API_SECRET") or DEFAULT_API_SECRET,
        os.environ.get("SANDBOX_CLOUDINARY_CLOUD") or DEFAULT_CLOUD,
    )


# ---- storage -------------------------------------------------------------------------------------------------------


def storage_root() -> Path:
    """Read from the environment on every call (tests point SANDBOX_DATA_DIR at a temporary directory)."""
    return Path(os.environ.get("SANDBOX_DATA_DIR") or REPO / ".data" / "sandboxes") / "cloudinary"


def _asset_paths(resource_type: str, public_id: str) -> tuple[Path, Path]:
    key = hashlib.sha1(public_id.encode(), usedforsecurity=False).hexdigest()
    folder = storage_root() / _credentials()[2] / resource_type
    return folder / f"{key}.bin", folder / f"{key}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _asset_load(resource_type: str, public_id: str) -> dict[str, Any] | None:
    _, meta = _asset_paths(resource_type, public_id)
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("public_id") == public_id else None


def _asset_save(record: dict[str, Any], data: bytes) -> None:
    blob, meta = _asset_paths(record["resource_type"], record["public_id"])
    _write_atomically(blob, data)  # the file first: a listed asset always has its bytes
    _write_atomically(meta, json.dumps(record, ensure_ascii=False).encode())


def _asset_remove(resource_type: str, public_id: str) -> bool:
    if _asset_load(resource_type, public_id) is None:
        return False
    blob, meta = _asset_paths(resource_type, public_id)
    meta.unlink(missing_ok=True)  # the record first: once it is gone the asset is gone, whatever happens next
    blob.unlink(missing_ok=True)
    shutil.rmtree(video.derived_dir(blob), ignore_errors=True)
    return True


def _assets_all() -> list[dict[str, Any]]:
    folder = storage_root() / _credentials()[2]
    records = []
    for meta in folder.glob("*/*.json"):
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return sorted(records, key=lambda r: (r.get("created_at", ""), r.get("version", 0)), reverse=True)


def _assets_clear() -> int:
    count = len(_assets_all())
    shutil.rmtree(storage_root() / _credentials()[2], ignore_errors=True)
    return count


def _notification_log(entry: dict[str, Any]) -> None:
    path = storage_root() / "notifications.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _notifications_all() -> list[dict[str, Any]]:
    path = storage_root() / "notifications.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_SH)
        lines = file.readlines()
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries[::-1]


# ---- media inspection ----------------------------------------------------------------------------------------------


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) when Pillow reads `data` as an image, else None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return _PILLOW_FORMATS.get(image.format or "", (image.format or "").lower()), image.width, image.height
    except Exception:  # not an image, truncated, too large to decode: all the same to the caller
        return None


def _boxes(data: bytes, start: int, end: int) -> Iterable[tuple[bytes, int, int]]:
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1 and position + 16 <= end:
            size, header = struct.unpack(">Q", data[position + 8 : position + 16])[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return
        yield kind, position + header, position + size
        position += size


def mp4_info(data: bytes) -> tuple[float | None, int | None, int | None]:
    """(duration in seconds, width, height) from an MP4/QuickTime file's moov box (mvhd, first sized tkhd)."""
    duration = width = height = None
    try:
        for kind, start, end in _boxes(data, 0, len(data)):
            if kind != b"moov":
                continue
            for inner, s, e in _boxes(data, start, end):
                if inner == b"mvhd":
                    if data[s] == 1:
                        timescale, length = struct.unpack(">IQ", data[s + 20 : s + 32])
                    else:
                        timescale, length = struct.unpack(">II", data[s + 12 : s + 20])
                    duration = round(length / timescale, 3) if timescale else None
                elif inner == b"trak" and width is None:
                    for leaf, _, leaf_end in _boxes(data, s, e):
                        if leaf == b"tkhd":
                            w, h = struct.unpack(">II", data[leaf_end - 8 : leaf_end])
                            if w >> 16 and h >> 16:
                                width, height = w >> 16, h >> 16
    except (struct.error, IndexError):
        pass
    return duration, width, height


def _video_format(data: bytes, extension: str) -> str | None:
    if data[4:8] == b"ftyp":
        return "mov" if data[8:12] == b"qt  " else "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if extension != "mkv" else "mkv"
    if data[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mov"
    return _VIDEO_EXTENSIONS.get(extension)


def _analyse(data: bytes, resource_type: str, filename: str) -> tuple[str, dict[str, Any]] | str:
    """(resource type, {format, width, height, duration}) or an error message."""
    extension = PurePosixPath(filename).suffix.lower().lstrip(".")
    if resource_type in ("image", "auto") and (found := image_info(data)):
        fmt, width, height = found
        return "image", {"format": fmt, "width": width, "height": height}
    if resource_type == "image":
        return "Invalid image file"
    if resource_type in ("video", "auto") and (fmt := _video_format(data, extension)):
        duration, width, height = mp4_info(data) if fmt in ("mp4", "mov") else (None, None, None)
        return "video", {"format": fmt, "width": width, "height": height, "duration": duration}
    if resource_type == "video":
        return "Invalid video file"
    return "raw", {"format": extension or None}


# ---- helpers -------------------------------------------------------------------------------------------------------


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _form(request: Request) -> tuple[dict[str, Any], UploadFile | str | None] | JSONResponse:
    """The request's parameters (`name[]` fields collected into lists) and its `file`, multipart or urlencoded."""
    try:
        form = await request.form(max_part_size=MAX_BYTES["video"] * 2)
    except Exception as exc:  # malformed multipart bodies
        return _error(400, f"Invalid request body: {exc}")
    params: dict[str, Any] = {}
    file: UploadFile | str | None = None
    for name, value in form.multi_items():
        if name == "file":
            file = value
        elif isinstance(value, str):
            if name.endswith("[]"):
                params.setdefault(name[:-2], []).append(value)
            else:
                params[name] = value
    return params, file


def _denied(request: Request, params: dict[str, Any]) -> JSONResponse | None:
    """Cloudinary's checks: cloud, api_key, timestamp (one hour), then the signature."""
    api_key, secret, cloud = _credentials()
    if request.path_params["cloud"] != cloud:
        return _error(401, f"Invalid cloud_name {request.path_params['cloud']}")
    key = params.get("api_key")
    if not key:
        if params.get("upload_preset"):
            return _error(400, "Unsigned uploads are not supported by the sandbox: sign the request")
        return _error(400, "Must supply api_key")
    if not hmac.compare_digest(str(key).encode(), api_key.encode()):
        return _error(401, f"Unknown API key {key}")
    timestamp = params.get("timestamp")
    if not timestamp:
        return _error(400, "Missing required parameter - timestamp")
    if not str(timestamp).isdigit():
        return _error(400, f"Invalid timestamp {timestamp}")
    if int(timestamp) < time.time() - SIGNATURE_TTL_SECONDS:
        reported = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
        return _error(400, f"Stale request - reported time is {reported} which is more than 1 hour ago")
    signature = params.get("signature")
    if not signature:
        return _error(400, "Missing required parameter - signature")
    if not signature_matches(params, secret, str(signature)):
        return _error(401, f"Invalid Signature {signature}. String to sign - '{string_to_sign(params)}'.")
    return None


async def _file_bytes(file: UploadFile | str | None) -> tuple[bytes, str] | JSONResponse:
    if isinstance(file, UploadFile):
        return await file.read(), file.filename or "file"
    if isinstance(file, str) and file.startswith("data:"):
        header, _, encoded = file.partition(",")
        try:
            data = base64.b64decode(encoded, validate=True) if header.endswith(";base64") else encoded.encode()
        except (binascii.Error, ValueError):
            return _error(400, "Invalid data URI")
        return data, "file"
    if isinstance(file, str) and re.match(r"(https?|ftp|s3|gs)://", file):
        return _error(400, "Remote URLs are not supported by the sandbox: send the file itself")
    if file:
        return _error(400, f"Invalid file parameter {file[:100]}")
    return _error(400, "Missing required parameter - file")


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _public_id_for(params: dict[str, Any], filename: str, resource_type: str) -> str | None:
    folder = str(params.get("folder") or "").strip("/")
    stem, extension = PurePosixPath(filename).stem, PurePosixPath(filename).suffix.lower()
    if params.get("public_id"):
        name = str(params["public_id"]).strip("/")
    else:
        if _truthy(params.get("use_filename")) and filename != "file":
            name = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:100] or "file"
            if str(params.get("unique_filename", "true")).lower() not in ("0", "false"):
                name += "_" + "".join(secrets.choice(_RANDOM) for _ in range(6))
        else:
            name = "".join(secrets.choice(_RANDOM) for _ in range(20))
        if resource_type == "raw":
            name += extension  # raw public_ids keep their extension
    public_id = f"{folder}/{name}" if folder else name
    if not _PUBLIC_ID.fullmatch(public_id) or any(p in ("", ".", "..") for p in public_id.split("/")):
        return None
    return public_id


def _delivery_url(request: Request, resource_type: str, version: int, public_id: str, fmt: str | None) -> str:
    base = f"{request.url.scheme}://{request.url.netloc}"
    suffix = f".{fmt}" if fmt and resource_type != "raw" else ""
    return f"{base}/{_credentials()[2]}/{resource_type}/upload/v{version}/{public_id}{suffix}"


async def _notify(url: str, payload: dict[str, Any], algorithm: str) -> None:
    """POST one signed notification, once; the attempt and its outcome go to notifications.jsonl."""
    body = json.dumps(payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Cld-Timestamp": timestamp,
        "X-Cld-Signature": notification_signature(body, timestamp, _credentials()[1], algorithm=algorithm),
        "User-Agent": "Cloudinary sandbox",
    }
    entry: dict[str, Any] = {"url": url, "headers": headers, "body": body, "sent_at": _now_iso()}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            entry["status"] = (await client.post(url, content=body, headers=headers)).status_code
    except httpx.HTTPError as exc:
        entry["error"] = repr(exc)
        logger.warning("cloudinary sandbox: notification to %s failed: %r", url, exc)
    await run_in_threadpool(_notification_log, entry)


def _notification_url(params: dict[str, Any]) -> str:
    return str(params.get("notification_url") or os.environ.get("SANDBOX_CLOUDINARY_NOTIFICATION_URL") or "")


# ---- Upload API ----------------------------------------------------------------------------------------------------


async def upload(request: Request) -> Response:
    """POST /v1_1/{cloud}/{resource_type}/upload — store the file, answer with the asset as Cloudinary describes it."""
    resource_type = request.path_params["resource_type"]
    if resource_type not in (*RESOURCE_TYPES, "auto"):
        return _error(404, f"Invalid resource type {resource_type}")
    parsed = await _form(request)
    if isinstance(parsed, JSONResponse):
        return parsed
    params, file = parsed
    denied = _denied(request, params)
    if denied is not None:
        return denied
    read = await _file_bytes(file)
    if isinstance(read, JSONResponse):
        return read
    data, filename = read
    if not data:
        return _error(400, "Empty file")
    if upload_id := request.headers.get("X-Unique-Upload-Id"):
        whole = await run_in_threadpool(
            video.chunk_accept,
            root=storage_root(),
            upload_id=upload_id,
            content_range=request.headers.get("Content-Range", ""),
            data=data,
        )
        if isinstance(whole, str):
            return _error(400, whole)
        if isinstance(whole, int):
            return JSONResponse({"done": False, "bytes": whole})
        data = whole
    limit = MAX_BYTES["image" if resource_type == "auto" else resource_type]
    if resource_type == "auto" and _video_format(data, PurePosixPath(filename).suffix.lower().lstrip(".")):
        limit = MAX_BYTES["video"]
    if len(data) > limit:
        return _error(400, f"File size too large. Got {len(data)}. Maximum is {limit}.")
    analysed = await run_in_threadpool(_analyse, data, resource_type, filename)
    if isinstance(analysed, str):
        return _error(400, analysed)
    kind, info = analysed
    allowed = params.get("allowed_formats")
    if allowed:
        formats = allowed if isinstance(allowed, list) else str(allowed).split(",")
        if (info.get("format") or "") not in {f.strip().lower() for f in formats}:
            label = {"image": "Image file", "video": "Video file"}.get(kind, "File")
            return _error(400, f"{label} format {info.get('format')} not allowed")
    public_id = _public_id_for(params, filename, kind)
    if public_id is None:
        return _error(400, "Invalid public_id")

    _, secret, _ = _credentials()
    algorithm = _algorithm_of(str(params["signature"]))
    existing = await run_in_threadpool(_asset_load, kind, public_id)
    if existing is not None and str(params.get("overwrite", "true")).lower() in ("0", "false"):
        return JSONResponse({**existing, "existing": True})
    version = int(time.time())
    if existing is not None and int(existing.get("version", 0)) >= version:
        version = int(existing["version"]) + 1
    delivery = _delivery_url(request, kind, version, public_id, info.get("format"))
    folder = str(params.get("folder") or "").strip("/")
    record: dict[str, Any] = {
        "asset_id": existing["asset_id"] if existing else secrets.token_hex(16),
        "public_id": public_id,
        "version": version,
        "version_id": secrets.token_hex(16),
        "signature": response_signature(public_id, version, secret, algorithm=algorithm),
        "width": info.get("width"),
        "height": info.get("height"),
        "format": info.get("format"),
        "resource_type": kind,
        "created_at": _now_iso(),
        "tags": [t for t in str(params.get("tags") or "").split(",") if t],
        "bytes": len(data),
        "type": "upload",
        "etag": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "placeholder": False,
        "url": delivery,
        "secure_url": delivery,  # the sandbox has no TLS: both are its own plain-http delivery URL
        "asset_folder": folder,
        "display_name": public_id.rsplit("/", 1)[-1],
        "original_filename": PurePosixPath(filename).stem or "file",
        "api_key": params["api_key"],
    }
    if kind == "video":
        record["duration"] = info.get("duration")
    await run_in_threadpool(_asset_save, record, data)
    eager = video.eager_entries(params.get("eager")) if kind == "video" else []
    eager_async = _truthy(params.get("eager_async"))
    if eager:
        record = {**record, **(await run_in_threadpool(_probe_video, record)), "eager_requested": eager}
        await run_in_threadpool(_asset_save, record, data)
        if eager_async:
            batch_id = secrets.token_hex(16)
            entries = [
                {**_eager_entry(request, record, t, f), "status": "processing", "batch_id": batch_id} for t, f in eager
            ]
        else:
            made = await run_in_threadpool(_eager_make, request, record, eager)
            if isinstance(made, str):
                await run_in_threadpool(_asset_remove, kind, public_id)
                return _error(400, made)
            entries = made
        response_record = {**_public(record), "eager": entries}
    else:
        response_record = record

    background = None
    if notify_url := _notification_url(params):
        payload = {
            "notification_type": "upload",
            "timestamp": _now_iso(),
            "request_id": secrets.token_hex(16),
            **_public(record),
        }
        background = BackgroundTask(_notify, notify_url, payload, algorithm)
    if eager and eager_async:
        background = BackgroundTask(_eager_in_background, request, record, eager, params, algorithm, background)
    request_id = secrets.token_hex(16)
    return JSONResponse(response_record, headers={"X-Request-Id": request_id}, background=background)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """The record as Cloudinary describes an asset: without what the sandbox keeps for itself."""
    return {k: v for k, v in record.items() if k != "eager_requested"}


def _probe_video(record: dict[str, Any]) -> dict[str, Any]:
    """ffprobe's duration and size where the container parser found none (WebM, odd MP4s)."""
    if record.get("duration") and record.get("width"):
        return {}
    blob, _ = _asset_paths("video", record["public_id"])
    return video.probe(blob)


def _eager_url(request: Request, record: dict[str, Any], transformation: str, fmt: str) -> str:
    base = f"{request.url.scheme}://{request.url.netloc}/{_credentials()[2]}/video/upload"
    middle = f"{transformation}/" if transformation else ""
    return f"{base}/{middle}v{record['version']}/{record['public_id']}.{fmt}"


def _eager_entry(request: Request, record: dict[str, Any], transformation: str, fmt: str) -> dict[str, Any]:
    url = _eager_url(request, record, transformation, fmt)
    return {
        "transformation": f"{transformation}/{fmt}" if transformation else fmt,
        "format": fmt,
        "url": url,
        "secure_url": url,
    }


def _eager_make(request: Request, record: dict[str, Any], eager: list[tuple[str, str]]) -> list[dict[str, Any]] | str:
    """Make every eager derivative now: their entries as Cloudinary lists them, or an error message."""
    blob, _ = _asset_paths("video", record["public_id"])
    entries = []
    for transformation, fmt in eager:
        try:
            path = video.derive(blob=blob, fmt=fmt, transformation=transformation, duration=record.get("duration"))
        except video.FfmpegMissing as exc:
            return str(exc)
        except (RuntimeError, ValueError, OSError) as exc:
            return f"Eager transformation {transformation}/{fmt} failed: {exc}"
        entry = _eager_entry(request, record, transformation, fmt)
        entry.update(bytes=path.stat().st_size, width=min(int(record.get("width") or 0), 720) or None)
        entries.append(entry)
    return entries


async def _eager_in_background(
    request: Request,
    record: dict[str, Any],
    eager: list[tuple[str, str]],
    params: dict[str, Any],
    algorithm: str,
    upload_notice: BackgroundTask | None,
) -> None:
    """eager_async: the upload notification first (as Cloudinary sends it on upload), then the derivatives, then the
    "eager" notification."""
    if upload_notice is not None:
        await upload_notice()
    made = await run_in_threadpool(_eager_make, request, record, eager)
    url = str(params.get("eager_notification_url") or _notification_url(params))
    if not url:
        return
    payload: dict[str, Any] = {
        "notification_type": "eager",
        "timestamp": _now_iso(),
        "request_id": secrets.token_hex(16),
        "batch_id": secrets.token_hex(16),
        "asset_id": record["asset_id"],
        "public_id": record["public_id"],
        "version": record["version"],
        "resource_type": "video",
        "type": "upload",
    }
    if isinstance(made, str):
        payload.update(status="failed", error={"message": made}, eager=[])
    else:
        payload.update(eager=made)
    await _notify(url, payload, algorithm)


async def destroy(request: Request) -> Response:
    """POST /v1_1/{cloud}/{resource_type}/destroy — `{"result": "ok"}`, or `{"result": "not found"}`."""
    resource_type = request.path_params["resource_type"]
    if resource_type not in RESOURCE_TYPES:
        return _error(404, f"Invalid resource type {resource_type}")
    parsed = await _form(request)
    if isinstance(parsed, JSONResponse):
        return parsed
    params, _ = parsed
    denied = _denied(request, params)
    if denied is not None:
        return denied
    public_id = params.get("public_id")
    if not public_id:
        return _error(400, "Missing required parameter - public_id")
    existing = await run_in_threadpool(_asset_load, resource_type, public_id)
    removed = params.get("type", "upload") == "upload" and await run_in_threadpool(
        _asset_remove, resource_type, public_id
    )
    background = None
    if removed and existing and (notify_url := _notification_url(params)):
        resource = {key: existing.get(key) for key in ("resource_type", "type", "asset_id", "public_id", "version")}
        payload = {
            "notification_type": "delete",
            "resources": [resource],
            "timestamp": _now_iso(),
            "request_id": secrets.token_hex(16),
        }
        background = BackgroundTask(_notify, notify_url, payload, _algorithm_of(str(params["signature"])))
    return JSONResponse({"result": "ok" if removed else "not found"}, background=background)


# ---- delivery ------------------------------------------------------------------------------------------------------


def _resolve(resource_type: str, path: str) -> tuple[dict[str, Any], str] | None:
    """The stored asset a delivery path names, and the extension asked for. Leading segments are transformations."""
    segments = [s for s in path.split("/") if s]

    def lookup(candidate: str) -> tuple[dict[str, Any], str] | None:
        if record := _asset_load(resource_type, candidate):
            return record, ""
        stem, dot, extension = candidate.rpartition(".")
        if dot and "/" not in extension and (record := _asset_load(resource_type, stem)):
            return record, extension.lower()
        return None

    for index, segment in enumerate(segments):
        if _VERSION.fullmatch(segment) and index + 1 < len(segments):
            return lookup("/".join(segments[index + 1 :]))  # a version ends the transformations
        if found := lookup("/".join(segments[index:])):
            return found
    return None


def _poster(record: dict[str, Any], extension: str) -> tuple[bytes, str]:
    width = min(int(record.get("width") or 320), 1600)
    height = min(int(record.get("height") or 180), 1600)
    buffer = io.BytesIO()
    kind = {"png": "PNG", "webp": "WEBP"}.get(extension, "JPEG")
    Image.new("RGB", (width, height), (64, 64, 72)).save(buffer, kind)
    return buffer.getvalue(), f"image/{'jpeg' if kind == 'JPEG' else kind.lower()}"


def _derived_for(record: dict[str, Any], path: str, extension: str) -> tuple[bytes, str, dict[str, Any]] | None:
    """A derived rendition (HLS, another container, a frame) when the path asks for one; None for the original.
    Raises FfmpegMissing when ffmpeg would be needed and is not installed (a frame then falls back to grey)."""
    segments = [s for s in path.split("/") if s]
    version_at = next((i for i, s in enumerate(segments) if _VERSION.fullmatch(s)), 0)
    transformation = "/".join(segments[:version_at])
    wants_other = extension and extension != (record.get("format") or "")
    if not extension or (not wants_other and not transformation.strip("/")) or extension == "mov":
        return None
    if extension in video.IMAGE_FORMATS and not video.ffmpeg_available():
        return None
    blob, _ = _asset_paths("video", record["public_id"])
    try:
        made = video.derive(blob=blob, fmt=extension, transformation=transformation, duration=record.get("duration"))
    except RuntimeError:
        if extension in video.IMAGE_FORMATS and not isinstance(sys.exc_info()[1], video.FfmpegMissing):
            return None  # a file ffmpeg cannot decode still gets its grey frame, as before ffmpeg was used
        raise
    if extension == "m3u8":
        body = video.master_playlist(key=blob.stem, width=record.get("width"), height=record.get("height"))
        return body.encode(), "application/vnd.apple.mpegurl", record
    return made.read_bytes(), _content_type(extension), record


def _derived_file(key: str, name: str) -> tuple[bytes, str] | None:
    if not re.fullmatch(r"[0-9a-f]{40}", key) or not re.fullmatch(r"(media\.m3u8|seg_\d{3,6}\.ts)", name):
        return None
    path = storage_root() / _credentials()[2] / "video" / f"{key}.derived" / "hls" / name
    if not path.exists():
        return None
    if name.endswith(".m3u8"):
        return video.media_playlist(path, key=key).encode(), "application/vnd.apple.mpegurl"
    return path.read_bytes(), "video/mp2t"


async def derived(request: Request) -> Response:
    """GET /cloudinary/derived/{key}/hls/{name} — an HLS media playlist or segment made for an sp_auto stream."""
    found = await run_in_threadpool(_derived_file, request.path_params["key"], request.path_params["name"])
    if found is None:
        return Response("Not found", status_code=404, headers={"X-Cld-Error": "Resource not found"})
    data, content_type = found
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


def _admin_resource(resource_type: str, public_id: str, base: str) -> dict[str, Any] | None:
    record = _asset_load(resource_type, public_id)
    if record is None:
        return None
    blob, _ = _asset_paths(resource_type, public_id)
    folder = video.derived_dir(blob)
    if resource_type == "video" and record.get("eager_requested"):
        # Cloudinary finishes an eager job whatever happens to the caller; the sandbox's background task dies with
        # its process, so a status check finishes what a restart interrupted (one lock per asset: never twice).
        try:
            for transformation, fmt in record["eager_requested"]:
                video.derive(blob=blob, fmt=fmt, transformation=transformation, duration=record.get("duration"))
        except (RuntimeError, ValueError, OSError) as exc:
            logger.warning("cloudinary sandbox: eager for %s failed: %s", public_id, exc)
    made = []
    if resource_type == "video" and folder.exists():
        for name, transformation, fmt in (
            ("hls/media.m3u8", "sp_auto", "m3u8"),
            ("video.mp4", "f_auto,q_auto", "mp4"),
            ("video.webm", "f_auto,q_auto", "webm"),
        ):
            if (folder / name).exists():
                url = f"{base}/{_credentials()[2]}/video/upload/{transformation}/v{record['version']}/{public_id}.{fmt}"
                made.append(
                    {
                        "transformation": f"{transformation}/{fmt}",
                        "format": fmt,
                        "url": url,
                        "secure_url": url,
                        "bytes": (folder / name).stat().st_size,
                    }
                )
        made += [
            {
                "transformation": f"so_{p.stem.split('_', 1)[1]}/{p.suffix[1:]}",
                "format": p.suffix[1:],
                "bytes": p.stat().st_size,
            }
            for p in folder.glob("poster_*")
        ]
    return {**_public(record), "derived": made}


async def admin_resource(request: Request) -> Response:
    """GET /v1_1/{cloud}/resources/{resource_type}/upload/{public_id} — the Admin API's description of one asset."""
    api_key, secret, cloud = _credentials()
    expected = "Basic " + base64.b64encode(f"{api_key}:{secret}".encode()).decode()
    if request.path_params["cloud"] != cloud or not hmac.compare_digest(
        request.headers.get("Authorization", "").encode(), expected.encode()
    ):
        return _error(401, "Invalid credentials")
    base = f"{request.url.scheme}://{request.url.netloc}"
    found = await run_in_threadpool(
        _admin_resource, request.path_params["resource_type"], request.path_params["public_id"], base
    )
    if found is None:
        return _error(404, f"Resource not found - {request.path_params['public_id']}")
    return JSONResponse(found)


def _content_type(fmt: str | None) -> str:
    if not fmt:
        return "application/octet-stream"
    return _CONTENT_TYPES.get(fmt) or mimetypes.guess_type(f"x.{fmt}")[0] or "application/octet-stream"


def _deliver_sync(resource_type: str, path: str) -> tuple[bytes, str, dict[str, Any]] | None:
    found = _resolve(resource_type, path)
    if found is None:
        return None
    record, extension = found
    if resource_type == "video" and (derived := _derived_for(record, path, extension)) is not None:
        return derived
    if resource_type == "video" and extension in ("jpg", "jpeg", "png", "webp"):
        data, content_type = _poster(record, extension)
        return data, content_type, record
    blob, _ = _asset_paths(resource_type, record["public_id"])
    try:
        return blob.read_bytes(), _content_type(record.get("format")), record
    except OSError:
        return None


async def deliver(request: Request) -> Response:
    """GET /{cloud}/{resource_type}/upload/... — the stored file (transformations accepted and ignored)."""
    resource_type, path = request.path_params["resource_type"], request.path_params["path"]
    if request.path_params["cloud"] != _credentials()[2] or resource_type not in RESOURCE_TYPES:
        return Response("Not found", status_code=404, headers={"X-Cld-Error": "Resource not found"})
    try:
        found = await run_in_threadpool(_deliver_sync, resource_type, path)
    except video.FfmpegMissing as exc:
        return Response(str(exc), status_code=501, headers={"X-Cld-Error": str(exc)})
    except (RuntimeError, ValueError) as exc:
        message = " ".join(str(exc).split())[:300]  # one line: it goes into a header
        return Response(message, status_code=400, headers={"X-Cld-Error": message})
    if found is None:
        return Response("Not found", status_code=404, headers={"X-Cld-Error": f"Resource not found - {path}"})
    data, content_type, record = found
    headers = {"ETag": f'"{record.get("etag", "")}"', "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
    return Response(data if request.method == "GET" else b"", media_type=content_type, headers=headers)


# ---- for people and tests ------------------------------------------------------------------------------------------


async def resources(request: Request) -> Response:
    """GET /cloudinary/resources?prefix= — stored assets, newest first. DELETE empties the store."""
    if request.method == "DELETE":
        return JSONResponse({"deleted": await run_in_threadpool(_assets_clear)})
    prefix = request.query_params.get("prefix", "")
    records = [r for r in await run_in_threadpool(_assets_all) if str(r.get("public_id", "")).startswith(prefix)]
    return JSONResponse({"resources": records})


async def notifications(request: Request) -> Response:
    """GET /cloudinary/notifications — every notification sent (url, headers, body, status or error), newest first."""
    return JSONResponse({"notifications": await run_in_threadpool(_notifications_all)})


async def page(request: Request) -> HTMLResponse:
    """GET /cloudinary — what has been uploaded, newest first, with previews."""
    items = []
    for record in (await run_in_threadpool(_assets_all))[:200]:
        url = html.escape(str(record.get("secure_url", "")), quote=True)
        if record.get("resource_type") == "image":
            preview = f"<img src='{url}' alt='' loading='lazy'>"
        elif record.get("resource_type") == "video":
            preview = f"<video src='{url}' controls preload='metadata'></video>"
        else:
            preview = ""
        size = f"{record.get('width')}x{record.get('height')}" if record.get("width") else ""
        items.append(
            f"<li>{preview}<div><a href='{url}'>{html.escape(str(record.get('public_id')))}</a>"
            f"<p>{html.escape(str(record.get('resource_type')))} · {html.escape(str(record.get('format')))} · "
            f"{html.escape(size)} · {int(record.get('bytes') or 0):,} bytes · "
            f"<time>{html.escape(str(record.get('created_at')))}</time></p></div></li>"
        )
    listing = f"<ol>{''.join(items)}</ol>" if items else "<p>Nothing uploaded yet.</p>"
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Cloudinary sandbox</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><style>"
        "body{font-family:system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem}"
        "ol{list-style:none;padding:0}li{display:flex;gap:1rem;align-items:center;margin:.75rem 0}"
        "img,video{width:96px;height:96px;object-fit:cover;border-radius:.5rem;background:#eee}"
        "a{overflow-wrap:anywhere}p{margin:.25rem 0;color:#52525b;font-size:.9rem}</style></head><body>"
        f"<h1>Cloudinary sandbox: {html.escape(_credentials()[2])}</h1>{listing}</body></html>",
        headers={"Cache-Control": "no-store"},
    )


routes = [
    Route(f"/{API_VERSION}/{{cloud}}/{{resource_type}}/upload", upload, methods=["POST"]),
    Route(f"/{API_VERSION}/{{cloud}}/{{resource_type}}/destroy", destroy, methods=["POST"]),
    Route("/cloudinary", page, methods=["GET"]),
    Route("/cloudinary/resources", resources, methods=["GET", "DELETE"]),
    Route("/cloudinary/notifications", notifications, methods=["GET"]),
    Route("/cloudinary/derived/{key}/hls/{name}", derived, methods=["GET"]),
    Route(
        f"/{API_VERSION}/{{cloud}}/resources/{{resource_type}}/upload/{{public_id:path}}",
        admin_resource,
        methods=["GET"],
    ),
    Route("/{cloud}/{resource_type}/upload/{path:path}", deliver, methods=["GET", "HEAD"]),
]
