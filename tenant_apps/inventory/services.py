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
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import F
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


def _once(
    name: str, idempotency_key: str | None, write: Callable[..., StockMovement], **arguments: Any
) -> StockMovement:
    """Run `write(**arguments)` once per key: `write` records the key and the fingerprint on its movement."""
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint({"write": name, **arguments}) if key else None
    return idempotent_write(
        key=key,
        fingerprint=fingerprint or "",
        find=_movement_by_key,
        write=lambda: write(**arguments, key=key, fingerprint=fingerprint),
        conflict=_idempotency_conflict,
    ).result


def _record(
    *,
    branch_id: int,
    variant_id: int,
    reason: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    actor_id: int | None,
    reference: str = "",
    note: str = "",
    key: str | None,
    fingerprint: str | None,
) -> StockMovement:
    on_hand = StockLevel.objects.filter(branch_id=branch_id, variant_id=variant_id).values_list("on_hand", flat=True)
    movement = StockMovement.objects.create(
        branch_id=branch_id,
        variant_id=variant_id,
        reason=reason,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=on_hand.first(),
        actor_id=actor_id,
        reference=reference,
        note=note,
        idempotency_key=key,
        request_hash=fingerprint,
    )
    outbox_emit(entity=Entity.STOCK, entity_id=variant_id, branch_id=branch_id)
    _stock_audit(movement)
    return movement


def _level(branch_id: int, variant_id: int) -> None:
    StockLevel.objects.get_or_create(branch_id=branch_id, variant_id=variant_id)


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
    return _once(
        "receive",
        idempotency_key,
        _receive,
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        actor_id=actor_id,
        note=note,
        reference=reference,
    )


@transaction.atomic
def _receive(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    actor_id: int | None,
    note: str,
    reference: str,
    key: str | None,
    fingerprint: str | None,
) -> StockMovement:
    _positive(quantity)
    _level(branch_id, variant_id)
    StockLevel.objects.filter(branch_id=branch_id, variant_id=variant_id).update(on_hand=F("on_hand") + quantity)
    return _record(
        branch_id=branch_id,
        variant_id=variant_id,
        reason=MovementReason.RECEIVE,
        on_hand_delta=quantity,
        actor_id=actor_id,
        note=note,
        reference=reference,
        key=key,
        fingerprint=fingerprint,
    )


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
    return _once(
        "adjust",
        idempotency_key,
        _adjust,
        branch_id=branch_id,
        variant_id=variant_id,
        delta=delta,
        actor_id=actor_id,
        reason=reason,
        note=note,
    )


@transaction.atomic
def _adjust(
    *,
    branch_id: int,
    variant_id: int,
    delta: int,
    actor_id: int | None,
    reason: str,
    note: str,
    key: str | None,
    fingerprint: str | None,
) -> StockMovement:
    if reason not in (MovementReason.ADJUSTMENT, MovementReason.RETURN):
        raise InventoryError(InventoryErrorCode.REASON_INVALID, field="reason")
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="delta")
    _level(branch_id, variant_id)
    level = StockLevel.objects.filter(branch_id=branch_id, variant_id=variant_id)
    if delta < 0:
        level = level.filter(available__gte=-delta)  # reserved units are promised to orders
    updated = level.update(on_hand=F("on_hand") + delta)
    if not updated:
        raise InventoryError(InventoryErrorCode.BELOW_RESERVED, field="delta")
    return _record(
        branch_id=branch_id,
        variant_id=variant_id,
        reason=reason,
        on_hand_delta=delta,
        actor_id=actor_id,
        note=note,
        key=key,
        fingerprint=fingerprint,
    )


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
    return _once(
        "count",
        idempotency_key,
        _count,
        branch_id=branch_id,
        variant_id=variant_id,
        counted=counted,
        actor_id=actor_id,
        note=note,
    )


@transaction.atomic
def _count(
    *,
    branch_id: int,
    variant_id: int,
    counted: int,
    actor_id: int | None,
    note: str,
    key: str | None,
    fingerprint: str | None,
) -> StockMovement:
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="counted")
    _level(branch_id, variant_id)
    level = StockLevel.objects.select_for_update().get(branch_id=branch_id, variant_id=variant_id)
    if counted < level.reserved:
        raise InventoryError(InventoryErrorCode.BELOW_RESERVED, field="counted")
    delta = counted - level.on_hand
    StockLevel.objects.filter(pk=level.pk).update(on_hand=counted)
    return _record(
        branch_id=branch_id,
        variant_id=variant_id,
        reason=MovementReason.COUNT,
        on_hand_delta=delta,
        actor_id=actor_id,
        note=note,
        key=key,
        fingerprint=fingerprint,
    )


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


def _conditional_move(
    move: _Move,
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None,
    key: str | None,
    fingerprint: str | None,
) -> StockMovement:
    """One atomic statement: `UPDATE ... WHERE <guard> >= quantity` applies the deltas only if the guard still holds,
    and the ledger row and outbox event are inserted only for the row it updated; else raises the move's failure."""
    _positive(quantity)
    now = timezone.now()
    reason = move.reason
    on_hand_delta, reserved_delta = quantity * move.on_hand_per_unit, quantity * move.reserved_per_unit
    params = {
        "branch_id": branch_id,
        "variant_id": variant_id,
        "quantity": quantity,
        "reason": reason,
        "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta,
        "reference": reference,
        "actor_id": actor_id,
        "key": key,
        "fingerprint": fingerprint,
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
            branch_id,
            variant_id,
            reason,
            on_hand_delta,
            reserved_delta,
            on_hand_after,
            reference,
            "",
            actor_id,
            key,
            fingerprint,
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
    return _once(
        "reserve",
        idempotency_key,
        partial(_conditional_move, _RESERVE),
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reference=reference,
        actor_id=actor_id,
    )


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
    return _once(
        "release",
        idempotency_key,
        partial(_conditional_move, _RELEASE),
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reference=reference,
        actor_id=actor_id,
    )


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
    return _once(
        "sell",
        idempotency_key,
        partial(_conditional_move, _SELL),
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reference=reference,
        actor_id=actor_id,
    )
