"""The rider's page, the board's late orders and the dashboard's cash in hand cost the same queries with one row or
many."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.fulfilment.models import Delivery
from tenant_apps.fulfilment.services import delivery_complete, delivery_picked_up, delivery_take_next
from tenant_apps.staff.models import Membership
from tests.query_counts import assert_list_queries_flat, html_count


def _taken(grocer, ready_delivery, riders, count: int) -> None:
    for _ in range(count):
        ready_delivery()
        with schema_context(grocer.merchant.schema_name):
            delivery_take_next(rider=Membership.objects.get(pk=riders["rider"].pk))


def test_the_rider_page_costs_the_same_for_one_delivery_or_four(grocer, ready_delivery, riders, host_cache_held):
    _taken(grocer, ready_delivery, riders, 1)
    client = grocer.page_client("rider")
    assert_list_queries_flat(
        read=lambda: client.get("/rider/"),
        rows=html_count('class="card rider-card'),
        add_rows=lambda: _taken(grocer, ready_delivery, riders, 3),
        few=1,
        many=4,
    )


def _late(grocer, ready_delivery, count: int) -> None:
    for _ in range(count):
        order = ready_delivery()
        with schema_context(grocer.merchant.schema_name):
            Delivery.objects.filter(order_id=order.pk).update(eta=timezone.now() - timedelta(minutes=3))


def test_the_boards_late_orders_cost_the_same_for_one_or_four(grocer, ready_delivery, riders, host_cache_held):
    _late(grocer, ready_delivery, 1)
    client = grocer.page_client("manager")
    assert_list_queries_flat(
        read=lambda: client.get("/orders/queue/"),
        rows=html_count('class="late-order"'),
        add_rows=lambda: _late(grocer, ready_delivery, 3),
        few=1,
        many=4,
    )


def _cash(grocer, ready_delivery, riders, keys: tuple[str, ...]) -> None:
    for key in keys:
        ready_delivery()
        with schema_context(grocer.merchant.schema_name):
            rider = Membership.objects.get(pk=riders[key].pk)
            delivery = delivery_take_next(rider=rider)
            delivery_picked_up(delivery=delivery, rider=rider)
            delivery_complete(delivery=delivery, rider=rider, code=delivery.handover_code)


def test_the_dashboards_cash_in_hand_costs_the_same_for_one_rider_or_two(
    grocer, ready_delivery, riders, host_cache_held
):
    _cash(grocer, ready_delivery, riders, ("rider",))
    client = grocer.page_client("manager")
    assert_list_queries_flat(
        read=lambda: client.get("/"),
        rows=html_count('class="cash-row"'),
        add_rows=lambda: _cash(grocer, ready_delivery, riders, ("rider2", "rider")),
        few=1,
        many=2,
    )
