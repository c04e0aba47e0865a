"""Demo reels: short vertical videos made on this machine by ffmpeg (a moving test pattern in the shop's colour
with the product's name), never downloaded, uploaded through the Cloudinary sandbox exactly as the console's
script does (signed, eager renditions in the background), then tagged and published through the reel services.

Cheap on purpose (`make run` seeds them): 144x256 at 12 frames a second, 5 to 15 s. Most demo merchants are
trusted (their reels go out at once); the others' reels wait in the admin's reel queue, so it has something in it.
Without ffmpeg, or with the sandbox unreachable and not startable, reels are skipped with a message.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cloudinary
import httpx
from django.conf import settings
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.reels.models import Reel, ReelMedia
from tenant_apps.reels.services import reel_create, reel_media_check, reel_upload_signature
from tenant_apps.staff.models import Membership, Role
from tenant_apps.stores.models import Branch
from tenants.models import Merchant

SIZE, FPS = (144, 256), 12
COLOURS = ("0x1e3a8a", "0x9d174d", "0x065f46", "0x92400e", "0x5b21b6", "0x0f766e", "0x7c2d12", "0x334155")
LOCAL_SANDBOX = "http://127.0.0.1:8100"
UNTRUSTED_EVERY = 4  # one demo merchant in four has its reels reviewed by an operator
UPLOAD_FIELDS = ("api_key", "timestamp", "signature", "folder", "allowed_formats", "eager", "eager_async")
UPLOAD_FIELDS += ("eager_notification_url", "notification_url")


def video_make(*, seconds: int, colour: str, text: str) -> bytes:
    """An H.264 MP4 made from nothing: a colour field with a moving test pattern inset and `text` over it."""
    width, height = SIZE
    safe = "".join(c for c in text if c.isalnum() or c in " -")[:18] or "Planckly"
    pattern = f"testsrc2=size={width}x{width}:rate={FPS}:duration={seconds}"
    background = f"color=c={colour}:size={width}x{height}:rate={FPS}:duration={seconds}"
    overlay = "[0:v][1:v]overlay=0:(H-w)/2"
    label = f",drawtext=text='{safe}':fontcolor=white:fontsize=14:x=(w-tw)/2:y=h-40"
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "reel.mp4"
        base = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", background, "-f", "lavfi"]
        encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
        for graph in (overlay + label, overlay):  # without fonts, drawtext fails: the pattern alone then
            done = subprocess.run(
                [*base, "-i", pattern, "-filter_complex", graph, *encode, str(out)], capture_output=True, check=False
            )
            if done.returncode == 0:
                return out.read_bytes()
        raise RuntimeError(done.stderr.decode(errors="replace")[-300:])


def _reachable(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def sandbox_running(say: Callable[[str], None]) -> Iterator[bool]:
    """The Cloudinary the app is configured for, reachable: as it is, or (the local sandbox, not running yet, as
    before `make run` starts it) a sandboxes process started for the seed and stopped after it. Yields False when
    neither works."""
    base = str(cloudinary.config().upload_prefix or "").rstrip("/")
    if _reachable(base):
        yield True
        return
    if base != LOCAL_SANDBOX:
        say(f"reels: {base or 'Cloudinary'} is unreachable; no demo reels.")
        yield False
        return
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sandboxes.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            "8100",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not _reachable(base) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        yield _reachable(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _upload(signed: dict, video: bytes) -> dict:
    fields = {k: signed[k] for k in UPLOAD_FIELDS if signed.get(k) not in (None, "")}
    answer = httpx.post(signed["upload_url"], data=fields, files={"file": ("reel.mp4", video)}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def merchant_reels_seed(merchant: Merchant, *, count: int, index: int) -> list[int]:
    """`count` reels for one merchant (none if it has reels already), each tagging one to three of its products."""
    trusted = index % UNTRUSTED_EVERY != UNTRUSTED_EVERY - 1
    Merchant.objects.filter(pk=merchant.pk).update(reels_trusted=trusted)
    made = []
    with schema_context(merchant.schema_name):
        if Reel.objects.exists():
            return []
        owner = Membership.objects.get(role=Role.MERCHANT, user_id=merchant.owner_id)
        branches = list(Branch.objects.filter(is_active=True).order_by("pk"))
        products = list(Product.objects.filter(status=ProductStatus.ACTIVE).order_by("pk")[: count * 3])
        if not branches or not products:
            return []
        for n in range(count):
            digest = int(hashlib.sha1(f"{merchant.slug}:{n}".encode(), usedforsecurity=False).hexdigest(), 16)
            tagged = products[n * 3 : n * 3 + 1 + digest % 3] or products[:1]
            video = video_make(seconds=5 + digest % 11, colour=COLOURS[digest % len(COLOURS)], text=tagged[0].name)
            upload = _upload(reel_upload_signature(actor=owner), video)
            branch_ids = [b.pk for b in branches if b.store_id == branches[0].store_id][: 1 + digest % 2]
            reel = reel_create(
                actor=owner,
                upload=upload,
                branch_ids=branch_ids,
                product_ids=[p.pk for p in tagged],
                caption=f"{tagged[0].name}: fresh at {merchant.name}",
            )
            made.append(reel.pk)
    return made


def reels_seed(*, total: int, say: Callable[[str], None]) -> int:
    """About `total` reels over the demo merchants (two each, in slug order), then waits until the sandbox made their
    renditions (the status check). Returns how many were made."""
    if total <= 0:
        return 0
    if shutil.which("ffmpeg") is None:
        say("reels: ffmpeg is not installed (apt-get install ffmpeg); no demo reels.")
        return 0
    merchants = list(Merchant.objects.exclude(schema_name="public").order_by("slug"))
    made: dict[str, list[int]] = {}
    with sandbox_running(say) as ready:
        if not ready:
            return 0
        left = total
        for index, merchant in enumerate(merchants):
            if left <= 0:
                break
            ids = merchant_reels_seed(merchant, count=min(2, left), index=index)
            made[merchant.schema_name] = ids
            left -= len(ids)
        deadline = time.monotonic() + 180
        for schema, ids in made.items():
            with schema_context(schema):
                for reel_id in ids:
                    while reel_media_check(reel_id=reel_id) is False and time.monotonic() < deadline:
                        time.sleep(0.3)
    still = 0
    for schema in made:
        with schema_context(schema):
            still += Reel.objects.filter(media_state=ReelMedia.PROCESSING).count()
    if still:
        say(f"reels: {still} still processing; the worker's status check marks them ready.")
    return sum(len(ids) for ids in made.values())
