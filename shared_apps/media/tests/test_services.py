"""Media services through the real `cloudinary` SDK against the real sandbox process (sandbox_server)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_tenants.utils import schema_context
from PIL import Image

from sandboxes.cloudinary import signature_for
from sandboxes.tests.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from shared_apps.media import services, tasks
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.models import MediaAsset, MediaAssetStatus
from shared_apps.media.services import (
    asset_destroy,
    asset_record_upload,
    asset_upload,
    assets_destroy_on_commit,
    delivery_url,
    upload_signature,
)
from shared_apps.media.tasks import asset_destroy_at_provider
from shared_apps.media.tests.conftest import Reply, closed_port_url, folder_of, sandbox_has

pytestmark = pytest.mark.django_db


def _direct_upload(params: dict, content: bytes, filename: str = "photo.png") -> httpx.Response:
    """What the browser does with upload_signature's answer."""
    names = ("api_key", "timestamp", "signature", "folder", "allowed_formats", "notification_url")
    fields = {name: str(params[name]) for name in names if name in params}
    return httpx.post(params["upload_url"], data=fields, files={"file": (filename, content)}, timeout=10)


@contextmanager
def _raises(code: MediaErrorCode) -> Iterator[pytest.ExceptionInfo[MediaError]]:
    with pytest.raises(MediaError) as info:
        yield info
    assert info.value.code is code, f"{info.value.code} is not {code}"


# ---- configuration -------------------------------------------------------------------------------------------------


def test_the_sdk_talks_to_the_test_sandbox(cloudinary_sandbox):
    config = cloudinary.config()
    assert config.upload_prefix == cloudinary_sandbox.base_url
    assert config.cname == cloudinary_sandbox.base_url.removeprefix("http://")
    assert (config.api_key, config.api_secret, config.cloud_name) == ("sandbox-key", "sandbox-secret", "planckly")


# ---- direct upload: signature, then the signed response ------------------------------------------------------------


def test_signed_direct_upload_is_accepted_and_recorded(cloudinary_sandbox, merchant):
    with schema_context(merchant.schema_name):
        params = upload_signature(folder=folder_of(merchant))

    config = cloudinary.config()
    assert params["upload_url"] == f"{cloudinary_sandbox.base_url}/v1_1/planckly/image/upload"
    assert (params["api_key"], params["folder"], params["resource_type"]) == (
        config.api_key,
        folder_of(merchant),
        "image",
    )
    assert abs(params["timestamp"] - time.time()) < 5
    signed = {k: params[k] for k in ("timestamp", "folder", "allowed_formats")}
    assert params["signature"] == signature_for(signed, config.api_secret)  # the sandbox's own verifier agrees

    response = _direct_upload(params, png_bytes(80, 60))
    assert response.status_code == 200, response.text
    asset = asset_record_upload(response=response.json(), tenant_schema=merchant.schema_name)

    assert asset.public_id == response.json()["public_id"]
    assert asset.public_id.startswith(folder_of(merchant) + "/")
    assert (asset.resource_type, asset.format, asset.width, asset.height) == ("image", "png", 80, 60)
    assert (asset.version, asset.tenant_schema, asset.status) == (
        response.json()["version"],
        merchant.schema_name,
        "active",
    )
    assert asset.secure_url == response.json()["secure_url"]
    assert httpx.get(asset.secure_url).status_code == 200


def test_recording_is_idempotent_and_a_newer_version_updates(cloudinary_sandbox, merchant):
    folder = folder_of(merchant)
    first = cloudinary.uploader.upload(("a.png", png_bytes(10, 10)), folder=folder, public_id="logo")
    once = asset_record_upload(response=first, tenant_schema=merchant.schema_name)
    twice = asset_record_upload(response=dict(first), tenant_schema=merchant.schema_name)
    assert once.pk == twice.pk and MediaAsset.objects.filter(public_id=first["public_id"]).count() == 1

    second = cloudinary.uploader.upload(("a.png", png_bytes(20, 20)), folder=folder, public_id="logo")
    updated = asset_record_upload(response=second, tenant_schema=merchant.schema_name)
    assert updated.pk == once.pk and (updated.version, updated.width) == (second["version"], 20)

    stale = asset_record_upload(response=first, tenant_schema=merchant.schema_name)  # a late replay of the old one
    assert (stale.version, stale.width) == (second["version"], 20)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: {**r, "public_id": r["public_id"] + "x"},
        lambda r: {**r, "version": r["version"] + 1},
        lambda r: {**r, "signature": "0" * 40},
        lambda r: {**r, "signature": ""},
    ],
    ids=["public_id", "version", "signature", "empty signature"],
)
def test_tampered_upload_response_is_rejected(cloudinary_sandbox, merchant, tamper):
    response = cloudinary.uploader.upload(("a.png", png_bytes()), folder=folder_of(merchant))

    with _raises(MediaErrorCode.SIGNATURE_INVALID):
        asset_record_upload(response=tamper(response), tenant_schema=merchant.schema_name)
    assert not MediaAsset.objects.filter(public_id__startswith=folder_of(merchant)).exists()


def test_unsigned_descriptive_fields_cannot_redirect_the_url(cloudinary_sandbox, merchant):
    response = cloudinary.uploader.upload(("a.png", png_bytes()), folder=folder_of(merchant))
    forged = {**response, "secure_url": "https://evil.example/x.png", "format": "<svg>", "bytes": -5}

    asset = asset_record_upload(response=forged, tenant_schema=merchant.schema_name)

    # Rebuilt from public_id, version and configuration; the unreadable format is dropped (no extension).
    assert asset.secure_url == response["secure_url"].removesuffix(".png")
    assert (asset.format, asset.bytes) == ("", 0)
    assert httpx.get(asset.secure_url).status_code == 200


def test_another_merchants_upload_is_outside_the_folder(cloudinary_sandbox, make_merchant):
    mine, theirs = make_merchant(), make_merchant()
    response = cloudinary.uploader.upload(("a.png", png_bytes()), folder=folder_of(theirs))

    with _raises(MediaErrorCode.OUTSIDE_FOLDER):
        asset_record_upload(response=response, tenant_schema=mine.schema_name)
    root = cloudinary.uploader.upload(("a.png", png_bytes()))  # no folder at all
    with _raises(MediaErrorCode.OUTSIDE_FOLDER):
        asset_record_upload(response=root, tenant_schema=mine.schema_name)


@pytest.mark.parametrize("response", [{}, {"public_id": "x"}, {"public_id": "x", "version": "v1", "signature": "s"}])
def test_incomplete_upload_response_is_invalid(response):
    with _raises(MediaErrorCode.UPLOAD_INVALID):
        asset_record_upload(response=response, tenant_schema="m_shop")


def test_signatures_are_only_for_the_current_tenants_folder(merchant, make_merchant):
    other = make_merchant()
    with schema_context(merchant.schema_name):
        for folder in (folder_of(other), "merchants", f"merchants/{merchant.schema_name}/../x", "products"):
            with _raises(MediaErrorCode.OUTSIDE_FOLDER):
                upload_signature(folder=folder)
        with _raises(MediaErrorCode.UNSUPPORTED_TYPE):
            upload_signature(folder=folder_of(merchant), resource_type="raw")
        video = upload_signature(folder=folder_of(merchant, "reels"), resource_type="video")
    assert video["upload_url"].endswith("/video/upload") and video["allowed_formats"] == "mp4,mov,webm"
    with _raises(MediaErrorCode.OUTSIDE_FOLDER):  # public schema: nobody's folder
        upload_signature(folder="merchants/public/products")


def test_signature_asks_for_notifications_when_configured(merchant, settings):
    settings.CLOUDINARY_NOTIFICATION_URL = "https://shop.example.com/api/v1/media/webhooks/cloudinary"
    with schema_context(merchant.schema_name):
        params = upload_signature(folder=folder_of(merchant))
    assert params["notification_url"] == settings.CLOUDINARY_NOTIFICATION_URL
    signed = {k: params[k] for k in ("timestamp", "folder", "allowed_formats", "notification_url")}
    assert params["signature"] == signature_for(signed, cloudinary.config().api_secret)


def test_the_adapter_signs_the_version_2_way_even_when_the_sdk_is_set_to_version_1(
    cloudinary_sandbox, merchant, settings, monkeypatch
):
    monkeypatch.setattr(cloudinary.config(), "signature_version", 1)
    settings.CLOUDINARY_NOTIFICATION_URL = closed_port_url("/hook?shop=1&kind=media")  # an `&` inside a value
    with schema_context(merchant.schema_name):
        params = upload_signature(folder=folder_of(merchant))
    signed = {k: params[k] for k in ("timestamp", "folder", "allowed_formats", "notification_url")}
    assert params["signature"] == signature_for(signed, cloudinary.config().api_secret, signature_version=2)
    assert params["signature"] != signature_for(signed, cloudinary.config().api_secret, signature_version=1)
    assert _direct_upload(params, png_bytes()).status_code == 200

    versions: list[int] = []
    real_sign = cloudinary.utils.api_sign_request

    def spy(params_to_sign, api_secret, algorithm="sha1", signature_version=2):
        if "timestamp" in params_to_sign:  # a request; the response's own signature is version 1 by design
            versions.append(int(signature_version))
        return real_sign(params_to_sign, api_secret, algorithm, signature_version)

    monkeypatch.setattr(cloudinary.utils, "api_sign_request", spy)
    asset = asset_upload(
        file=png_bytes(), filename="a.png", folder=folder_of(merchant), tenant_schema=merchant.schema_name
    )
    asset_destroy(public_id=asset.public_id)
    assert versions == [2, 2]  # the server-side upload and the destroy


def test_direct_upload_outside_the_signed_folder_or_formats_is_refused_by_the_provider(cloudinary_sandbox, merchant):
    with schema_context(merchant.schema_name):
        params = upload_signature(folder=folder_of(merchant))

    moved = _direct_upload({**params, "folder": "merchants/m_someone_else"}, png_bytes())
    assert moved.status_code == 401 and "Invalid Signature" in moved.json()["error"]["message"]
    bitmap = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bitmap, "BMP")
    refused = _direct_upload(params, bitmap.getvalue(), filename="a.bmp")
    assert (refused.status_code, refused.json()["error"]["message"]) == (400, "Image file format bmp not allowed")


# ---- server-side upload --------------------------------------------------------------------------------------------


def test_server_side_upload_of_an_image_and_a_video(cloudinary_sandbox, merchant):
    image = asset_upload(
        file=SimpleUploadedFile("Shelf photo.JPG", jpeg_bytes(120, 90)),
        filename="Shelf photo.JPG",
        folder=folder_of(merchant),
        tenant_schema=merchant.schema_name,
    )
    video = asset_upload(
        file=io.BytesIO(mp4_bytes(duration_ms=4500, width=720, height=1280)),
        filename="reel.mp4",
        folder=folder_of(merchant, "reels"),
        tenant_schema=merchant.schema_name,
        resource_type="video",
    )

    assert (image.resource_type, image.format, image.width, image.height) == ("image", "jpg", 120, 90)
    assert (video.resource_type, video.format, video.duration, video.width) == ("video", "mp4", 4.5, 720)
    assert video.public_id.startswith(folder_of(merchant, "reels") + "/")
    assert MediaAsset.objects.filter(tenant_schema=merchant.schema_name).count() == 2
    assert sandbox_has(cloudinary_sandbox, image.public_id) and sandbox_has(cloudinary_sandbox, video.public_id)


@pytest.mark.parametrize(
    ("filename", "resource_type", "code"),
    [
        ("notes.txt", "auto", MediaErrorCode.UNSUPPORTED_TYPE),
        ("noextension", "auto", MediaErrorCode.UNSUPPORTED_TYPE),
        ("photo.png", "video", MediaErrorCode.UNSUPPORTED_TYPE),
        ("reel.mp4", "image", MediaErrorCode.UNSUPPORTED_TYPE),
    ],
)
def test_unsupported_types_are_refused_before_any_upload(fake_provider, merchant, filename, resource_type, code):
    with _raises(code) as info:
        asset_upload(
            file=b"x",
            filename=filename,
            folder=folder_of(merchant),
            tenant_schema=merchant.schema_name,
            resource_type=resource_type,
        )
    assert info.value.status == 400
    assert fake_provider.calls == 0


def test_size_limits_are_10_mb_for_images_and_100_mb_for_videos(fake_provider, merchant):
    common = {"folder": folder_of(merchant), "tenant_schema": merchant.schema_name}
    with _raises(MediaErrorCode.FILE_TOO_LARGE) as info:
        asset_upload(file=b"\x00" * (10 * 1024 * 1024 + 1), filename="big.png", **common)
    assert info.value.status == 400

    class Huge(io.BytesIO):
        size = 100 * 1024 * 1024 + 1  # what Django's UploadedFile reports: refused without reading

    with _raises(MediaErrorCode.FILE_TOO_LARGE):
        asset_upload(file=Huge(b""), filename="long.mp4", **common)
    with _raises(MediaErrorCode.FILE_EMPTY):
        asset_upload(file=b"", filename="empty.png", **common)
    with _raises(MediaErrorCode.UNSUPPORTED_TYPE):
        asset_upload(file="/etc/passwd", filename="a.png", **common)  # paths are never read
    assert fake_provider.calls == 0


def test_upload_into_another_tenants_folder_is_refused(fake_provider, merchant):
    with _raises(MediaErrorCode.OUTSIDE_FOLDER):
        asset_upload(
            file=png_bytes(), filename="a.png", folder="merchants/m_other/x", tenant_schema=merchant.schema_name
        )
    assert fake_provider.calls == 0


def test_a_file_that_is_not_what_it_claims_is_rejected_by_the_provider(cloudinary_sandbox, merchant):
    with _raises(MediaErrorCode.UPLOAD_REJECTED) as info:
        asset_upload(
            file=b"plain text", filename="a.png", folder=folder_of(merchant), tenant_schema=merchant.schema_name
        )
    assert info.value.status == 400 and "Invalid image file" in info.value.message


def test_a_wrong_secret_is_rejected(cloudinary_sandbox, merchant, monkeypatch):
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired, match="Invalid Signature"):
        cloudinary.uploader.upload(("a.png", png_bytes()), api_secret="not-the-secret")

    monkeypatch.setattr(cloudinary.config(), "api_secret", "not-the-secret")
    with _raises(MediaErrorCode.PROVIDER_REJECTED) as info:
        asset_upload(file=png_bytes(), filename="a.png", folder=folder_of(merchant), tenant_schema=merchant.schema_name)
    assert info.value.status == 502


# ---- destroy -------------------------------------------------------------------------------------------------------


def _uploaded(merchant, **kw) -> MediaAsset:
    folder, schema = folder_of(merchant), merchant.schema_name
    return asset_upload(file=png_bytes(), filename="a.png", folder=folder, tenant_schema=schema, **kw)


def test_destroy_deletes_at_the_provider_and_not_found_counts_as_done(cloudinary_sandbox, merchant):
    asset = _uploaded(merchant)
    assert sandbox_has(cloudinary_sandbox, asset.public_id)

    asset_destroy(public_id=asset.public_id)
    asset.refresh_from_db()
    assert (asset.status, asset.deleted_at is not None) == ("deleted", True)
    assert not sandbox_has(cloudinary_sandbox, asset.public_id)
    assert httpx.get(asset.secure_url).status_code == 404

    asset_destroy(public_id=asset.public_id)  # "not found" now: done all the same
    asset_destroy(public_id=f"{folder_of(merchant)}/never-uploaded")  # no row, nothing at the provider


def test_destroy_uses_the_rows_resource_type(cloudinary_sandbox, merchant):
    video = asset_upload(
        file=mp4_bytes(), filename="r.mp4", folder=folder_of(merchant), tenant_schema=merchant.schema_name
    )
    asset_destroy(public_id=video.public_id)
    assert not sandbox_has(cloudinary_sandbox, video.public_id)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(500), MediaErrorCode.PROVIDER_UNAVAILABLE),
        (Reply(503), MediaErrorCode.PROVIDER_UNAVAILABLE),
        (Reply(502, b"<html>Bad gateway</html>", "text/html"), MediaErrorCode.PROVIDER_UNAVAILABLE),
        (Reply(420, b'{"error": {"message": "Rate Limit Exceeded"}}'), MediaErrorCode.PROVIDER_UNAVAILABLE),
        (Reply(200, b'{"result": "error"}'), MediaErrorCode.PROVIDER_UNAVAILABLE),
        (Reply(401, b'{"error": {"message": "Invalid Signature x"}}'), MediaErrorCode.PROVIDER_REJECTED),
        (Reply(403, b'{"error": {"message": "Not allowed"}}'), MediaErrorCode.PROVIDER_REJECTED),
        (Reply(404, b"<html>Not found</html>", "text/html"), MediaErrorCode.PROVIDER_REJECTED),
    ],
)
def test_destroy_failures_are_transient_or_permanent(fake_provider, reply, code):
    fake_provider.reply = reply
    MediaAsset.objects.create(
        public_id="merchants/m_x/p/a",
        resource_type="image",
        version=1,
        secure_url="https://x/a",
        tenant_schema="m_x",
        status=MediaAssetStatus.DELETING,
    )

    with _raises(code):
        asset_destroy(public_id="merchants/m_x/p/a")
    assert MediaAsset.objects.get(public_id="merchants/m_x/p/a").status == "deleting"  # unchanged


def test_destroy_with_the_provider_unreachable_is_transient(unreachable_provider):
    with _raises(MediaErrorCode.PROVIDER_UNAVAILABLE):
        asset_destroy(public_id="merchants/m_x/p/a")


def test_task_retries_unavailable_eight_times_then_fails(unreachable_provider, monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "asset_destroy", lambda **kw: calls.append(kw) or services.asset_destroy(**kw))

    result = asset_destroy_at_provider.apply(args=("merchants/m_x/p/a",))  # eager: retries at once, without waits

    assert isinstance(result.result, MediaError) and result.result.code is MediaErrorCode.PROVIDER_UNAVAILABLE
    assert len(calls) == 9  # the first try and 8 retries


def test_task_does_not_retry_a_refusal(fake_provider):
    fake_provider.reply = Reply(401, b'{"error": {"message": "Invalid Signature x"}}')
    result = asset_destroy_at_provider.apply(args=("merchants/m_x/p/a",))
    assert result.successful() and result.result is False and fake_provider.calls == 1


def test_destroy_on_commit_marks_deleting_and_queues_once_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(services, "task_send", lambda name, **kwargs: queued.append((name, kwargs["public_id"])))
    for name in ("a", "b"):
        MediaAsset.objects.create(
            public_id=f"merchants/m_x/p/{name}",
            resource_type="image",
            version=1,
            secure_url="https://x/a",
            tenant_schema="m_x",
        )

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                assets_destroy_on_commit(public_ids=["merchants/m_x/p/a"])
                raise RuntimeError
        except RuntimeError:
            pass
    assert queued == [] and MediaAsset.objects.get(public_id="merchants/m_x/p/a").status == "active"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assets_destroy_on_commit(public_ids=["merchants/m_x/p/a", "merchants/m_x/p/b", "merchants/m_x/p/a", ""])
        assert queued == []
        assert set(MediaAsset.objects.values_list("status", flat=True)) == {"deleting"}
    assert len(callbacks) == 1
    assert queued == [(services.DESTROY_TASK, "merchants/m_x/p/a"), (services.DESTROY_TASK, "merchants/m_x/p/b")]


def test_destroy_on_commit_survives_a_broker_failure(django_capture_on_commit_callbacks, monkeypatch, caplog):
    def broker_down(name, **kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(services, "task_send", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assets_destroy_on_commit(public_ids=["merchants/m_x/p/a"])
    assert "could not be queued" in caplog.text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_destroy_on_commit_reaches_the_sandbox_through_a_real_worker(
    cloudinary_sandbox, celery_worker_process, make_merchant
):
    merchant = make_merchant()
    assets = [_uploaded(merchant), _uploaded(merchant)]
    ids = [a.public_id for a in assets]
    assert all(sandbox_has(cloudinary_sandbox, public_id) for public_id in ids)

    with transaction.atomic():
        assets_destroy_on_commit(public_ids=ids)
        time.sleep(0.3)
        assert all(sandbox_has(cloudinary_sandbox, public_id) for public_id in ids)  # nothing before the commit

    deadline = time.monotonic() + 20
    while any(sandbox_has(cloudinary_sandbox, p) for p in ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = celery_worker_process["log"].read_text()[-2000:]
    assert not any(sandbox_has(cloudinary_sandbox, p) for p in ids), f"still there; worker log: {log}"
    deadline = time.monotonic() + 5
    while MediaAsset.objects.filter(public_id__in=ids, status="deleted").count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(MediaAsset.objects.filter(public_id__in=ids).values_list("status", flat=True)) == {"deleted"}


# ---- delivery ------------------------------------------------------------------------------------------------------


def test_delivery_urls_per_variant_point_at_the_sandbox(cloudinary_sandbox):
    base = f"{cloudinary_sandbox.base_url}/planckly"
    pid = "merchants/m_x/products/abc"

    assert delivery_url(public_id=pid) == f"{base}/image/upload/c_limit,f_auto,q_auto,w_1600/v1/{pid}"
    assert (
        delivery_url(public_id=pid, variant="thumb") == f"{base}/image/upload/c_fill,f_auto,h_320,q_auto,w_320/v1/{pid}"
    )
    assert delivery_url(public_id=pid, variant="thumb", version=42).endswith(f",w_320/v42/{pid}")
    assert delivery_url(public_id=pid, resource_type="video", variant="poster") == (
        f"{base}/video/upload/c_limit,q_auto,w_1600/v1/{pid}.jpg"
    )
    assert delivery_url(public_id=pid, resource_type="video", variant="thumb") == (
        f"{base}/video/upload/c_fill,h_320,q_auto,w_320/v1/{pid}.jpg"
    )
    assert (
        delivery_url(public_id=pid, resource_type="video", variant="video")
        == f"{base}/video/upload/f_auto,q_auto/v1/{pid}"
    )
    for resource_type, variant in [("image", "poster"), ("image", "video"), ("video", "full"), ("raw", "full")]:
        with _raises(MediaErrorCode.VARIANT_INVALID):
            delivery_url(public_id=pid, resource_type=resource_type, variant=variant)


def test_delivery_urls_are_fetchable_from_the_sandbox(cloudinary_sandbox, merchant):
    image = _uploaded(merchant)
    video = asset_upload(
        file=mp4_bytes(), filename="r.mp4", folder=folder_of(merchant), tenant_schema=merchant.schema_name
    )

    for variant in ("thumb", "full"):
        response = httpx.get(delivery_url(public_id=image.public_id, variant=variant, version=image.version))
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    poster = httpx.get(delivery_url(public_id=video.public_id, resource_type="video", variant="poster"))
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    stream = httpx.get(delivery_url(public_id=video.public_id, resource_type="video", variant="video"))
    assert stream.status_code == 200 and stream.headers["content-type"] == "video/mp4"


def test_production_configuration_delivers_from_res_cloudinary_com(monkeypatch):
    monkeypatch.setenv("CLOUDINARY_URL", "cloudinary://123456:abcdef@acme-shop")
    cloudinary.reset_config()
    try:
        url = delivery_url(public_id="merchants/m_x/products/abc", variant="thumb")
        api = cloudinary.utils.cloudinary_api_url("upload")
    finally:
        monkeypatch.undo()
        cloudinary.reset_config()
    assert (
        url
        == "https://res.cloudinary.com/acme-shop/image/upload/c_fill,f_auto,h_320,q_auto,w_320/v1/merchants/m_x/products/abc"
    )
    assert api == "https://api.cloudinary.com/v1_1/acme-shop/image/upload"


def test_a_cname_with_secure_true_is_https(monkeypatch):
    monkeypatch.setenv("CLOUDINARY_URL", "cloudinary://k:s@acme?cname=media.example.com&secure=true")
    cloudinary.reset_config()
    try:
        url = delivery_url(public_id="a/b", variant="full")
    finally:
        monkeypatch.undo()
        cloudinary.reset_config()
    assert url.startswith("https://")


def test_stale_deletions_are_sent_again_by_the_sweep(db):
    from datetime import timedelta

    from django.utils import timezone

    from shared_apps.media.models import MediaAsset, MediaAssetStatus
    from shared_apps.media.tasks import assets_deleting_sweep

    def asset(public_id: str, since) -> None:
        MediaAsset.objects.create(
            public_id=public_id,
            resource_type="image",
            version=1,
            secure_url="http://x/y.png",
            tenant_schema="m_x",
            status=MediaAssetStatus.DELETING,
            deleting_since=since,
        )

    asset("merchants/m_x/products/old", timezone.now() - timedelta(hours=2))
    asset("merchants/m_x/products/fresh", timezone.now())
    assert assets_deleting_sweep() == 1  # only the stale one is resent (to the session's queue)


def test_delivery_urls_from_the_template_equal_the_sdks():
    """Plain ids are filled into one URL per variant; the SDK's own answer must be the same for each of them."""
    from shared_apps.media.services import VARIANTS, _delivery_url, delivery_url

    config = tuple(sorted((k, str(v)) for k, v in vars(cloudinary.config()).items()))
    for public_id in ("abc", "planckly/m1/p-2_x", "a/b/c/d", "Z9"):
        for resource_type, variant in VARIANTS:
            fast = delivery_url(public_id=public_id, resource_type=resource_type, variant=variant)
            assert fast == _delivery_url(public_id, resource_type, variant, None, config), (public_id, variant)
