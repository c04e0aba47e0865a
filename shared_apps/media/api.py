"""/api/v1/media/...: Cloudinary's webhook. Mounted on the public API (config/api.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shared_apps.media import services
from shared_apps.media.errors import MediaError, MediaErrorCode

router = Router(tags=["media"])


class WebhookOut(Schema):
    status: str


# Read raw (the signature covers the exact bytes), so the body is described here rather than by a Schema.
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "A Cloudinary notification: an upload (one asset) or a delete (`resources`).",
                "properties": {
                    "notification_type": {"type": "string", "description": "upload, delete, ..."},
                    "public_id": {"type": "string"},
                    "version": {"type": "integer"},
                    "resources": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}
_SIGNED = [
    {"in": "header", "name": name, "required": False, "schema": {"type": "string"}, "description": about}
    for name, about in (
        ("X-Cld-Timestamp", "Unix time the notification was signed at."),
        ("X-Cld-Signature", "SHA-1 of body + timestamp + API secret (hex): 401 when missing or wrong."),
    )
]


@router.post(
    "/webhooks/cloudinary",
    auth=None,
    response=WebhookOut,
    openapi_extra={"requestBody": _BODY, "parameters": _SIGNED},
)
def cloudinary_webhook(request: HttpRequest):
    """Cloudinary's notifications (upload, delete), verified by X-Cld-Timestamp / X-Cld-Signature; 401 otherwise.
    Answers 200 `{"status": "ok"}` for every verified notification, including those we do not act on."""
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:  # cannot have been signed as text by Cloudinary
        raise MediaError(MediaErrorCode.SIGNATURE_INVALID) from exc
    services.notification_apply(
        body=body,
        timestamp=request.headers.get("X-Cld-Timestamp"),
        signature=request.headers.get("X-Cld-Signature"),
    )
    return {"status": "ok"}
