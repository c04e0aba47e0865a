"""Tracking tokens: a signed, expiring token in the customer's SMS that shows one order without signing in.

VERIFIER HOOK for issue 19: the fulfilment work (the `/track/<token>` pages) owns the token's format; the customer's
event stream (`GET /api/v1/orders/{order_id}/events?token=...`) only asks `tracking_token_order_id` which order a
token opens. Whoever changes how tokens are issued changes this one verifier with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "planckly.orders.tracking"


def tracking_token_issue(*, customer_order_id: int) -> str:
    """A token that opens this one order (its tracking page and live stream) until it expires."""
    return signing.dumps({"o": customer_order_id}, salt=_SALT, compress=True)


def tracking_token_order_id(token: str) -> int | None:
    """The customer order id a valid, unexpired token opens; None for anything else."""
    try:
        claims = signing.loads(token, salt=_SALT, max_age=settings.ORDER_TRACKING_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    order_id = claims.get("o") if isinstance(claims, dict) else None
    return order_id if isinstance(order_id, int) else None
