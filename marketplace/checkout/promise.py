"""The time checkout promises for each shop's part, from the branch's preparation minutes and tenant_apps.stores.
promise's rule (which the order page and the fulfilment floor share)."""

from __future__ import annotations

from datetime import datetime

from tenant_apps.catalog.offers import BranchTerms
from tenant_apps.orders.models import Fulfilment
from tenant_apps.stores.promise import promised_time

DEFAULT_PREPARATION_MINUTES = 20


def branch_preparation_minutes(branch_row: BranchTerms | None) -> int:
    """How long the branch takes to prepare an order (Branch.preparation_minutes, read with its terms)."""
    return branch_row.preparation_minutes if branch_row is not None else DEFAULT_PREPARATION_MINUTES


def group_promised_at(
    *, terms: BranchTerms | None, fulfilment: str, start: datetime, distance_km: float | None
) -> datetime:
    """The promised time of one shop's part: ready for pickup, or at the door for a delivery (the shop's own rider
    or a partner courier, at the configured speed until the courier quotes its own)."""
    return promised_time(
        start=start,
        preparation_minutes=branch_preparation_minutes(terms),
        delivered=fulfilment != Fulfilment.PICKUP,
        distance_km=distance_km,
    )
