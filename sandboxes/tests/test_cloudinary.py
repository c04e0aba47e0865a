"""The Cloudinary sandbox as a separate process, over plain HTTP: signatures, upload, destroy, delivery, notifications.

Requests here are built by hand (not with the SDK), so these tests pin the protocol itself; the SDK against the
sandbox is tested in shared_apps/media/tests.
"""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest

from sandboxes import cloudinary as sandbox
from sandboxes.tests.media_samples import jpeg_bytes, mp4_bytes, png_bytes

DOCUMENTED_PARAMS = {
    "eager": "w_400,h_300,c_pad|w_260,h_200,c_crop",
    "public_id": "sample_image",
    "timestamp": "1315060510",
}
DOCUMENTED_STRING = "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510"
DOCUMENTED_SIGNATURE = "bfd09f95f331f558cbd1320e67aa8d488770583e"


def _signed(account, params: dict, *, algorithm: str = "sha1", secret: str | None = None) -> dict:
    """Sign as the documentation says, written out independently of the sandbox's own code."""
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v not in ("", None))
    digest = hashlib.new(algorithm, (to_sign + (secret or account.api_secret)).encode()).hexdigest()
    return {**params, "api_key": account.api_key, "signature": digest}


def _upload(account, *, content: bytes, filename: str = "photo.png", resource_type: str = "image", **params):
    fields = _signed(account, {"timestamp": str(int(time.time())), **params})
    return httpx.post(
        account.api(resource_type, "upload"), data=fields, files={"file": (filename, content)}, timeout=10
    )


# ---- the verifier on its own -----------------------------------------------------------------------------------


def test_documented_example_signs_as_documented():
    assert sandbox.string_to_sign(DOCUMENTED_PARAMS) == DOCUMENTED_STRING
    assert sandbox.signature_for(DOCUMENTED_PARAMS, "abcd") == DOCUMENTED_SIGNATURE
    assert sandbox.signature_matches(DOCUMENTED_PARAMS, "abcd", DOCUMENTED_SIGNATURE)
    assert sandbox.signature_matches(DOCUMENTED_PARAMS, "abcd", DOCUMENTED_SIGNATURE.upper())
    assert not sandbox.signature_matches(DOCUMENTED_PARAMS, "abce", DOCUMENTED_SIGNATURE)
    assert not sandbox.signature_matches({**DOCUMENTED_PARAMS, "timestamp": "1315060511"}, "abcd", DOCUMENTED_SIGNATURE)


def test_documented_example_matches_the_sdk():
    import cloudinary.utils

    assert cloudinary.utils.api_sign_request(DOCUMENTED_PARAMS, "abcd") == DOCUMENTED_SIGNATURE


def test_string_to_sign_leaves_out_unsigned_and_empty_params_and_joins_lists():
    params = {
        "timestamp": "1",
        "file": "data:...",
        "cloud_name": "c",
        "resource_type": "image",
        "api_key": "k",
        "signature": "s",
        "folder": "",
        "tags": ["a", "b"],
        "context": "caption=x&y",
    }
    assert sandbox.string_to_sign(params) == "context=caption=x%26y&tags=a,b&timestamp=1"
    assert sandbox.string_to_sign(params, signature_version=1) == "context=caption=x&y&tags=a,b&timestamp=1"


def test_sha256_signatures_are_checked_as_sha256():
    digest = hashlib.sha256((DOCUMENTED_STRING + "abcd").encode()).hexdigest()
    assert sandbox.signature_for(DOCUMENTED_PARAMS, "abcd", algorithm="sha256") == digest
    assert sandbox.signature_matches(DOCUMENTED_PARAMS, "abcd", digest)


def test_an_old_style_signature_over_a_value_with_an_ampersand_is_refused():
    params = {"context": "caption=salt&pepper", "timestamp": "1315060510"}
    old = hashlib.sha1(b"context=caption=salt&pepper&timestamp=1315060510abcd").hexdigest()  # noqa: S324
    new = hashlib.sha1(b"context=caption=salt%26pepper&timestamp=1315060510abcd").hexdigest()  # noqa: S324
    assert sandbox.signature_for(params, "abcd", signature_version=1) == old
    assert not sandbox.signature_matches(params, "abcd", old)  # version 1 could smuggle a parameter into a value
    assert sandbox.signature_matches(params, "abcd", new)
    # Without an `&` in any value both versions write the same string: clients that never sign one are unaffected.
    assert sandbox.signature_for(DOCUMENTED_PARAMS, "abcd", signature_version=1) == DOCUMENTED_SIGNATURE


def test_booleans_are_signed_as_the_http_form_sends_them():
    import cloudinary.utils

    params = {"timestamp": "1", "use_filename": True, "unique_filename": False, "tags": ["a", True]}
    assert sandbox.string_to_sign(params) == "tags=a,1&timestamp=1&unique_filename=0&use_filename=1"
    # The SDK turns booleans into the form's 1/0 before it signs (cleanup_params): the sandbox agrees with it.
    sent = cloudinary.utils.cleanup_params({k: v for k, v in params.items() if k != "tags"})
    assert sent["use_filename"] == "1" and sent["unique_filename"] == "0"
    assert cloudinary.utils.api_sign_request(sent, "abcd") == sandbox.signature_for(
        {k: v for k, v in params.items() if k != "tags"}, "abcd"
    )


# ---- upload ----------------------------------------------------------------------------------------------------


def test_upload_answers_like_cloudinary_and_the_file_is_delivered(account):
    content = png_bytes(64, 48)

    response = _upload(account, content=content, folder="merchants/m_demo/products", tags="a,b")

    assert response.status_code == 200, response.text
    asset = response.json()
    assert asset["public_id"].startswith("merchants/m_demo/products/")
    assert len(asset["public_id"].rsplit("/", 1)[1]) == 20
    assert (asset["resource_type"], asset["format"], asset["width"], asset["height"]) == ("image", "png", 64, 48)
    assert asset["bytes"] == len(content)
    assert asset["type"] == "upload" and asset["tags"] == ["a", "b"] and asset["original_filename"] == "photo"
    expected = hashlib.sha1(  # noqa: S324 - Cloudinary signs with SHA-1
        f"public_id={asset['public_id']}&version={asset['version']}{account.api_secret}".encode()
    ).hexdigest()
    assert asset["signature"] == expected
    assert asset["secure_url"] == (
        f"{account.base_url}/{account.cloud}/image/upload/v{asset['version']}/{asset['public_id']}.png"
    )
    assert httpx.get(asset["secure_url"]).content == content
    transformed = (
        f"{account.base_url}/{account.cloud}/image/upload/c_fill,w_320,h_320/f_auto,q_auto/v1/{asset['public_id']}"
    )
    delivered = httpx.get(transformed)
    assert delivered.status_code == 200 and delivered.content == content
    assert delivered.headers["content-type"] == "image/png"
    listed = httpx.get(f"{account.base_url}/cloudinary/resources", params={"prefix": asset["public_id"]}).json()
    assert [r["public_id"] for r in listed["resources"]] == [asset["public_id"]]


def test_auto_detects_images_and_videos_and_reads_video_duration(account):
    image = _upload(account, content=jpeg_bytes(30, 20), filename="x.jpg", resource_type="auto").json()
    video = _upload(
        account, content=mp4_bytes(duration_ms=3200, width=720, height=1280), filename="reel.mp4", resource_type="auto"
    ).json()

    assert (image["resource_type"], image["format"], image["width"]) == ("image", "jpg", 30)
    assert (video["resource_type"], video["format"]) == ("video", "mp4")
    assert (video["duration"], video["width"], video["height"]) == (3.2, 720, 1280)
    poster = httpx.get(f"{account.base_url}/{account.cloud}/video/upload/c_limit,w_1600/v1/{video['public_id']}.jpg")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert poster.content.startswith(b"\xff\xd8")
    stream = httpx.get(f"{account.base_url}/{account.cloud}/video/upload/f_auto,q_auto/v1/{video['public_id']}")
    assert stream.headers["content-type"] == "video/mp4" and stream.content.startswith(b"\x00\x00\x00\x18ftyp")


def test_given_public_id_goes_into_the_folder_and_overwrites_with_a_new_version(account):
    first = _upload(account, content=png_bytes(), folder="merchants/m_demo", public_id="logo").json()
    second = _upload(account, content=png_bytes(10, 10), folder="merchants/m_demo", public_id="logo").json()
    kept = _upload(account, content=png_bytes(5, 5), folder="merchants/m_demo", public_id="logo", overwrite="false")

    assert first["public_id"] == second["public_id"] == "merchants/m_demo/logo"
    assert second["version"] > first["version"] and second["width"] == 10
    assert kept.json()["existing"] is True and kept.json()["version"] == second["version"]


def test_sha256_signed_upload_is_accepted_and_answered_in_sha256(account):
    fields = _signed(account, {"timestamp": str(int(time.time()))}, algorithm="sha256")
    response = httpx.post(account.api("image", "upload"), data=fields, files={"file": ("a.png", png_bytes())})
    asset = response.json()
    assert response.status_code == 200, response.text
    expected = f"public_id={asset['public_id']}&version={asset['version']}{account.api_secret}"
    assert asset["signature"] == hashlib.sha256(expected.encode()).hexdigest()


def test_bad_signature_is_401_with_cloudinarys_message(account):
    timestamp = str(int(time.time()))
    fields = _signed(account, {"timestamp": timestamp, "folder": "f"}, secret="not-the-secret")

    response = httpx.post(account.api("image", "upload"), data=fields, files={"file": ("a.png", png_bytes())})

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "message": f"Invalid Signature {fields['signature']}. String to sign - 'folder=f&timestamp={timestamp}'."
        }
    }


def test_an_upload_signed_the_old_way_is_401_and_the_new_way_is_accepted(account):
    timestamp = str(int(time.time()))
    params = {"timestamp": timestamp, "context": "caption=salt&pepper"}
    old = _signed(account, params)  # the helper writes values as they are: version 1
    refused = httpx.post(account.api("image", "upload"), data=old, files={"file": ("a.png", png_bytes())})
    assert refused.status_code == 401
    assert "String to sign - 'context=caption=salt%26pepper&timestamp=" in refused.json()["error"]["message"]

    new = {**params, "api_key": account.api_key, "signature": sandbox.signature_for(params, account.api_secret)}
    accepted = httpx.post(account.api("image", "upload"), data=new, files={"file": ("a.png", png_bytes())})
    assert accepted.status_code == 200, accepted.text


def test_a_boolean_sent_as_the_form_sends_it_passes_the_signature(account):
    params = {"timestamp": str(int(time.time())), "use_filename": True}
    fields = {
        "timestamp": params["timestamp"],
        "use_filename": "1",
        "api_key": account.api_key,
        "signature": sandbox.signature_for(params, account.api_secret),
    }
    response = httpx.post(account.api("image", "upload"), data=fields, files={"file": ("shelf.png", png_bytes())})
    assert response.status_code == 200, response.text
    assert response.json()["public_id"].startswith("shelf_")


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"api_key": "someone-else"}, 401, "Unknown API key someone-else"),
        ({"api_key": ""}, 400, "Must supply api_key"),
        ({"timestamp": ""}, 400, "Missing required parameter - timestamp"),
        ({"signature": ""}, 400, "Missing required parameter - signature"),
    ],
)
def test_credentials_and_parameters_are_checked(account, change, status, message):
    fields = {**_signed(account, {"timestamp": str(int(time.time()))}), **change}
    response = httpx.post(account.api("image", "upload"), data=fields, files={"file": ("a.png", png_bytes())})
    assert response.status_code == status
    assert response.json()["error"]["message"] == message


def test_signatures_are_valid_for_one_hour(account):
    stale = int(time.time()) - 3601
    fields = _signed(account, {"timestamp": str(stale)})
    response = httpx.post(account.api("image", "upload"), data=fields, files={"file": ("a.png", png_bytes())})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Stale request - reported time is ")
    assert response.json()["error"]["message"].endswith("which is more than 1 hour ago")

    fresh = _signed(account, {"timestamp": str(int(time.time()) - 3500)})
    ok = httpx.post(account.api("image", "upload"), data=fresh, files={"file": ("a.png", png_bytes())})
    assert ok.status_code == 200


def test_another_cloud_is_refused(account):
    fields = _signed(account, {"timestamp": str(int(time.time()))})
    url = f"{account.base_url}/v1_1/not-{account.cloud}/image/upload"
    response = httpx.post(url, data=fields, files={"file": ("a.png", png_bytes())})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == f"Invalid cloud_name not-{account.cloud}"


def test_content_is_checked_against_the_resource_type_formats_and_size(account):
    not_an_image = _upload(account, content=b"hello, not an image", filename="a.png")
    assert (not_an_image.status_code, not_an_image.json()["error"]["message"]) == (400, "Invalid image file")

    refused = _upload(account, content=png_bytes(), allowed_formats="jpg,webp")
    assert (refused.status_code, refused.json()["error"]["message"]) == (400, "Image file format png not allowed")

    too_big = _upload(account, content=b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), filename="big.png")
    assert too_big.status_code == 400
    assert (
        too_big.json()["error"]["message"] == f"File size too large. Got {10 * 1024 * 1024 + 4}. Maximum is 10485760."
    )

    missing = httpx.post(account.api("image", "upload"), data=_signed(account, {"timestamp": str(int(time.time()))}))
    assert (missing.status_code, missing.json()["error"]["message"]) == (400, "Missing required parameter - file")


def test_data_uri_files_are_accepted(account):
    import base64

    data_uri = "data:image/png;base64," + base64.b64encode(png_bytes(7, 9)).decode()
    fields = {**_signed(account, {"timestamp": str(int(time.time()))}), "file": data_uri}
    response = httpx.post(account.api("image", "upload"), data=fields)
    assert response.status_code == 200, response.text
    assert (response.json()["width"], response.json()["height"]) == (7, 9)


# ---- destroy ---------------------------------------------------------------------------------------------------


def test_destroy_is_ok_then_not_found_and_the_file_is_gone(account):
    asset = _upload(account, content=png_bytes()).json()
    fields = _signed(account, {"public_id": asset["public_id"], "timestamp": str(int(time.time())), "invalidate": "1"})

    first = httpx.post(account.api("image", "destroy"), data=fields)  # urlencoded, as well as multipart
    again = httpx.post(account.api("image", "destroy"), data=fields)

    assert (first.status_code, first.json()) == (200, {"result": "ok"})
    assert (again.status_code, again.json()) == (200, {"result": "not found"})
    gone = httpx.get(asset["secure_url"])
    assert gone.status_code == 404 and gone.headers["x-cld-error"].startswith("Resource not found")


def test_destroy_looks_only_in_its_resource_type_and_checks_the_signature(account):
    asset = _upload(account, content=png_bytes()).json()
    fields = _signed(account, {"public_id": asset["public_id"], "timestamp": str(int(time.time()))})

    assert httpx.post(account.api("video", "destroy"), data=fields).json() == {"result": "not found"}
    forged = {**fields, "public_id": asset["public_id"] + "x"}
    assert httpx.post(account.api("image", "destroy"), data=forged).status_code == 401
    assert httpx.get(asset["secure_url"]).status_code == 200


# ---- notifications ---------------------------------------------------------------------------------------------


def _notification_valid(account, received) -> bool:
    timestamp = received.headers["X-Cld-Timestamp"]
    expected = hashlib.sha1(received.body + timestamp.encode() + account.api_secret.encode()).hexdigest()  # noqa: S324
    return received.headers["X-Cld-Signature"] == expected and abs(int(timestamp) - time.time()) < 60


def test_upload_and_destroy_notify_the_notification_url_signed(account, webhook_receiver):
    asset = _upload(account, content=png_bytes(), folder="merchants/m_demo", notification_url=webhook_receiver.url)
    asset = asset.json()

    uploaded = webhook_receiver.next()
    assert uploaded.path == "/hooks/cloudinary"
    assert uploaded.headers["Content-Type"] == "application/json"
    assert _notification_valid(account, uploaded)
    body = json.loads(uploaded.body)
    assert body["notification_type"] == "upload"
    assert (body["public_id"], body["version"], body["width"]) == (asset["public_id"], asset["version"], 64)

    fields = _signed(
        account,
        {"public_id": asset["public_id"], "timestamp": str(int(time.time())), "notification_url": webhook_receiver.url},
    )
    assert httpx.post(account.api("image", "destroy"), data=fields).json() == {"result": "ok"}
    deleted = webhook_receiver.next()
    assert _notification_valid(account, deleted)
    body = json.loads(deleted.body)
    assert body["notification_type"] == "delete"
    assert [(r["public_id"], r["resource_type"]) for r in body["resources"]] == [(asset["public_id"], "image")]

    log = httpx.get(f"{account.base_url}/cloudinary/notifications").json()["notifications"]
    assert [json.loads(e["body"])["notification_type"] for e in log[:2]] == ["delete", "upload"]
    assert log[0]["status"] == 200


# ---- pages and parsers -----------------------------------------------------------------------------------------


def test_page_lists_uploads_and_the_index_links_it(account):
    asset = _upload(account, content=png_bytes()).json()
    page = httpx.get(f"{account.base_url}/cloudinary")
    assert page.status_code == 200 and asset["public_id"] in page.text
    assert "/cloudinary" in httpx.get(f"{account.base_url}/").text
    assert "Cloudinary" in httpx.get(f"{account.base_url}/healthz").json()["providers"]


def test_mp4_parser_reads_duration_and_size():
    assert sandbox.mp4_info(mp4_bytes(duration_ms=61234, width=1080, height=1920)) == (61.234, 1080, 1920)
    assert sandbox.mp4_info(b"not a video") == (None, None, None)
    assert sandbox.mp4_info(mp4_bytes()[:40]) == (None, None, None)  # truncated inside moov


def test_defaults_match_the_app_settings():
    settings_source = (sandbox.REPO / "config" / "settings.py").read_text()
    default = f"cloudinary://{sandbox.DEFAULT_API_KEY}:{sandbox.DEFAULT_API_SECRET}@{sandbox.DEFAULT_CLOUD}?"
    assert default + "upload_prefix=http://127.0.0.1:8100&cname=127.0.0.1:8100" in settings_source
