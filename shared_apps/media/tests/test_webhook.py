"""POST /api/v1/media/webhooks/cloudinary: Cloudinary's signed notifications, as the sandbox sends them."""

from __future__ import annotations

import json
import time

import cloudinary
import cloudinary.uploader
import pytest

from sandboxes.tests.media_samples import png_bytes
from shared_apps.media.models import MediaAsset
from shared_apps.media.tests.conftest import closed_port_url, folder_of, sandbox_notification, signed_headers

URL = "/api/v1/media/webhooks/cloudinary"

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(host_client):
    return host_client("localhost")


def _deliver(api, body: str, headers: dict[str, str]):
    return api.post(URL, data=body, content_type="application/json", **headers)


def _replay(api, entry: dict):
    """Send the sandbox's notification to our endpoint byte for byte, with its headers."""
    headers = {"HTTP_X_CLD_TIMESTAMP": entry["headers"]["X-Cld-Timestamp"]}
    headers["HTTP_X_CLD_SIGNATURE"] = entry["headers"]["X-Cld-Signature"]
    return _deliver(api, entry["body"], headers)


def _uploaded_with_notification(merchant, **kw) -> dict:
    return cloudinary.uploader.upload(
        ("a.png", png_bytes(33, 22)), folder=folder_of(merchant), notification_url=closed_port_url("/hook"), **kw
    )


def test_upload_notification_records_the_asset_and_replays_change_nothing(cloudinary_sandbox, merchant, api):
    uploaded = _uploaded_with_notification(merchant)
    entry = sandbox_notification(cloudinary_sandbox, uploaded["public_id"], "upload")

    response = _replay(api, entry)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    asset = MediaAsset.objects.get(public_id=uploaded["public_id"])
    assert (asset.tenant_schema, asset.version, asset.width, asset.height) == (
        merchant.schema_name,
        uploaded["version"],
        33,
        22,
    )
    assert asset.secure_url == uploaded["secure_url"]

    assert _replay(api, entry).status_code == 200  # at-least-once delivery: the same notification again
    assert MediaAsset.objects.filter(public_id=uploaded["public_id"]).count() == 1


def test_delete_notification_marks_the_asset_deleted(cloudinary_sandbox, merchant, api):
    uploaded = _uploaded_with_notification(merchant)
    assert _replay(api, sandbox_notification(cloudinary_sandbox, uploaded["public_id"], "upload")).status_code == 200
    result = cloudinary.uploader.destroy(uploaded["public_id"], notification_url=closed_port_url("/hook"))
    assert result["result"] == "ok"

    entry = sandbox_notification(cloudinary_sandbox, uploaded["public_id"], "delete")
    assert _replay(api, entry).json() == {"status": "ok"}
    asset = MediaAsset.objects.get(public_id=uploaded["public_id"])
    assert asset.status == "deleted" and asset.deleted_at is not None

    # A late upload notification of the same version does not bring it back.
    assert _replay(api, sandbox_notification(cloudinary_sandbox, uploaded["public_id"], "upload")).status_code == 200
    assert MediaAsset.objects.get(public_id=uploaded["public_id"]).status == "deleted"


def _upload_body(public_id: str = "merchants/m_nobody/products/abc", **fields) -> str:
    payload = {
        "notification_type": "upload",
        "public_id": public_id,
        "version": 1700000000,
        "resource_type": "image",
        "format": "png",
        "bytes": 10,
        "width": 1,
        "height": 1,
        **fields,
    }
    return json.dumps(payload)


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: signed_headers(body, secret="not-the-secret"),
        lambda body: signed_headers(body + " "),  # signed over another body
        lambda body: signed_headers(body, timestamp=int(time.time()) - 7201),  # correctly signed, too old
        lambda body: {**signed_headers(body), "HTTP_X_CLD_TIMESTAMP": "yesterday"},
        lambda body: {"HTTP_X_CLD_TIMESTAMP": signed_headers(body)["HTTP_X_CLD_TIMESTAMP"]},
        lambda body: {},
    ],
    ids=["wrong secret", "other body", "stale timestamp", "timestamp not a number", "no signature", "no headers"],
)
def test_unverified_notifications_are_401_and_store_nothing(api, merchant, headers):
    body = _upload_body(f"{folder_of(merchant)}/forged")

    response = _deliver(api, body, headers(body))

    assert response.status_code == 401
    assert response.json() == {
        "code": "signature_invalid",
        "message": "The signature is not valid.",
        "field": None,
        "details": {},
    }
    assert not MediaAsset.objects.exists()


def test_a_recent_enough_timestamp_is_accepted(api, merchant):
    body = _upload_body(f"{folder_of(merchant)}/late")
    response = _deliver(api, body, signed_headers(body, timestamp=int(time.time()) - 7000))
    assert response.status_code == 200
    assert MediaAsset.objects.filter(public_id=f"{folder_of(merchant)}/late").exists()


def test_verified_notifications_we_do_not_act_on_are_acknowledged(api, merchant):
    for body in [
        _upload_body("merchants/m_nobody/products/abc"),  # no such merchant
        _upload_body("elsewhere/abc"),  # no merchant's folder
        _upload_body(f"{folder_of(merchant)}/doc.pdf", resource_type="raw"),
        json.dumps({"notification_type": "eager", "public_id": f"{folder_of(merchant)}/x"}),
        json.dumps({"notification_type": "delete", "resources": [{"public_id": "never/seen"}]}),
    ]:
        response = _deliver(api, body, signed_headers(body))
        assert (response.status_code, response.json()) == (200, {"status": "ok"}), body
    assert not MediaAsset.objects.exists()


def test_a_signed_body_that_is_not_json_is_400(api):
    body = "not json"
    response = _deliver(api, body, signed_headers(body))
    assert response.status_code == 400 and response.json()["code"] == "notification_invalid"


def test_webhook_needs_no_authentication_but_only_accepts_post(api):
    assert api.get(URL).status_code == 405
