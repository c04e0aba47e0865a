"""Stock writes. Each is one transaction that updates the level, appends its ledger movement and emits the outbox
event, so the ledger always sums to the level and the marketplace learns of it. Never oversells: every decrease is
a conditional atomic UPDATE (`WHERE available >= n`). With an `idempotency_key`, a repeated call returns the first
call's movement and changes nothing.

Reservations, releases and sales (checkout's hot path) are one SQL statement each — the conditional UPDATE, its
ledger row and its outbox event in data-modifying CTEs — so they need no transaction or savepoint of their own and
hold a level's row lock for a single round trip before the caller's commit."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tenant_apps.inventory.errors import InventoryError, InventoryErrorCode
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.outbox.services import outbox_emit, outbox_publish_on_commit


def _replayed(key: str | None, *, branch_id: int, variant_id: int, reason: str) -> StockMovement | None:
    if not key:
        return None
    movement = StockMovement.objects.filter(idempotency_key=key).first()
    if movement and (movement.branch_id, movement.variant_id, movement.reason) != (branch_id, variant_id, reason):
        raise InventoryError(InventoryErrorCode.IDEMPOTENCY_CONFLICT)
    return movement


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
    key: str | None = None,
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
        idempotency_key=key or None,
    )
    outbox_emit(entity=Entity.STOCK, entity_id=variant_id, branch_id=branch_id)
    return movement


def _level(branch_id: int, variant_id: int) -> None:
    StockLevel.objects.get_or_create(branch_id=branch_id, variant_id=variant_id)


def _idempotent(write):
    """Run `write` in a transaction; a concurrent twin with the same key loses the unique race and gets the winner's
    movement instead of applying the change twice. A `one_statement` write without a key runs as it is: a single
    statement is atomic, and raises before it changes anything."""

    def run(*, idempotency_key: str | None = None, **kwargs):
        if not idempotency_key and getattr(write, "one_statement", False):
            return write(key=None, **kwargs)  # one statement: atomic by itself, no savepoint round trips
        reason = kwargs.get("reason") or write.reason
        try:
            with transaction.atomic():
                replay = _replayed(
                    idempotency_key, branch_id=kwargs["branch_id"], variant_id=kwargs["variant_id"], reason=reason
                )
                if replay:
                    return replay
                return write(key=idempotency_key, **kwargs)
        except IntegrityError:
            replay = _replayed(
                idempotency_key, branch_id=kwargs["branch_id"], variant_id=kwargs["variant_id"], reason=reason
            )
            if replay is None:
                raise
            return replay

    run.__doc__ = write.__doc__
    run.__name__ = write.__name__
    return run


def _positive(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InventoryError(InventoryErrorCode.QUANTITY_INVALID, field="quantity")
    return quantity


def _stock_receive(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    actor_id: int | None,
    note: str = "",
    reference: str = "",
    key: str | None = None,
) -> StockMovement:
    """Goods arrived: on_hand += quantity."""
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
    )


_stock_receive.reason = MovementReason.RECEIVE
stock_receive = _idempotent(_stock_receive)


def _stock_adjust(
    *,
    branch_id: int,
    variant_id: int,
    delta: int,
    actor_id: int | None,
    reason: str = MovementReason.ADJUSTMENT,
    note: str = "",
    key: str | None = None,
) -> StockMovement:
    """A manual change (+/-): breakage, found items, customer returns. Never below what is reserved."""
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
    )


_stock_adjust.reason = MovementReason.ADJUSTMENT
stock_adjust = _idempotent(_stock_adjust)


def _stock_count(
    *, branch_id: int, variant_id: int, counted: int, actor_id: int | None, note: str = "", key: str | None = None
) -> StockMovement:
    """A shelf count: on_hand becomes `counted` (the difference is the movement). Locks the level row."""
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
    )


_stock_count.reason = MovementReason.COUNT
stock_count = _idempotent(_stock_count)


_MOVE = """
    WITH level AS (
        UPDATE {level} SET on_hand = on_hand + %(on_hand_delta)s, reserved = reserved + %(reserved_delta)s
        WHERE branch_id = %(branch_id)s AND variant_id = %(variant_id)s AND {guard} >= %(quantity)s
        RETURNING on_hand
    ), movement AS (
        INSERT INTO {movement} (branch_id, variant_id, reason, on_hand_delta, reserved_delta, on_hand_after,
                                reference, note, actor_id, idempotency_key, created_at)
        SELECT %(branch_id)s, %(variant_id)s, %(reason)s, %(on_hand_delta)s, %(reserved_delta)s, on_hand,
               %(reference)s, '', %(actor_id)s, %(key)s, %(now)s
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


def _conditional_move(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reason: str,
    guard: str,
    on_hand_delta: int,
    reserved_delta: int,
    failure: InventoryErrorCode,
    reference: str,
    actor_id: int | None,
    key: str | None,
) -> StockMovement:
    """One atomic statement: `UPDATE ... WHERE <guard> >= quantity` applies the deltas only if the guard still holds,
    and the ledger row and outbox event are inserted only for the row it updated; else raises `failure`."""
    _positive(quantity)
    now = timezone.now()
    params = {
        "branch_id": branch_id,
        "variant_id": variant_id,
        "quantity": quantity,
        "reason": reason,
        "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta,
        "reference": reference,
        "actor_id": actor_id,
        "key": key or None,
        "now": now,
        "entity": Entity.STOCK.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_GUARDS[guard], params)
        row = cursor.fetchone()
    if row is None:
        raise InventoryError(failure, field="quantity")
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
            key or None,
            now,
        ],
    )


def _stock_reserve(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    key: str | None = None,
) -> StockMovement:
    """Hold `quantity` for an order, or raise OUT_OF_STOCK. Never oversells (conditional atomic update)."""
    return _conditional_move(
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reason=MovementReason.RESERVATION,
        guard="available",
        on_hand_delta=0,
        reserved_delta=quantity,
        failure=InventoryErrorCode.OUT_OF_STOCK,
        reference=reference,
        actor_id=actor_id,
        key=key,
    )


_stock_reserve.one_statement = True
_stock_reserve.reason = MovementReason.RESERVATION
stock_reserve = _idempotent(_stock_reserve)


def _stock_release(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    key: str | None = None,
) -> StockMovement:
    """Give back a reservation (order cancelled, payment expired)."""
    return _conditional_move(
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reason=MovementReason.RELEASE,
        guard="reserved",
        on_hand_delta=0,
        reserved_delta=-quantity,
        failure=InventoryErrorCode.QUANTITY_INVALID,
        reference=reference,
        actor_id=actor_id,
        key=key,
    )


_stock_release.one_statement = True
_stock_release.reason = MovementReason.RELEASE
stock_release = _idempotent(_stock_release)


def _stock_sell(
    *,
    branch_id: int,
    variant_id: int,
    quantity: int,
    reference: str,
    actor_id: int | None = None,
    key: str | None = None,
) -> StockMovement:
    """Turn a reservation into a sale (paid): reserved and on_hand both go down by `quantity`."""
    return _conditional_move(
        branch_id=branch_id,
        variant_id=variant_id,
        quantity=quantity,
        reason=MovementReason.SALE,
        guard="reserved",
        on_hand_delta=-quantity,
        reserved_delta=-quantity,
        failure=InventoryErrorCode.QUANTITY_INVALID,
        reference=reference,
        actor_id=actor_id,
        key=key,
    )


_stock_sell.one_statement = True
_stock_sell.reason = MovementReason.SALE
stock_sell = _idempotent(_stock_sell)
