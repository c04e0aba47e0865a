"""Reads of merchant orders for the console (queue, detail, dashboard figures). Every queryset starts from
`scoped_orders(actor)`, so the scope wall holds here too; figures are aggregated in SQL, one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Prefetch, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tenant_apps.orders.models import MerchantOrder, OrderStatus, OrderTransition
from tenant_apps.orders.states import OPEN_FOR_STAFF
from tenant_apps.staff.access import scoped_orders
from tenant_apps.staff.models import Membership

S = OrderStatus
# Orders that bring no money: never paid, or turned away/returned. Revenue and order counts leave them out.
NOT_REVENUE = (S.PENDING_PAYMENT, S.REJECTED, S.CANCELLED, S.REFUNDED)
QUEUE_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("new", "New", (S.PLACED,)),
    ("in_progress", "In progress", (S.ACCEPTED, S.PREPARING)),
    ("ready", "Ready", (S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY)),
)
QUEUE_LIMIT = 200  # open orders a queue shows at most (oldest first); a branch with more has a bigger problem


def orders_list(
    *, actor: Membership, branch_id: int | None = None, status: str | None = None, open_only: bool = False
) -> QuerySet[MerchantOrder]:
    """The actor's orders, newest first, each with `items` (units across its lines) — one query however many."""
    orders = scoped_orders(actor).annotate(items=Coalesce(Sum("lines__quantity"), 0))
    if branch_id is not None:
        orders = orders.filter(branch_id=branch_id)
    if status:
        orders = orders.filter(status=status)
    if open_only:
        orders = orders.filter(status__in=OPEN_FOR_STAFF)
    return orders.order_by("-id")


@dataclass
class QueueGroup:
    key: str
    label: str
    orders: list[MerchantOrder] = field(default_factory=list)


def order_queue(*, actor: Membership, branch_id: int | None = None) -> list[QueueGroup]:
    """Open orders grouped New / In progress / Ready, oldest first inside a group (first come, first served).
    One query."""
    groups = [QueueGroup(key, label) for key, label, _ in QUEUE_GROUPS]
    by_status = {
        status: group for group, (_, _, statuses) in zip(groups, QUEUE_GROUPS, strict=True) for status in statuses
    }
    orders = orders_list(actor=actor, branch_id=branch_id, open_only=True).order_by("id")[:QUEUE_LIMIT]
    for order in orders:
        by_status[order.status].orders.append(order)
    return groups


def order_detail(order: MerchantOrder) -> MerchantOrder:
    """The order with its lines and its history (oldest move first, with who made it) prefetched: two queries."""
    transitions = OrderTransition.objects.select_related("actor").order_by("id")
    return (
        MerchantOrder.objects.select_related("branch", "branch__store")
        .prefetch_related("lines", Prefetch("transitions", queryset=transitions))
        .get(pk=order.pk)
    )


@dataclass(frozen=True)
class DayFigure:
    day: date
    orders: int
    revenue: Decimal
    height: int  # percent of the busiest day's revenue, for the bar chart


@dataclass(frozen=True)
class OrderFigures:
    today_orders: int
    today_revenue: Decimal
    week_orders: int
    week_revenue: Decimal
    open_orders: int
    days: list[DayFigure]  # the last 7 days, oldest first, today last
    currency: str


def order_figures(*, actor: Membership, days: int = 7, now: datetime | None = None) -> OrderFigures:
    """Orders and revenue in the actor's scope, today and over the last `days` days (local calendar days), with one
    row per day for the chart; orders that brought no money (NOT_REVENUE) are left out of both. Two queries: the
    per-day aggregate and the open-orders count."""
    now = timezone.localtime(now)
    today = now.date()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), datetime.min.time()))
    rows = (
        scoped_orders(actor)
        .filter(created_at__gte=start)
        .exclude(status__in=NOT_REVENUE)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"), revenue=Coalesce(Sum("total"), Value(0), output_field=DecimalField()))
        .order_by()
    )
    per_day = {row["day"]: (row["n"], Decimal(row["revenue"])) for row in rows}
    open_orders = scoped_orders(actor).filter(status__in=OPEN_FOR_STAFF).count()
    series = [
        (day, *per_day.get(day, (0, Decimal(0))))
        for day in (today - timedelta(days=offset) for offset in range(days - 1, -1, -1))
    ]
    peak = max(revenue for _, _, revenue in series)
    figures = [
        DayFigure(day=day, orders=n, revenue=revenue, height=int(revenue * 100 / peak) if peak else 0)
        for day, n, revenue in series
    ]
    return OrderFigures(
        today_orders=figures[-1].orders,
        today_revenue=figures[-1].revenue,
        week_orders=sum(f.orders for f in figures),
        week_revenue=sum((f.revenue for f in figures), Decimal(0)),
        open_orders=open_orders,
        days=figures,
        currency=settings.DEFAULT_CURRENCY,
    )
