"""The MerchantOrder state machine on orders placed through the real checkout: every valid path, invalid moves, the
reason rule, stock following the status through the ledger, the history, and a race between two accepts."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.orders.services import customer_order_cancel, customer_order_paid
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.orders.errors import OrderError, OrderErrorCode
from tenant_apps.orders.models import MerchantOrder, OrderStatus, OrderTransition, StockState
from tenant_apps.orders.states import CUSTOMER, STAFF, SYSTEM, Actor, merchant_order_transition
from tenant_apps.orders.tests.conftest import BUTTER, RICE

S = OrderStatus
STAFF_ACTOR = Actor(STAFF, role="branch_manager")

# Every way an order may travel, as (status, who moves it there) after its creation.
PATHS = {
    "pickup, cash": (
        "pickup",
        "cod",
        [
            (S.ACCEPTED, STAFF),
            (S.PREPARING, STAFF),
            (S.READY_FOR_PICKUP, STAFF),
            (S.PICKED_UP, STAFF),
            (S.REFUNDED, SYSTEM),
        ],
    ),
    "delivery, cash": (
        "delivery",
        "cod",
        [
            (S.ACCEPTED, STAFF),
            (S.PREPARING, STAFF),
            (S.OUT_FOR_DELIVERY, STAFF),
            (S.DELIVERED, STAFF),
            (S.REFUNDED, SYSTEM),
        ],
    ),
    "delivery moved on by the courier integration": (
        "delivery",
        "cod",
        [(S.ACCEPTED, STAFF), (S.PREPARING, STAFF), (S.OUT_FOR_DELIVERY, SYSTEM), (S.DELIVERED, SYSTEM)],
    ),
    "rejected when new": ("pickup", "cod", [(S.REJECTED, STAFF), (S.REFUNDED, SYSTEM)]),
    "rejected when accepted": ("pickup", "cod", [(S.ACCEPTED, STAFF), (S.REJECTED, STAFF)]),
    "rejected while preparing": ("delivery", "cod", [(S.ACCEPTED, STAFF), (S.PREPARING, STAFF), (S.REJECTED, SYSTEM)]),
    "cancelled by the customer": ("pickup", "cod", [(S.CANCELLED, CUSTOMER), (S.REFUNDED, SYSTEM)]),
    "paid online": (
        "pickup",
        "foree",
        [
            (S.PLACED, SYSTEM),
            (S.ACCEPTED, STAFF),
            (S.PREPARING, STAFF),
            (S.READY_FOR_PICKUP, STAFF),
            (S.PICKED_UP, STAFF),
        ],
    ),
    "payment timed out": ("pickup", "foree", [(S.CANCELLED, SYSTEM)]),
    "cancelled while awaiting payment": ("delivery", "jazzcash", [(S.CANCELLED, CUSTOMER)]),
}


def _level(grocer, order: MerchantOrder, title_variant=RICE) -> StockLevel:
    with schema_context(grocer.merchant.schema_name):
        line = order.lines.get(title=title_variant[0], variant_name=title_variant[1])
        return StockLevel.objects.get(branch_id=order.branch_id, variant_id=line.variant_id)


def _move(grocer, order: MerchantOrder, to: str, actor: Actor, reason: str = "") -> MerchantOrder:
    with schema_context(grocer.merchant.schema_name):
        return merchant_order_transition(order=order, to=to, actor=actor, reason=reason)


def test_every_valid_path(grocer, place):
    for name, (fulfilment, payment, moves) in PATHS.items():
        order = place(fulfilment=fulfilment, payment=payment)
        expected_start = S.PENDING_PAYMENT if payment != "cod" else S.PLACED
        assert order.status == expected_start, name
        for to, kind in moves:
            order = _move(grocer, order, to, Actor(kind, role="branch_manager" if kind == STAFF else ""), "because")
            assert order.status == to, name
            assert CustomerOrderPart.objects.get(number=order.number).status == to, f"{name}: mirror"
        with schema_context(grocer.merchant.schema_name):
            history = list(OrderTransition.objects.filter(order=order).values_list("from_status", "to_status"))
        statuses = [expected_start, *(to for to, _ in moves)]
        assert history == [("", expected_start), *itertools.pairwise(statuses)], name


@pytest.mark.parametrize(
    ("moves", "to"),
    [
        ([], S.PREPARING),  # skipping accept
        ([], S.PICKED_UP),
        ([S.ACCEPTED], S.ACCEPTED),  # twice
        ([S.ACCEPTED], S.CANCELLED),  # the customer's move, after acceptance
        ([S.ACCEPTED, S.PREPARING], S.OUT_FOR_DELIVERY),  # a pickup order does not go out for delivery
        ([S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP], S.DELIVERED),
        ([S.REJECTED], S.ACCEPTED),  # nothing comes back from rejected
    ],
)
def test_invalid_moves_are_refused_with_a_code(grocer, place, moves, to):
    order = place()
    for step in moves:
        order = _move(grocer, order, step, STAFF_ACTOR, "Out of stock")
    with pytest.raises(OrderError) as caught:
        _move(grocer, order, to, STAFF_ACTOR, "x")
    assert caught.value.code == OrderErrorCode.TRANSITION_INVALID and caught.value.status == 409
    assert grocer.order(order.pk).status == order.status


def test_who_may_move_and_a_stale_copy(grocer, place):
    order = place()
    with pytest.raises(OrderError) as caught:
        _move(grocer, order, S.ACCEPTED, Actor(CUSTOMER))  # customers do not accept their own orders
    assert caught.value.code == OrderErrorCode.NOT_ALLOWED and caught.value.status == 403
    with pytest.raises(OrderError) as caught:
        _move(grocer, order, S.CANCELLED, STAFF_ACTOR)  # staff reject, with a reason; they do not cancel
    assert caught.value.code == OrderErrorCode.NOT_ALLOWED
    stale = grocer.order(order.pk)
    _move(grocer, order, S.ACCEPTED, STAFF_ACTOR)
    with pytest.raises(OrderError) as caught:
        _move(grocer, stale, S.REJECTED, STAFF_ACTOR, "Closing early")  # moved since the page was loaded
    assert caught.value.code == OrderErrorCode.STATUS_CHANGED and caught.value.status == 409


def test_reject_needs_a_reason(grocer, place):
    order = place()
    for reason in ("", "   "):
        with pytest.raises(OrderError) as caught:
            _move(grocer, order, S.REJECTED, STAFF_ACTOR, reason)
        assert caught.value.code == OrderErrorCode.REASON_REQUIRED and caught.value.status == 400
    assert grocer.order(order.pk).status == S.PLACED


def test_reserved_stock_is_released_on_reject_and_cancel(grocer, place):
    rejected = place(items=[(RICE, 2), (BUTTER, 3)])
    cancelled = place(items=[(RICE, 1)])
    assert (_level(grocer, rejected).on_hand, _level(grocer, rejected).reserved) == (10, 3)
    assert _level(grocer, rejected, BUTTER).reserved == 3

    rejected = _move(grocer, rejected, S.REJECTED, STAFF_ACTOR, "Butter is out")
    assert rejected.stock_state == StockState.RELEASED and rejected.reason == "Butter is out"
    assert (_level(grocer, rejected).on_hand, _level(grocer, rejected).reserved) == (10, 1)
    assert (_level(grocer, rejected, BUTTER).on_hand, _level(grocer, rejected, BUTTER).reserved) == (10, 0)

    customer_order = CustomerOrder.objects.get(pk=cancelled.customer_order_id)
    customer_order_cancel(order=customer_order, user_id=None, reason="Changed my mind")
    cancelled = grocer.order(cancelled.pk)
    assert (cancelled.status, cancelled.stock_state) == (S.CANCELLED, StockState.RELEASED)
    assert (_level(grocer, cancelled).on_hand, _level(grocer, cancelled).reserved) == (10, 0)
    with schema_context(grocer.merchant.schema_name):
        releases = StockMovement.objects.filter(reason=MovementReason.RELEASE)
        assert sorted(releases.values_list("reference", "reserved_delta")) == sorted(
            [(rejected.number, -2), (rejected.number, -3), (cancelled.number, -1)]
        )


def test_sold_stock_is_returned_through_the_ledger_on_reject(grocer, place):
    order = place(items=[(RICE, 2)], payment="foree")
    customer_order_paid(order=CustomerOrder.objects.get(pk=order.customer_order_id))
    order = grocer.order(order.pk)
    assert (order.status, order.stock_state) == (S.PLACED, StockState.SOLD) and order.paid_at
    assert (_level(grocer, order).on_hand, _level(grocer, order).reserved) == (8, 0)

    order = _move(grocer, order, S.REJECTED, STAFF_ACTOR, "Rice bags are torn")
    assert order.stock_state == StockState.RETURNED
    assert (_level(grocer, order).on_hand, _level(grocer, order).reserved) == (10, 0)
    with schema_context(grocer.merchant.schema_name):
        back = StockMovement.objects.get(reason=MovementReason.RETURN)
        assert (back.on_hand_delta, back.note) == (2, f"order {order.number}")


def test_handover_turns_the_reservation_into_a_sale(grocer, place):
    order = place(items=[(RICE, 2)])
    for to in (S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP, S.PICKED_UP):
        order = _move(grocer, order, to, STAFF_ACTOR)
    assert order.stock_state == StockState.SOLD and order.paid_at
    assert (_level(grocer, order).on_hand, _level(grocer, order).reserved) == (8, 0)


def test_every_move_leaves_a_history_row(grocer, place):
    manager = grocer.users["manager"]
    order = place()
    order = _move(grocer, order, S.ACCEPTED, Actor(STAFF, user_id=manager.pk, role="branch_manager"))
    order = _move(grocer, order, S.REJECTED, Actor(STAFF, user_id=manager.pk, role="branch_manager"), " No rider ")
    with schema_context(grocer.merchant.schema_name):
        rows = list(
            OrderTransition.objects.filter(order=order).values_list(
                "from_status", "to_status", "actor_id", "actor_role", "reason"
            )
        )
    assert rows == [
        ("", S.PLACED, None, CUSTOMER, ""),  # a guest placed it
        (S.PLACED, S.ACCEPTED, manager.pk, "branch_manager", ""),
        (S.ACCEPTED, S.REJECTED, manager.pk, "branch_manager", "No rider"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_staff_accept_at_once_exactly_one_wins(grocer, place):
    order = place()
    schema = grocer.merchant.schema_name
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user_key: str) -> None:
        try:
            with schema_context(schema):
                copy = MerchantOrder.objects.get(pk=order.pk)  # both read "placed"
                barrier.wait(timeout=10)
                user = grocer.users[user_key]
                merchant_order_transition(order=copy, to=S.ACCEPTED, actor=Actor(STAFF, user_id=user.pk))
            outcomes.append("ok")
        except OrderError as exc:
            outcomes.append(str(exc.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(who,)) for who in ("manager", "employee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    connection.set_schema_to_public()
    assert sorted(outcomes) == ["ok", str(OrderErrorCode.TRANSITION_INVALID)]
    with schema_context(schema):
        assert OrderTransition.objects.filter(order_id=order.pk, to_status=S.ACCEPTED).count() == 1
    assert CustomerOrderPart.objects.get(number=order.number).status == S.ACCEPTED
