"""Reads of merchant orders for the console (queue, history, detail, slip, dashboard figures and board). Every queryset
starts from `scoped_orders(actor)`, so the scope wall holds here too; figures are aggregated in SQL, one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.orders.models import MerchantOrder, MerchantOrderLine, OrderStatus, OrderTransition
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


# History, preparation times and the dashboard's board ------------------------------------------------------------

HISTORY_DAYS = 30  # what the history shows when no dates are chosen: a month covers "what happened last week"
READY = (S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY)


def _phone_digits(text: str) -> str:
    """The last ten digits of something typed like a phone ("0300 1234567", "+92 300 1234567"), or "" if it is not
    one: stored phones are E.164, so their last ten digits are the national number without its leading 0."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits[-10:] if len(digits) >= 10 else ""


def orders_history(
    *,
    actor: Membership,
    branch_id: int | None = None,
    search: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
) -> QuerySet[MerchantOrder]:
    """Past and present orders in the actor's scope, newest first, each with `items`. `search` finds an order by its
    number (or the customer order's) or by the customer's phone however it is typed; dates are local calendar days,
    both ends included (without either, the last HISTORY_DAYS days)."""
    orders = orders_list(actor=actor, branch_id=branch_id, status=status if status in S.values else None)
    search = (search or "").strip()
    if search:
        match = Q(number__icontains=search) | Q(customer_order_number__icontains=search)
        digits = _phone_digits(search)
        if digits:
            match |= Q(customer_phone__endswith=digits)
        orders = orders.filter(match)
    zone = timezone.get_current_timezone()
    if date_from is None and date_to is None and not search:
        date_from = timezone.localdate() - timedelta(days=HISTORY_DAYS - 1)
    if date_from is not None:
        orders = orders.filter(created_at__gte=datetime.combine(date_from, datetime.min.time(), tzinfo=zone))
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        orders = orders.filter(created_at__lt=end)
    return orders


def order_slip(order: MerchantOrder) -> MerchantOrder:
    """What the printed slip needs: the order, its branch and store, its lines (two queries)."""
    return MerchantOrder.objects.select_related("branch", "branch__store").prefetch_related("lines").get(pk=order.pk)


class Period(StrEnum):
    """The dashboard's period: today, the last 7 days or the last 30 (local calendar days, today included)."""

    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"

    @classmethod
    def of(cls, value: str) -> Period:
        """The period a query string names; the last 7 days for anything else."""
        return cls(value) if value in {period.value for period in cls} else cls.WEEK

    @property
    def days(self) -> int:
        return {Period.TODAY: 1, Period.WEEK: 7, Period.MONTH: 30}[self]

    @property
    def label(self) -> str:
        return {Period.TODAY: _("Today"), Period.WEEK: _("Last 7 days"), Period.MONTH: _("Last 30 days")}[self]


def period_start(period: Period, now: datetime | None = None) -> datetime:
    today = timezone.localtime(now).date()
    return timezone.make_aware(datetime.combine(today - timedelta(days=period.days - 1), datetime.min.time()))


@dataclass(frozen=True)
class BranchFigure:
    branch_id: int
    branch: str
    store: str
    orders: int
    sales: Decimal
    prep: timedelta | None  # average accepted → ready over the period's orders that got there
    prepared: int  # how many orders that average is over


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    title: str
    units: int
    sales: Decimal


@dataclass(frozen=True)
class Board:
    """The dashboard's figures for one period, in the actor's scope (orders that brought no money left out)."""

    period: Period
    orders: int
    sales: Decimal
    average_order: Decimal | None
    branches: list[BranchFigure]
    top_products: list[TopProduct]
    currency: str


def prep_times(*, actor: Membership, since: datetime) -> dict[int, tuple[timedelta | None, int]]:
    """branch id → (average time from accepted to ready, orders counted) for orders placed since `since`, read from
    the orders' history (the first move to each). One query: the per-order times are subqueries, averaged in SQL."""
    moves = OrderTransition.objects.filter(order_id=OuterRef("pk")).order_by().values("order_id")
    accepted = moves.filter(to_status=S.ACCEPTED).annotate(at=Min("created_at")).values("at")
    ready = moves.filter(to_status__in=READY).annotate(at=Min("created_at")).values("at")
    rows = (
        scoped_orders(actor)
        .filter(created_at__gte=since)
        .annotate(accepted_at=Subquery(accepted), ready_at=Subquery(ready))
        .filter(accepted_at__isnull=False, ready_at__isnull=False)
        .values("branch_id")
        .annotate(
            prep=Avg(ExpressionWrapper(F("ready_at") - F("accepted_at"), output_field=DurationField())),
            n=Count("id"),
        )
        .order_by()
    )
    return {row["branch_id"]: (row["prep"], row["n"]) for row in rows}


def order_board(*, actor: Membership, period: Period, top: int = 5, now: datetime | None = None) -> Board:
    """Orders, sales and average order value over `period`; per branch (with its average preparation time); the
    `top` products by units sold. Three queries whatever the number of orders, branches or products."""
    since = period_start(period, now)
    counted = scoped_orders(actor).filter(created_at__gte=since).exclude(status__in=NOT_REVENUE)
    per_branch = (
        counted.values("branch_id", "branch__name", "branch__store__name")
        .annotate(n=Count("id"), sales=Coalesce(Sum("total"), Value(0), output_field=DecimalField()))
        .order_by("-sales", "branch__name")
    )
    preps = prep_times(actor=actor, since=since)
    branches = [
        BranchFigure(
            branch_id=row["branch_id"],
            branch=row["branch__name"],
            store=row["branch__store__name"],
            orders=row["n"],
            sales=Decimal(row["sales"]),
            prep=preps.get(row["branch_id"], (None, 0))[0],
            prepared=preps.get(row["branch_id"], (None, 0))[1],
        )
        for row in per_branch
    ]
    products = (
        MerchantOrderLine.objects.filter(order__in=counted.values("pk"))
        .values("product_id")
        .annotate(title=Max("title"), units=Sum("quantity"), sales=Sum("line_total"))
        .order_by("-units", "-sales", "product_id")[:top]
    )
    orders = sum(b.orders for b in branches)
    sales = sum((b.sales for b in branches), Decimal(0))
    return Board(
        period=period,
        orders=orders,
        sales=sales,
        average_order=(sales / orders).quantize(Decimal("0.01")) if orders else None,
        branches=branches,
        top_products=[
            TopProduct(product_id=p["product_id"], title=p["title"], units=p["units"], sales=Decimal(p["sales"]))
            for p in products
        ],
        currency=settings.DEFAULT_CURRENCY,
    )
