"""Tiny vertical test videos made on the machine with ffmpeg (never downloaded) and served with CORS from a thread,
as a CDN serves the reels: an HLS stream (H.264 segments), an MP4 and a WebM fallback, and a poster."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def videos_make(folder: Path, *, seconds: int = 4) -> dict[str, str]:
    """Files in `folder`: stream.m3u8 (+ segments), clip.mp4, clip.webm, poster.jpg. Returns their names by kind."""
    source = ["-f", "lavfi", "-i", f"testsrc=size=180x320:rate=15:duration={seconds}"]
    h264 = ["-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "15"]
    runs = [
        [*source, *h264, "-movflags", "+faststart", "clip.mp4"],
        [*source, "-c:v", "libvpx", "-b:v", "150k", "clip.webm"],
        [*source, *h264, "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "stream.m3u8"],
        [*source, "-frames:v", "1", "poster.jpg"],
    ]
    for args in runs:
        subprocess.run([FFMPEG, "-loglevel", "error", "-y", *args], cwd=folder, check=True)
    return {"hls": "stream.m3u8", "mp4": "clip.mp4", "webm": "clip.webm", "poster": "poster.jpg"}


class _CorsHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")  # hls.js reads the playlist and segments by XHR
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def videos_served(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_CorsHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
