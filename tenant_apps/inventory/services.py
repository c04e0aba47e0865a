"""Stock writes. Each is one transaction that updates the level, appends its ledger movement and emits the outbox
event, so the ledger always sums to the level and the marketplace learns of it. Never oversells: every decrease is
a conditional atomic UPDATE (`WHERE available >= n`).

With an `idempotency_key`, a write applies once (kernel.idempotency): its movement stores the key (unique in the
schema) and the fingerprint of the write — its name and every argument but the key. The same write again returns
the first movement and changes nothing; the key with another write or other arguments is IDEMPOTENCY_CONFLICT (409).

Reservations, releases and sales (checkout's hot path) are one SQL statement each — the conditional UPDATE, its
ledger row and its outbox event in data-modifying CTEs — so without a key they need no transaction or savepoint of
their own and hold a level's row lock for a single round trip before the caller's commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from kernel.idempotency import Earlier, idempotency_key_clean, idempotent_write, request_fingerprint
from tenant_apps.inventory.errors import InventoryError, InventoryErrorCode
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.outbox.services import outbox_emit, outbox_publish_on_commit
from tenant_apps.staff.audit import Actions, audit_record, branch_names, variant_names


def _stock_audit(movement: StockMovement) -> None:
    """The audit entry of a person's move on the shelf (received, adjusted, counted, returned); reservations, releases
    and sales are the orders' and are told by their moves."""
    if not movement.on_hand_delta and movement.reason != MovementReason.COUNT:
        return
    goods, branch = variant_names(movement.variant_id), branch_names(movement.branch_id)
    audit_record(
        action=Actions.STOCK_MOVED,
        target_type="variant",
        target_id=movement.variant_id,
        actor_user_id=movement.actor_id,
        store_id=branch["store_id"],
        branch_id=movement.branch_id,
        branch=branch["branch"],
        product=goods["product"],
        variant=goods["variant"],
        reason=movement.reason,
        delta=movement.on_hand_delta,
        on_hand_after=movement.on_hand_after,
        reference=movement.reference,
        note=movement.note,
    )


def _movement_by_key(key: str) -> Earlier[StockMovement] | None:
    movement = StockMovement.objects.filter(idempotency_key=key).first()
    return Earlier(movement, fingerprint=movement.request_hash) if movement is not None else None


def _idempotency_conflict() -> InventoryError:
    return InventoryError(InventoryErrorCode.IDEMPOTENCY_CONFLICT)


@dataclass(frozen=True)
class _Write:
    """Where a stock write lands, who makes it and what its movement says; `key` and `fingerprint` are the
    idempotency key and the write's fingerprint, set by `_once` when the caller gave a key."""

    branch_id: int
    variant_id: int
    actor_id: int | None
    note: str = ""
    reference: str = ""
    key: str | None = None
    fingerprint: str | None = None


def _once(
    name: str,
    idempotency_key: str | None,
    write: Callable[..., StockMovement],
    target: _Write,
    **arguments: Any,
) -> StockMovement:
    """Run `write(target, **arguments)` once per key: the movement records the key and the fingerprint (the write's
    name, its target and every argument)."""
    key = idempotency_key_clean(idempotency_key)
    fingerprint = None
    if key:
        where = {f: getattr(target, f) for f in ("branch_id", "variant_id", "actor_id", "note", "reference")}
        fingerprint = request_fingerprint({"write": name, **where, **arguments})
    target = replace(target, key=key, fingerprint=fingerprint)
    return idempotent_write(
        key=key,
        fingerprint=fingerprint or "",
        find=_movement_by_key,
        write=lambda: write(target, **arguments),
        conflict=_idempotency_conflict,
    ).result


def _record(w: _Write, *, reason: str, on_hand_delta: int = 0, reserved_delta: int = 0) -> StockMovement:
    on_hand = StockLevel.objects.filter(branch_id=w.branch_id, variant_id=w.variant_id).values_list(
        "on_hand", flat=True
    )
    movement = StockMovement.objects.create(
        branch_id=w.branch_id,
        variant_id=w.variant_id,
        reason=reason,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=on_hand.first(),
        actor_id=w.actor_id,
        reference=w.reference,
        note=w.note,
        idempotency_key=w.key,
        request_hash=w.fingerprint,
    )
    outbox_emit(entity=Entity.STOCK, entity_id=w.variant_id, branch_id=w.branch_id)
    _stock_audit(movement)
    return movement


def _level(w: _Write) -> QuerySet[StockLevel]:
    """The write's level row (created at zero the first time), as a queryset to update conditionally."""
    StockLevel.objects.get_or_create(branch_id=w.branch_id, variant_id=w.variant_id)
    return StockLevel.objects.filter(branch_id=w.branch_id, variant_id=w.variant_id)


def _positive(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="quantity")
    return quantity


def stock_receive(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    actor_id: int | None,
    note: str = "",
    reference: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """Goods arrived: on_hand += quantity. Raises QUANTITY_INVALID; once per key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, note=note, reference=reference)
    return _once("receive", idempotency_key, _receive, target, quantity=quantity)


@transaction.atomic
def _receive(w: _Write, *, quantity: int) -> StockMovement:
    _positive(quantity)
    _level(w).update(on_hand=F("on_hand") + quantity)
    return _record(w, reason=MovementReason.RECEIVE, on_hand_delta=quantity)


def stock_adjust(
    *,
    branch_id: int,
    variant_id: int,
    delta: int,
    actor_id: int | None,
    reason: str = MovementReason.ADJUSTMENT,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """A manual change (+/-): breakage, found items, customer returns. Never below what is reserved. Raises
    REASON_INVALID, QUANTITY_INVALID, BELOW_RESERVED; once per key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, note=note)
    return _once("adjust", idempotency_key, _adjust, target, delta=delta, reason=reason)


@transaction.atomic
def _adjust(w: _Write, *, delta: int, reason: str) -> StockMovement:
    if reason not in (MovementReason.ADJUSTMENT, MovementReason.RETURN):
        raise InventoryError(InventoryErrorCode.REASON_INVALID, field="reason")
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="delta")
    level = _level(w)
    if delta < 0:
        level = level.filter(available__gte=-delta)  # reserved units are promised to orders
    if not level.update(on_hand=F("on_hand") + delta):
        raise InventoryError(InventoryErrorCode.BELOW_RESERVED, field="delta")
    return _record(w, reason=reason, on_hand_delta=delta)


def stock_count(
    *,
    branch_id: int,
    variant_id: int,
    counted: int,
    actor_id: int | None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """A shelf count: on_hand becomes `counted` (the difference is the movement). Locks the level row. Raises
    QUANTITY_INVALID, BELOW_RESERVED; once per key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, note=note)
    return _once("count", idempotency_key, _count, target, counted=counted)


@transaction.atomic
def _count(w: _Write, *, counted: int) -> StockMovement:
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="counted")
    level = _level(w).select_for_update().get()
    if counted < level.reserved:
        raise InventoryError(InventoryErrorCode.BELOW_RESERVED, field="counted")
    StockLevel.objects.filter(pk=level.pk).update(on_hand=counted)
    return _record(w, reason=MovementReason.COUNT, on_hand_delta=counted - level.on_hand)


_MOVE = """
    WITH level AS (
        UPDATE {level} SET on_hand = on_hand + %(on_hand_delta)s, reserved = reserved + %(reserved_delta)s
        WHERE branch_id = %(branch_id)s AND variant_id = %(variant_id)s AND {guard} >= %(quantity)s
        RETURNING on_hand
    ), movement AS (
        INSERT INTO {movement} (branch_id, variant_id, reason, on_hand_delta, reserved_delta, on_hand_after,
                                reference, note, actor_id, idempotency_key, request_hash, created_at)
        SELECT %(branch_id)s, %(variant_id)s, %(reason)s, %(on_hand_delta)s, %(reserved_delta)s, on_hand,
               %(reference)s, '', %(actor_id)s, %(key)s, %(fingerprint)s, %(now)s
        FROM level
        RETURNING id, on_hand_after
    ), event AS (
        INSERT INTO {event} (entity, entity_id, branch_id, created_at)
        SELECT %(entity)s, %(variant_id)s, %(branch_id)s, %(now)s FROM level
    )
    SELECT id, on_hand_after FROM movement
"""
_MOVE_GUARDS = {
    guard: _MOVE.format(
        level=StockLevel._meta.db_table,
        movement=StockMovement._meta.db_table,
        event=OutboxEvent._meta.db_table,
        guard=guard,
    )
    for guard in ("available", "reserved")
}


@dataclass(frozen=True)
class _Move:
    """What a one-statement move does: the column that must hold the quantity, and how each column moves per unit."""

    reason: str
    guard: str  # "available" or "reserved"
    on_hand_per_unit: int
    reserved_per_unit: int
    failure: InventoryErrorCode


_RESERVE = _Move(MovementReason.RESERVATION, "available", 0, 1, InventoryErrorCode.OUT_OF_STOCK)
_RELEASE = _Move(MovementReason.RELEASE, "reserved", 0, -1, InventoryErrorCode.QUANTITY_INVALID)
_SELL = _Move(MovementReason.SALE, "reserved", -1, -1, InventoryErrorCode.QUANTITY_INVALID)


def _conditional_move(move: _Move, w: _Write, *, quantity: int) -> StockMovement:
    """One atomic statement: `UPDATE ... WHERE <guard> >= quantity` applies the deltas only if the guard still holds,
    and the ledger row and outbox event are inserted only for the row it updated; else raises the move's failure."""
    _positive(quantity)
    now = timezone.now()
    reason = move.reason
    on_hand_delta, reserved_delta = quantity * move.on_hand_per_unit, quantity * move.reserved_per_unit
    params = {
        "branch_id": w.branch_id,
        "variant_id": w.variant_id,
        "quantity": quantity,
        "reason": reason,
        "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta,
        "reference": w.reference,
        "actor_id": w.actor_id,
        "key": w.key,
        "fingerprint": w.fingerprint,
        "now": now,
        "entity": Entity.STOCK.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_GUARDS[move.guard], params)
        row = cursor.fetchone()
    if row is None:
        raise InventoryError(move.failure, field="quantity")
    outbox_publish_on_commit()
    movement_id, on_hand_after = row
    return StockMovement.from_db(
        connection.alias,
        [
            "id",
            "branch_id",
            "variant_id",
            "reason",
            "on_hand_delta",
            "reserved_delta",
            "on_hand_after",
            "reference",
            "note",
            "actor_id",
            "idempotency_key",
            "request_hash",
            "created_at",
        ],
        [
            movement_id,
            w.branch_id,
            w.variant_id,
            reason,
            on_hand_delta,
            reserved_delta,
            on_hand_after,
            w.reference,
            "",
            w.actor_id,
            w.key,
            w.fingerprint,
            now,
        ],
    )


def stock_reserve(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Hold `quantity` for an order, or raise OUT_OF_STOCK. Never oversells (conditional atomic update). Once per
    key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, reference=reference)
    return _once("reserve", idempotency_key, partial(_conditional_move, _RESERVE), target, quantity=quantity)


def stock_release(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Give back a reservation (order cancelled, payment expired); QUANTITY_INVALID when that much is not reserved.
    Once per key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, reference=reference)
    return _once("release", idempotency_key, partial(_conditional_move, _RELEASE), target, quantity=quantity)


def stock_sell(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Turn a reservation into a sale (paid): reserved and on_hand both go down by `quantity`; QUANTITY_INVALID when
    that much is not reserved. Once per key (see the module docstring)."""
    target = _Write(branch_id, variant_id, actor_id, reference=reference)
    return _once("sell", idempotency_key, partial(_conditional_move, _SELL), target, quantity=quantity)
