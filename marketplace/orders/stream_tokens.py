"""VERIFIER HOOK: which order a tracking link's token opens, for the customer's live stream
(`GET /api/v1/orders/{order_id}/events?token=...`, the `/track/<token>` page's EventSource).

The tracking links belong to the fulfilment work (issue 19, `marketplace/orders/tracking.py`: `track_token_issue`,
`track_order_by_token`): a TimestampSigner token, salt "planckly.orders.track", naming the order's number, valid for
TRACK_LINK_MAX_AGE_HOURS. This verifies that same token so the stream opens for the same links; once both are on
main, `tracking_token_order_number` should call `track_order_by_token` instead (one rule in one place).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

TRACK_SIGNING_SALT = "planckly.orders.track"
TRACK_LINK_MAX_AGE_HOURS_DEFAULT = 72  # the fulfilment work's default for TRACK_LINK_MAX_AGE_HOURS


def tracking_token_order_number(token: str) -> str | None:
    """The customer order number a valid, unexpired tracking token names; None for anything else."""
    hours = getattr(settings, "TRACK_LINK_MAX_AGE_HOURS", TRACK_LINK_MAX_AGE_HOURS_DEFAULT)
    try:
        payload = signing.TimestampSigner(salt=TRACK_SIGNING_SALT).unsign_object(token, max_age=timedelta(hours=hours))
    except signing.BadSignature:  # forged, altered or expired
        return None
    number = payload.get("o") if isinstance(payload, dict) else None
    return number if isinstance(number, str) else None
