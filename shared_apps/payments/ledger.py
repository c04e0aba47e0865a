"""The ledger: one append-only row per money movement, written only here, always under the intent's row lock.

Per capture kept for an order: `capture` (+amount), the gateway's `fee` (-, the platform bears it), and per merchant
part a `merchant_share` and the platform's `commission` that add up to the part's total. A refund mirrors that with
negative rows for the parts it came out of. Money that was never the order's (a second payment, a payment after the
order ended) gets a capture and, once given back, a refund, and no shares.

Invariants (`ledger_problems`, asserted by the tests after every scenario):
1. per intent: Σ capture + Σ refund = captured_amount - refunded_amount;
2. per part of a paid order: Σ merchant_share + Σ commission = part total - what was refunded out of that part.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q, Sum

from shared_apps.payments.models import LedgerEntry, LedgerKind, PaymentAttempt, PaymentIntent, PaymentPart, Refund

CENT = Decimal("0.01")
ALLOCATION = (LedgerKind.MERCHANT_SHARE, LedgerKind.COMMISSION)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_by_weight(amount: Decimal, room: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `amount` over the keys in proportion to their `room`, to the cent, never giving a key more than its room:
    shares rounded down first, then the cents left over go where the most room is left (ties: lowest key). The shares
    sum to `amount` whenever it fits in the total room."""
    total = sum(room.values(), Decimal(0))
    shares = {key: min(value, (amount * value / total).quantize(CENT, ROUND_DOWN)) for key, value in room.items()}
    remaining = amount - sum(shares.values(), Decimal(0))
    for key in sorted(room, key=lambda k: (room[k] - shares[k], -k), reverse=True):
        take = min(remaining, room[key] - shares[key])
        shares[key] += take
        remaining -= take
    return shares


def _write(key: str, *, intent: PaymentIntent, kind: str, amount: Decimal, **links) -> None:
    # The unique key makes a repeat impossible; callers hold the intent's lock, so a repeat is also never attempted
    # concurrently and a plain existence check keeps the transaction clean.
    if amount == 0 or LedgerEntry.objects.filter(key=key).exists():
        return
    LedgerEntry.objects.create(key=key, intent=intent, kind=kind, amount=amount, currency=intent.currency, **links)


def _fee_rate(gateway: str) -> Decimal:
    return {"foree": settings.FOREE_FEE_RATE, "jazzcash": settings.JAZZCASH_FEE_RATE}.get(gateway, Decimal(0))


def _allocate_part(
    intent: PaymentIntent, part: PaymentPart, amount: Decimal, *, prefix: str, sign: int, **links
) -> None:
    """Share and commission for `amount` of one part (negative for refunds). Commission is the rate of the amount,
    rounded; a refund that empties a part takes exactly what is left of each, so rounding never leaves cents."""
    commission = money(amount * settings.PAYMENT_PLATFORM_COMMISSION_RATE)
    if sign < 0:
        left = part_allocated(part.pk, split=True)
        if amount == left[LedgerKind.MERCHANT_SHARE] + left[LedgerKind.COMMISSION]:
            commission = left[LedgerKind.COMMISSION]
    share = amount - commission
    common = {"intent": intent, "part": part, "merchant_id": part.merchant_id, **links}
    _write(f"share:{prefix}:P{part.pk}", kind=LedgerKind.MERCHANT_SHARE, amount=sign * share, **common)
    _write(f"commission:{prefix}:P{part.pk}", kind=LedgerKind.COMMISSION, amount=sign * commission, **common)


def ledger_capture(*, intent: PaymentIntent, attempt: PaymentAttempt, amount: Decimal, allocate: bool) -> None:
    """Money in through a gateway; split over the order's parts when it pays for the order (`allocate`)."""
    prefix = f"A{attempt.pk}"
    _write(f"capture:{prefix}", intent=intent, attempt=attempt, kind=LedgerKind.CAPTURE, amount=amount)
    _write(
        f"fee:{prefix}",
        intent=intent,
        attempt=attempt,
        kind=LedgerKind.FEE,
        amount=-money(amount * _fee_rate(attempt.gateway)),
    )
    if allocate:
        for part in intent.parts.order_by("id"):
            _allocate_part(intent, part, part.total, prefix=prefix, sign=1, attempt=attempt)


def ledger_cash_capture(*, intent: PaymentIntent, part: PaymentPart) -> None:
    """Cash for one part, handed over at the door or the counter: captured and allocated to that part alone."""
    prefix = f"cod:P{part.pk}"
    _write(
        f"capture:{prefix}",
        intent=intent,
        part=part,
        merchant_id=part.merchant_id,
        kind=LedgerKind.CAPTURE,
        amount=part.total,
    )
    _allocate_part(intent, part, part.total, prefix=prefix, sign=1)


def ledger_refund(*, refund: Refund) -> None:
    """Money back: the refund row, and the shares and commission it takes out of each part of its allocation."""
    intent = refund.intent
    prefix = f"R{refund.pk}"
    _write(f"refund:{prefix}", intent=intent, refund=refund, kind=LedgerKind.REFUND, amount=-refund.amount)
    parts = {part.pk: part for part in intent.parts.filter(pk__in=[int(k) for k in refund.allocation])}
    for part_id, amount in sorted(refund.allocation.items(), key=lambda item: int(item[0])):
        _allocate_part(intent, parts[int(part_id)], Decimal(amount), prefix=prefix, sign=-1, refund=refund)


def part_allocated(part_id: int, *, split: bool = False):
    """What the ledger holds for one part now (shares + commission), or both sums apart (`split`)."""
    rows = LedgerEntry.objects.filter(part_id=part_id, kind__in=ALLOCATION).values("kind").annotate(total=Sum("amount"))
    sums = {kind: Decimal(0) for kind in ALLOCATION} | {row["kind"]: row["total"] for row in rows}
    return sums if split else sum(sums.values(), Decimal(0))


def intent_allocated(intent_id: int) -> tuple[Decimal, Decimal]:
    """(allocated when captured, allocated now) over every part of the intent: how much of the order was paid for
    and how much of that is still kept."""
    sums = LedgerEntry.objects.filter(intent_id=intent_id, kind__in=ALLOCATION).aggregate(
        paid=Sum("amount", filter=Q(amount__gt=0), default=Decimal(0)), kept=Sum("amount", default=Decimal(0))
    )
    return sums["paid"], sums["kept"]


def ledger_problems(intent: PaymentIntent) -> list[str]:
    """Every way the intent's ledger disagrees with its amounts (empty when the books balance)."""
    intent.refresh_from_db()
    problems = []
    moved = LedgerEntry.objects.filter(intent=intent, kind__in=(LedgerKind.CAPTURE, LedgerKind.REFUND)).aggregate(
        total=Sum("amount", default=Decimal(0))
    )["total"]
    if moved != intent.captured_amount - intent.refunded_amount:
        problems.append(f"captures and refunds sum to {moved}, not {intent.captured_amount - intent.refunded_amount}")
    refunded_from = {}
    for refund in intent.refunds.filter(status="succeeded"):
        for part_id, amount in refund.allocation.items():
            refunded_from[int(part_id)] = refunded_from.get(int(part_id), Decimal(0)) + Decimal(amount)
    for part in intent.parts.all():
        allocated = part_allocated(part.pk)
        if allocated == 0 and not LedgerEntry.objects.filter(part=part, kind__in=ALLOCATION).exists():
            continue  # never paid for (not yet, or cancelled before payment)
        expected = part.total - refunded_from.get(part.pk, Decimal(0))
        if allocated != expected:
            problems.append(f"part {part.number}: shares + commission {allocated}, expected {expected}")
    return problems
