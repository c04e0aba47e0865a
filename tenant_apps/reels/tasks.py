"""Reel work off the request path: the status check of a reel's renditions when no notification came."""

from __future__ import annotations

from celery import shared_task

from shared_apps.media.errors import MediaError
from tenant_apps.reels.services import reel_media_check as media_check

CHECK_DELAYS_S = (5, 10, 20, 40, 60, 120, 300, 600)  # short reels are ready within seconds; give up after ~20 min


@shared_task(name="tenant_apps.reels.tasks.reel_media_check", bind=True, max_retries=len(CHECK_DELAYS_S))
def reel_media_check(self, reel_id: int, attempt: int = 0) -> bool | None:
    """Runs in the merchant's schema (the sender's). Asks Cloudinary until the renditions exist, then marks the
    reel ready (services.reel_media_check); a lost notification only delays a reel, never loses it."""
    try:
        ready = media_check(reel_id=reel_id)
    except MediaError:
        ready = False
    if ready is False and self.request.retries < len(CHECK_DELAYS_S):
        raise self.retry(countdown=CHECK_DELAYS_S[self.request.retries])
    return ready
