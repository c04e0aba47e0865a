"""Media work off the request path: deleting assets at Cloudinary, retried while it is unavailable."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone

from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.models import MediaAsset, MediaAssetStatus
from shared_apps.media.services import asset_destroy

logger = logging.getLogger(__name__)

MAX_RETRIES = 8
BACKOFF_MAX_SECONDS = 600


@shared_task(name="shared_apps.media.tasks.asset_destroy_at_provider", bind=True, max_retries=MAX_RETRIES)
def asset_destroy_at_provider(self, public_id: str) -> bool:
    """Delete one asset at Cloudinary and mark it deleted (services.asset_destroy); True when done.

    Retries MediaError(PROVIDER_UNAVAILABLE) — network errors, 5xx, rate limits — at most 8 times with exponential
    backoff and full jitter (random waits up to 2, 4, 8, ... 600 s), then fails in the worker's log with the row still
    `deleting`. A refusal (PROVIDER_REJECTED: credentials, configuration) is logged and not retried. Idempotent.
    """
    try:
        asset_destroy(public_id=public_id)
    except MediaError as exc:
        if exc.code is not MediaErrorCode.PROVIDER_UNAVAILABLE:
            logger.error("media %s: destroy refused, not retried: %s", public_id, exc)
            return False
        countdown = get_exponential_backoff_interval(
            factor=2, retries=self.request.retries, maximum=BACKOFF_MAX_SECONDS, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    return True


@shared_task(name="shared_apps.media.tasks.assets_deleting_sweep")
def assets_deleting_sweep(older_than_seconds: int = 3600, limit: int = 500) -> int:
    """Beat: assets still `deleting` long after they were meant to go (a refused task, retries exhausted, a broker
    outage at commit time) are sent to the provider again. Destroy is idempotent, so a double send is harmless."""
    stale = MediaAsset.objects.filter(
        status=MediaAssetStatus.DELETING, deleting_since__lt=timezone.now() - timedelta(seconds=older_than_seconds)
    ).values_list("public_id", flat=True)[:limit]
    public_ids = list(stale)
    for public_id in public_ids:
        asset_destroy_at_provider.delay(public_id)
    return len(public_ids)
