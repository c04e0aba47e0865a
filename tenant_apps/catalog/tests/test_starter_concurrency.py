"""A double click on "Add items" under real concurrency (PostgreSQL, one connection per thread, committed
transactions): the twins of a starter import make each product once, whichever commits first."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.models import StockLevel, StockMovement
from tests.console_clients import console_page_client
from tests.shop_factory import build_shop

pytestmark = pytest.mark.django_db(transaction=True)

TWINS = 4  # one shopkeeper's clicks and tabs at once; each thread holds a connection of the shared server


def test_twin_submits_of_a_starter_list_make_each_product_once(make_merchant):
    shop = build_shop(make_merchant, slug="starter-race", products=0, branches=("gulberg",))
    branch = shop.branches[0].pk
    body = {
        "list": "grocery",
        "store": shop.store.pk,
        "pick": ["olpers-milk/1l", "tapal-danedar/950g", "basmati-rice/5kg"],
        "price:olpers-milk/1l": "330",
        "price:tapal-danedar/950g": "1450",
        "price:basmati-rice/5kg": "1650",
        f"stock:olpers-milk/1l:{branch}": "24",
    }
    barrier = threading.Barrier(TWINS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            client = console_page_client(shop.merchant, shop.merchant.owner)
            barrier.wait()
            statuses.append(client.post("/products/starter/", body).status_code)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(TWINS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert statuses == [302] * TWINS  # every twin lands on the products list: none is an error
    with schema_context(shop.schema):
        assert Product.objects.count() == 3 and Variant.objects.count() == 3
        assert StockLevel.objects.get(branch_id=branch, variant__sku="OLPERS-MILK-1L").on_hand == 24
        assert StockMovement.objects.count() == 1
