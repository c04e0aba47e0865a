"""Reads of deliveries for the console: a rider's own list, the late orders of a board, the cash riders hold today.
Every queryset starts from the access layer's scoped selectors; each read is one query however many rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.live.services import channel_riders
from tenant_apps.fulfilment.models import CashCollection, Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.services import ENDED
from tenant_apps.staff.access import scoped_branches, scoped_deliveries
from tenant_apps.staff.models import Membership

D = DeliveryStatus
LATE_SHOWN = 20  # a board names at most this many late orders (oldest promise first)


def rider_deliveries(rider: Membership) -> QuerySet[Delivery]:
    """The rider's deliveries still to do, oldest first, with their order and branch (one query)."""
    return (
        scoped_deliveries(rider)
        .filter(rider_id=rider.pk, method=DeliveryMethod.OWN_RIDER)
        .exclude(status__in=ENDED)
        .order_by("id")
    )


def rider_channels(rider: Membership) -> list[str]:
    """The live channels a rider's page listens to: its branch's riders (every branch in scope for a membership
    that spans branches)."""
    if rider.branch_id is not None:
        branch_ids = [rider.branch_id]
    else:
        branch_ids = list(scoped_branches(rider).order_by("pk").values_list("pk", flat=True))
    return [channel_riders(connection.schema_name, branch_id) for branch_id in branch_ids]


def ready_waiting_count(rider: Membership) -> int:
    """Deliveries of the rider's branch ready and without a rider: what "take the next one" would get."""
    return Delivery.objects.filter(
        branch_id=rider.branch_id, method=DeliveryMethod.OWN_RIDER, status=D.READY, rider__isnull=True
    ).count()


def late_deliveries(*, actor: Membership, branch_id: int | None, now: datetime | None = None) -> list[Delivery]:
    """Open deliveries in scope whose promised time has passed, the most overdue first (one query)."""
    deliveries = scoped_deliveries(actor).exclude(status__in=ENDED).filter(eta__lt=now or timezone.now())
    if branch_id is not None:
        deliveries = deliveries.filter(branch_id=branch_id)
    return list(deliveries.order_by("eta")[:LATE_SHOWN])


@dataclass(frozen=True)
class RiderCash:
    rider_id: int
    name: str
    deliveries: int
    amount: Decimal


def rider_cash_today(*, branch_id: int, now: datetime | None = None) -> list[RiderCash]:
    """Cash each rider of the branch collected today (local day), largest first: two queries (the sums, the
    riders' names from the public users)."""
    today = timezone.localtime(now).date()
    start = timezone.make_aware(datetime.combine(today, time.min))
    rows = list(
        CashCollection.objects.filter(branch_id=branch_id, collected_at__gte=start)
        .values("rider_id", "rider__user_id")
        .annotate(amount=Sum("amount"), n=Count("id"))
        .order_by("-amount")
    )
    names = (
        dict(User.objects.filter(pk__in=[r["rider__user_id"] for r in rows]).values_list("pk", "name")) if rows else {}
    )
    return [
        RiderCash(
            rider_id=r["rider_id"], name=names.get(r["rider__user_id"]) or "—", deliveries=r["n"], amount=r["amount"]
        )
        for r in rows
    ]
