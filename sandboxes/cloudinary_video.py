"""The Cloudinary sandbox's video side: chunked uploads, eager transformations and their delivery, made locally with
ffmpeg from the distribution's packages (`apt-get install ffmpeg`). Without ffmpeg the originals still upload and
play; anything derived (HLS, MP4/WebM renditions, poster frames) answers a clear error naming the missing program.

Chunked upload (as the SDK's `upload_large` and the browser widget send it): every chunk is a complete, signed
Upload API call carrying `X-Unique-Upload-Id` and `Content-Range: bytes <first>-<last>/<total>`; chunks are kept
under <store>/chunks/<id>/ and the call that completes the range is processed as one upload of the whole file.
Earlier chunks are answered `{"done": false, "bytes": <received>}`.

Eager transformations (`eager=sp_auto/m3u8|f_auto,q_auto/mp4|...`): any transformation string is accepted; what is
produced depends on the format asked for: m3u8 → an HLS stream (a master playlist with one H.264 rendition in
2-second segments), mp4 → H.264/AAC, webm → VP8/Vorbis, jpg/png/webp → a frame (`so_<seconds>` honoured). With
`eager_async=true` the upload answers at once with each eager entry `status: "processing"` and a notification
`notification_type: "eager"` goes to `eager_notification_url` (or the notification URL) once they are ready; without
it they are made before the upload answers. A derived file asked for before it exists is made on the spot, as
Cloudinary does for on-the-fly transformations. Renditions are at most 720 pixels wide: small and quick.

Files: <store>/<cloud>/video/<sha1(public_id)>.derived/ {video.mp4, video.webm, hls/media.m3u8, hls/seg_NNN.ts,
poster.jpg}; segments are served from `/cloudinary/derived/<key>/hls/<name>`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FFMPEG_MISSING = (
    "ffmpeg is not installed on the sandbox's machine (apt-get install ffmpeg): derived video is unavailable"
)
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCALE = "scale='trunc(min(iw,720)/2)*2':-2"
_SECONDS = re.compile(r"(?:^|,)so_(\d+(?:\.\d+)?)(?:,|$)")
IMAGE_FORMATS = ("jpg", "jpeg", "png", "webp")


class FfmpegMissing(RuntimeError):
    pass


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def _run(arguments: list[str], *, timeout: int = 120) -> None:
    if not ffmpeg_available():
        raise FfmpegMissing(FFMPEG_MISSING)
    completed = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *arguments],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {completed.stderr.decode(errors='replace')[-500:]}")


def probe(path: Path) -> dict[str, Any]:
    """{duration, width, height} of a video file by ffprobe; {} when ffprobe is missing or cannot read it."""
    if not ffmpeg_available():
        return {}
    completed = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    try:
        data = json.loads(completed.stdout or b"{}")
        stream = (data.get("streams") or [{}])[0]
        duration = float(data.get("format", {}).get("duration"))
        return {"duration": round(duration, 3), "width": int(stream["width"]), "height": int(stream["height"])}
    except (ValueError, KeyError, TypeError, IndexError):
        return {}


def _has_audio(path: Path) -> bool:
    completed = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a",
            "-show_entries",
            "stream=index",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return bool(completed.stdout.strip())


# ---- chunked uploads -----------------------------------------------------------------------------------------------


def chunk_accept(*, root: Path, upload_id: str, content_range: str, data: bytes) -> bytes | int | str:
    """Keep one chunk; the whole file when this chunk completes it, else how many bytes are held, or an error."""
    match = _RANGE.fullmatch(content_range.strip())
    if not _UPLOAD_ID.fullmatch(upload_id) or not match:
        return "Invalid X-Unique-Upload-Id or Content-Range"
    first, last, total = (int(g) for g in match.groups())
    if last < first or last >= total or last - first + 1 != len(data):
        return f"Content-Range {content_range} does not match the chunk's {len(data)} bytes"
    folder = root / "chunks" / upload_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{first:012d}").write_bytes(data)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        parts = sorted(p for p in folder.iterdir() if p.name.isdigit())
        received, position = 0, 0
        for part in parts:
            if int(part.name) != position:
                break
            position += part.stat().st_size
        received = sum(p.stat().st_size for p in parts)
        if position < total:
            return received
        whole = b"".join(p.read_bytes() for p in parts)[:total]
    shutil.rmtree(folder, ignore_errors=True)
    return whole


# ---- eager transformations -----------------------------------------------------------------------------------------


def eager_entries(eager: Any) -> list[tuple[str, str]]:
    """(transformation, format) of each `eager` entry: "sp_auto/m3u8|f_auto,q_auto/mp4" → [("sp_auto", "m3u8"), ...]."""
    text = ",".join(eager) if isinstance(eager, list) else str(eager or "")
    entries = []
    for item in text.split("|"):
        item = item.strip().strip("/")
        if not item:
            continue
        transformation, _, fmt = item.rpartition("/")
        entries.append((transformation, fmt.lower()))
    return entries


def derived_dir(blob: Path) -> Path:
    return blob.with_suffix(".derived")


def _poster_seconds(transformation: str, duration: float | None) -> float:
    match = _SECONDS.search(transformation or "")
    seconds = float(match.group(1)) if match else 0.5
    return max(0.0, min(seconds, (duration or 1.0) - 0.05))


def derive(*, blob: Path, fmt: str, transformation: str = "", duration: float | None = None) -> Path:
    """The derived file for `fmt` (m3u8 → the HLS media playlist), made once (a lock per asset), raising
    FfmpegMissing without ffmpeg."""
    folder = derived_dir(blob)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        mp4 = folder / "video.mp4"
        if fmt in ("mp4", "m3u8") and not mp4.exists():
            audio = ["-c:a", "aac", "-b:a", "96k"] if _has_audio(blob) else ["-an"]
            partial = folder / "partial.mp4"
            _run(
                [
                    "-i",
                    str(blob),
                    "-vf",
                    _SCALE,
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-profile:v",
                    "baseline",
                    "-pix_fmt",
                    "yuv420p",
                    "-g",
                    "48",
                    *audio,
                    "-movflags",
                    "+faststart",
                    str(partial),
                ]
            )
            partial.replace(mp4)
        if fmt == "mp4":
            return mp4
        if fmt == "m3u8":
            hls = folder / "hls"
            playlist = hls / "media.m3u8"
            if not playlist.exists():
                hls.mkdir(exist_ok=True)
                _run(
                    [
                        "-i",
                        str(mp4),
                        "-c",
                        "copy",
                        "-f",
                        "hls",
                        "-hls_time",
                        "2",
                        "-hls_playlist_type",
                        "vod",
                        "-hls_segment_filename",
                        str(hls / "seg_%03d.ts"),
                        str(hls / "partial.m3u8"),
                    ]
                )
                (hls / "partial.m3u8").replace(playlist)
            return playlist
        if fmt == "webm":
            webm = folder / "video.webm"
            if not webm.exists():
                audio = ["-c:a", "libvorbis", "-q:a", "3"] if _has_audio(blob) else ["-an"]
                partial = folder / "partial.webm"
                _run(
                    [
                        "-i",
                        str(blob),
                        "-vf",
                        _SCALE,
                        "-c:v",
                        "libvpx",
                        "-deadline",
                        "realtime",
                        "-cpu-used",
                        "8",
                        "-b:v",
                        "700k",
                        *audio,
                        str(partial),
                    ]
                )
                partial.replace(webm)
            return webm
        if fmt in IMAGE_FORMATS:
            seconds = _poster_seconds(transformation, duration)
            ext = "jpg" if fmt == "jpeg" else fmt
            poster = folder / f"poster_{seconds:.2f}.{ext}"
            if not poster.exists():
                partial = folder / f"partial.{ext}"
                _run(["-ss", f"{seconds:.2f}", "-i", str(blob), "-frames:v", "1", "-vf", _SCALE, str(partial)])
                partial.replace(poster)
            return poster
        raise ValueError(f"Unsupported format {fmt}")


def master_playlist(*, key: str, width: int | None, height: int | None) -> str:
    """sp_auto's master playlist: here one rendition; its media playlist and segments live under /cloudinary/derived."""
    resolution = f",RESOLUTION={min(width, 720)}x{round(height * min(width, 720) / width)}" if width and height else ""
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-STREAM-INF:BANDWIDTH=900000{resolution}\n"
        f"/cloudinary/derived/{key}/hls/media.m3u8\n"
    )


def media_playlist(playlist: Path, *, key: str) -> str:
    """The media playlist with its segments as absolute paths of the sandbox's derived route."""
    lines = []
    for line in playlist.read_text().splitlines():
        lines.append(f"/cloudinary/derived/{key}/hls/{line}" if line and not line.startswith("#") else line)
    return "\n".join(lines) + "\n"
