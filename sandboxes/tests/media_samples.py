"""Small media files built in memory for the Cloudinary sandbox and media tests."""

from __future__ import annotations

import io
import struct


def png_bytes(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, color: str = "orange") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4_bytes(*, duration_ms: int = 2500, width: int = 640, height: int = 360, brand: bytes = b"isom") -> bytes:
    """An MP4 container with the boxes that carry duration and size (ftyp, moov/mvhd, moov/trak/tkhd, mdat)."""
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = struct.pack(">I4I", 0, 0, 0, 1000, duration_ms) + struct.pack(">IH10x", 0x10000, 0x100)
    mvhd += matrix + b"\x00" * 24 + struct.pack(">I", 2)
    tkhd = struct.pack(">I5I8xhhH2x", 7, 0, 0, 1, 0, duration_ms, 0, 0, 0) + matrix
    tkhd += struct.pack(">II", width << 16, height << 16)
    moov = _box(b"moov", _box(b"mvhd", mvhd) + _box(b"trak", _box(b"tkhd", tkhd)))
    return _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41") + moov + _box(b"mdat", b"\x00" * 256)


def vertical_video_bytes(*, seconds: float = 2, width: int = 90, height: int = 160, fmt: str = "mp4") -> bytes:
    """A real, playable vertical video made by ffmpeg (testsrc and a tone), tiny and quick to transcode."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"sample.{fmt}"
        codec = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
        if fmt == "webm":
            codec = ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libvorbis"]
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size={width}x{height}:rate=12:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                *codec,
                "-shortest",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        return out.read_bytes()
