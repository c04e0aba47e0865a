"""Stock levels move only with their ledger, never below zero or below reservations, and never oversell."""

import threading

import pytest
from django.db import connections
from django.db.models import Sum
from django_tenants.utils import schema_context

from tenant_apps.inventory import services
from tenant_apps.inventory.errors import InventoryError, InventoryErrorCode
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.outbox.models import Entity, OutboxEvent
from tests.shop_factory import build_shop


def _ledger_matches(branch_id: int, variant_id: int) -> tuple[int, int]:
    level = StockLevel.objects.get(branch_id=branch_id, variant_id=variant_id)
    sums = StockMovement.objects.filter(branch_id=branch_id, variant_id=variant_id).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    assert (level.on_hand, level.reserved) == (sums["on_hand"] or 0, sums["reserved"] or 0)
    return level.on_hand, level.reserved


@pytest.fixture
def shop(make_merchant):
    return build_shop(make_merchant, slug="stock-shop", products=1, variants=1, branches=("gulberg",))


def _ids(shop):
    return shop.branches[0].pk, shop.products[0].variants.get().pk


def test_every_movement_kind_keeps_the_ledger_equal_to_the_level(shop):
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        services.stock_receive(branch_id=branch, variant_id=variant, quantity=20, actor_id=None)
        services.stock_adjust(branch_id=branch, variant_id=variant, delta=-2, actor_id=None, note="broken")
        services.stock_reserve(branch_id=branch, variant_id=variant, quantity=5, reference="order-1")
        services.stock_release(branch_id=branch, variant_id=variant, quantity=2, reference="order-1")
        services.stock_sell(branch_id=branch, variant_id=variant, quantity=3, reference="order-1")
        services.stock_adjust(branch_id=branch, variant_id=variant, delta=1, actor_id=None, reason="return")
        services.stock_count(branch_id=branch, variant_id=variant, counted=12, actor_id=None)
        assert _ledger_matches(branch, variant) == (12, 0)
        reasons = list(StockMovement.objects.order_by("id").values_list("reason", flat=True))
        assert reasons == ["receive", "adjustment", "reservation", "release", "sale", "return", "count"]
        assert OutboxEvent.objects.filter(entity=Entity.STOCK, entity_id=variant, branch_id=branch).count() == 7


def test_never_below_zero_or_reservations(shop):
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        services.stock_receive(branch_id=branch, variant_id=variant, quantity=3, actor_id=None)
        services.stock_reserve(branch_id=branch, variant_id=variant, quantity=2, reference="o")
        for call, code in [
            (
                lambda: services.stock_reserve(branch_id=branch, variant_id=variant, quantity=2, reference="o2"),
                InventoryErrorCode.OUT_OF_STOCK,
            ),
            (
                lambda: services.stock_adjust(branch_id=branch, variant_id=variant, delta=-2, actor_id=None),
                InventoryErrorCode.BELOW_RESERVED,
            ),
            (
                lambda: services.stock_count(branch_id=branch, variant_id=variant, counted=1, actor_id=None),
                InventoryErrorCode.BELOW_RESERVED,
            ),
            (
                lambda: services.stock_receive(branch_id=branch, variant_id=variant, quantity=0, actor_id=None),
                InventoryErrorCode.QUANTITY_INVALID,
            ),
            (
                lambda: services.stock_adjust(
                    branch_id=branch, variant_id=variant, delta=1, actor_id=None, reason="sale"
                ),
                InventoryErrorCode.REASON_INVALID,
            ),
        ]:
            with pytest.raises(InventoryError) as caught:
                call()
            assert caught.value.code == code
        assert _ledger_matches(branch, variant) == (3, 2)


def test_idempotency_key_applies_once(shop):
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        first = services.stock_receive(
            branch_id=branch, variant_id=variant, quantity=4, actor_id=None, idempotency_key="delivery-77"
        )
        again = services.stock_receive(
            branch_id=branch, variant_id=variant, quantity=4, actor_id=None, idempotency_key="delivery-77"
        )
        assert first.pk == again.pk
        assert _ledger_matches(branch, variant) == (4, 0)
        with pytest.raises(InventoryError) as caught:
            services.stock_count(
                branch_id=branch, variant_id=variant, counted=1, actor_id=None, idempotency_key="delivery-77"
            )
        assert caught.value.code == InventoryErrorCode.IDEMPOTENCY_CONFLICT


def test_a_retry_replays_even_when_the_change_could_not_apply_again(shop):
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        services.stock_receive(branch_id=branch, variant_id=variant, quantity=5, actor_id=None)
        held = services.stock_reserve(
            branch_id=branch, variant_id=variant, quantity=5, reference="o-9", idempotency_key="o-9-line-1"
        )
        again = services.stock_reserve(  # nothing left to reserve: the first reservation is the answer
            branch_id=branch, variant_id=variant, quantity=5, reference="o-9", idempotency_key="o-9-line-1"
        )
        assert again.pk == held.pk and _ledger_matches(branch, variant) == (5, 5)
        with pytest.raises(InventoryError) as caught:  # the same key for another quantity
            services.stock_reserve(
                branch_id=branch, variant_id=variant, quantity=4, reference="o-9", idempotency_key="o-9-line-1"
            )
        assert caught.value.code == InventoryErrorCode.IDEMPOTENCY_CONFLICT
        assert _ledger_matches(branch, variant) == (5, 5)


def _in_threads(count: int, work) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
            results.append("ok")
        except InventoryError as exc:
            results.append(str(exc.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_adjustments_leave_level_equal_to_ledger(make_merchant):
    shop = build_shop(make_merchant, slug="parallel-shop", products=1, variants=1, branches=("gulberg",))
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        services.stock_receive(branch_id=branch, variant_id=variant, quantity=10, actor_id=None)

    def adjust(i: int) -> None:
        with schema_context(shop.schema):
            services.stock_adjust(branch_id=branch, variant_id=variant, delta=1 if i % 2 else -1, actor_id=None)

    assert _in_threads(20, adjust) == ["ok"] * 20
    with schema_context(shop.schema):
        assert _ledger_matches(branch, variant) == (10, 0)
        assert StockMovement.objects.count() == 21


@pytest.mark.django_db(transaction=True)
def test_flash_sale_never_oversells(make_merchant):
    shop = build_shop(make_merchant, slug="flash-shop", products=1, variants=1, branches=("gulberg",))
    with schema_context(shop.schema):
        branch, variant = _ids(shop)
        services.stock_receive(branch_id=branch, variant_id=variant, quantity=7, actor_id=None)

    def reserve(i: int) -> None:
        with schema_context(shop.schema):
            services.stock_reserve(branch_id=branch, variant_id=variant, quantity=1, reference=f"order-{i}")

    results = _in_threads(20, reserve)
    assert results.count("ok") == 7 and results.count("out_of_stock") == 13
    with schema_context(shop.schema):
        assert _ledger_matches(branch, variant) == (7, 7)
