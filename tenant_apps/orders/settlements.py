"""Reads of the merchant's money for the console: its shares of paid orders (one row per payment part, the merchant's
part of a customer's order) and settlements per day, both from the payments ledger (public schema). Every queryset
here is cut twice: to this merchant (`merchant_id`, the request's tenant) and to the branches the actor's scope covers
(`scoped_branches`), so a Branch Manager sees its branch, a Shop Owner its store's branches, and no one another
merchant's rows.

The numbers, per part or per day (ledger kinds merchant_share S and commission C; refund rows are negative):
    gross = S + C captured (what the customers paid for the merchant's orders)
    commission = the platform's commission, net of what refunds gave back
    refunded = what refunds took out of the merchant's parts (shares + commission)
    net = Σ S: what the platform owes the merchant = gross - commission - refunded
Payouts are not executed yet: "net payable" is what a payout would transfer, nothing has been paid out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from shared_apps.payments.models import LedgerEntry, LedgerKind, PaymentPart
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.staff.access import scoped_branches
from tenant_apps.staff.models import Membership

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
SHARE, COMMISSION = LedgerKind.MERCHANT_SHARE, LedgerKind.COMMISSION


def _sum(prefix: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(f"{prefix}amount", filter=condition), ZERO)


def _money_sums(prefix: str = "") -> dict[str, Coalesce]:
    """The four figures as aggregates over ledger rows (reached through `prefix`, e.g. "ledger__")."""

    def q(**kw) -> Q:
        return Q(**{f"{prefix}{k}": v for k, v in kw.items()})

    captured = q(refund__isnull=True)
    return {
        "gross": _sum(prefix, q(kind__in=(SHARE, COMMISSION)) & captured),
        "share": _sum(prefix, q(kind=SHARE) & captured),
        "commission": _sum(prefix, q(kind=COMMISSION)),
        "refunded": ZERO - _sum(prefix, q(kind__in=(SHARE, COMMISSION), refund__isnull=False)),
        "net": _sum(prefix, q(kind=SHARE)),
    }


def scope_branch_ids(actor: Membership, branch_id: int | None = None) -> list[int]:
    """The branches whose money the actor may see (one query): all in scope, or the one chosen (already checked to be
    in scope by the caller through access_branch_by_id)."""
    if branch_id is not None:
        return [branch_id]
    return list(scoped_branches(actor).values_list("pk", flat=True))


def _between(rows: QuerySet, field: str, date_from: date | None, date_to: date | None) -> QuerySet:
    """Local calendar days (Asia/Karachi), both ends included."""
    if date_from:
        rows = rows.filter(**{f"{field}__date__gte": date_from})
    if date_to:
        rows = rows.filter(**{f"{field}__date__lte": date_to})
    return rows


def merchant_shares(
    *, merchant_id: int, branch_ids: list[int], date_from: date | None = None, date_to: date | None = None
) -> QuerySet[PaymentPart]:
    """The merchant's paid parts in those branches, newest first, each annotated with gross, share, commission,
    refunded and net from the ledger, the order's date and currency (its payment's: created in checkout's
    transaction) and the status of its merchant order (in this schema): one query per page whatever its size. Parts
    never paid (no share in the ledger) are left out."""
    status = MerchantOrder.objects.filter(pk=OuterRef("merchant_order_id")).values("status")[:1]
    parts = (
        PaymentPart.objects.filter(merchant_id=merchant_id, branch_id__in=branch_ids)
        .annotate(entries=Count("ledger", filter=Q(ledger__kind__in=(SHARE, COMMISSION))), **_money_sums("ledger__"))
        .filter(entries__gt=0)
        .annotate(order_date=F("intent__created_at"), currency=F("intent__currency"), status=Subquery(status))
    )
    return _between(parts, "intent__created_at", date_from, date_to).order_by("-id")


def _ledger(*, merchant_id: int, branch_ids: list[int], date_from: date | None, date_to: date | None) -> QuerySet:
    rows = LedgerEntry.objects.filter(
        merchant_id=merchant_id, part__branch_id__in=branch_ids, kind__in=(SHARE, COMMISSION)
    )
    return _between(rows, "created_at", date_from, date_to)


def merchant_settlements(
    *, merchant_id: int, branch_ids: list[int], date_from: date | None = None, date_to: date | None = None
) -> QuerySet:
    """Per local day (Asia/Karachi) the ledger moved this merchant's money, newest first: dicts with day, gross,
    commission, refunded and net (payable). One query."""
    rows = _ledger(merchant_id=merchant_id, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
    sums = _money_sums()
    del sums["share"]
    return (
        rows.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(**sums)
        .order_by("-day")
    )


@dataclass(frozen=True)
class MoneyTotals:
    gross: Decimal
    commission: Decimal
    refunded: Decimal
    net: Decimal


def merchant_money_totals(
    *, merchant_id: int, branch_ids: list[int], date_from: date | None = None, date_to: date | None = None
) -> MoneyTotals:
    """The four figures over everything in scope (and the date range): one query."""
    rows = _ledger(merchant_id=merchant_id, branch_ids=branch_ids, date_from=date_from, date_to=date_to)
    sums = _money_sums()
    del sums["share"]
    return MoneyTotals(**rows.aggregate(**sums))
