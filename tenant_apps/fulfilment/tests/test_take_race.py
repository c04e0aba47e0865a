"""Two riders pressing "take the next order" at the same moment, on two real connections: exactly one gets the one
ready delivery, the other is told nothing is waiting (the candidate is locked with SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from tenant_apps.fulfilment.errors import FulfilmentError, FulfilmentErrorCode
from tenant_apps.fulfilment.models import Delivery, DeliveryStatus
from tenant_apps.fulfilment.services import delivery_take_next
from tenant_apps.staff.models import Membership


@pytest.mark.django_db(transaction=True)
def test_two_riders_take_the_same_order_at_once_exactly_one_wins(grocer, ready_delivery, riders):
    order = ready_delivery()
    schema = grocer.merchant.schema_name
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def take(key: str) -> None:
        try:
            with schema_context(schema):
                rider = Membership.objects.get(pk=riders[key].pk)
                barrier.wait(timeout=10)
                outcomes[key] = delivery_take_next(rider=rider).rider_id
        except FulfilmentError as exc:
            outcomes[key] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(key,)) for key in ("rider", "rider2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    connection.set_schema_to_public()
    winners = [key for key, outcome in outcomes.items() if isinstance(outcome, int)]
    assert len(winners) == 1, outcomes
    loser = next(key for key in outcomes if key not in winners)
    assert outcomes[loser] in (FulfilmentErrorCode.NOTHING_READY, FulfilmentErrorCode.ALREADY_TAKEN)
    with schema_context(schema):
        delivery = Delivery.objects.get(order_id=order.pk)
    assert delivery.status == DeliveryStatus.ASSIGNED and delivery.rider_id == riders[winners[0]].pk
