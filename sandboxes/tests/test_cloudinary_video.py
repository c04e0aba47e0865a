"""The Cloudinary sandbox's video side over plain HTTP: chunked uploads, eager transformations (sync and async with
their notification), HLS/MP4/WebM/poster delivery and the Admin API's status check. Needs ffmpeg."""

from __future__ import annotations

import base64
import json
import shutil
import time

import httpx
import pytest

from sandboxes.tests.media_samples import vertical_video_bytes
from sandboxes.tests.test_cloudinary import _notification_valid, _signed

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

EAGER = "sp_auto/m3u8|f_auto,q_auto/mp4|f_auto,q_auto/webm|so_0/jpg"


def _chunks(account, data: bytes, *, size: int, **params) -> list[httpx.Response]:
    fields = _signed(account, {"timestamp": str(int(time.time())), **params})
    answers = []
    for first in range(0, len(data), size):
        chunk = data[first : first + size]
        headers = {
            "X-Unique-Upload-Id": "test" + str(abs(hash(data)) % 10**9),
            "Content-Range": f"bytes {first}-{first + len(chunk) - 1}/{len(data)}",
        }
        answers.append(
            httpx.post(
                account.api("video", "upload"),
                data=fields,
                files={"file": ("reel.mp4", chunk)},
                headers=headers,
                timeout=60,
            )
        )
    return answers


def test_a_chunked_upload_with_eager_transformations_answers_the_whole_video_and_its_renditions(account):
    video = vertical_video_bytes(seconds=2)
    answers = _chunks(account, video, size=len(video) // 3 + 1, folder="merchants/m_demo/reels", eager=EAGER)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json() == {"done": False, "bytes": len(video) // 3 + 1}
    asset = answers[-1].json()
    assert (asset["bytes"], asset["width"], asset["height"]) == (len(video), 90, 160)
    assert 1.5 < asset["duration"] < 2.5
    assert [e["transformation"] for e in asset["eager"]] == EAGER.split("|")

    hls, mp4, webm, poster = (httpx.get(e["secure_url"]) for e in asset["eager"])
    assert hls.headers["content-type"] == "application/vnd.apple.mpegurl"
    media_path = next(line for line in hls.text.splitlines() if line and not line.startswith("#"))
    media = httpx.get(account.base_url + media_path)
    segments = [line for line in media.text.splitlines() if line and not line.startswith("#")]
    assert segments and "#EXT-X-ENDLIST" in media.text
    assert httpx.get(account.base_url + segments[0]).content[:1] == b"\x47"  # an MPEG-TS sync byte
    assert mp4.content[4:8] == b"ftyp"
    assert webm.content[:4] == b"\x1a\x45\xdf\xa3"
    assert poster.content[:2] == b"\xff\xd8"


def test_a_chunk_whose_range_does_not_match_its_size_is_refused(account):
    fields = _signed(account, {"timestamp": str(int(time.time()))})
    answer = httpx.post(
        account.api("video", "upload"),
        data=fields,
        files={"file": ("reel.mp4", b"x" * 10)},
        headers={"X-Unique-Upload-Id": "bad1", "Content-Range": "bytes 0-19/40"},
    )
    assert answer.status_code == 400


def test_eager_async_answers_at_once_then_notifies_when_the_renditions_exist(account, webhook_receiver):
    video = vertical_video_bytes(seconds=1)
    fields = _signed(
        account,
        {
            "timestamp": str(int(time.time())),
            "folder": "merchants/m_demo/reels",
            "eager": EAGER,
            "eager_async": "true",
            "eager_notification_url": webhook_receiver.url,
        },
    )
    asset = httpx.post(account.api("video", "upload"), data=fields, files={"file": ("r.mp4", video)}, timeout=30)
    asset = asset.json()
    assert {e["status"] for e in asset["eager"]} == {"processing"}

    notice = webhook_receiver.next(timeout=60)
    assert _notification_valid(account, notice)
    body = json.loads(notice.body)
    assert (body["notification_type"], body["public_id"]) == ("eager", asset["public_id"])
    assert [e["format"] for e in body["eager"]] == ["m3u8", "mp4", "webm", "jpg"]

    auth = base64.b64encode(f"{account.api_key}:{account.api_secret}".encode()).decode()
    described = httpx.get(
        f"{account.base_url}/v1_1/{account.cloud}/resources/video/upload/{asset['public_id']}",
        headers={"Authorization": f"Basic {auth}"},
    ).json()
    assert {d["format"] for d in described["derived"]} >= {"m3u8", "mp4", "webm"}
    unauthorised = httpx.get(f"{account.base_url}/v1_1/{account.cloud}/resources/video/upload/{asset['public_id']}")
    assert unauthorised.status_code == 401
