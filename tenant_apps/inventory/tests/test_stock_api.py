"""Stock over the console API: scoped per branch, duties matter, Idempotency-Key makes retries safe."""

from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.inventory.models import StockMovement
from tenant_apps.staff.models import Membership
from tests.access_world import build_world


def _api(world, user):
    token = token_pair_issue(user=user).access
    return Client(HTTP_HOST=f"{world.t.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_employee_adjusts_stock_only_with_the_duty(make_merchant):
    world = build_world(make_merchant)
    url = f"/api/v1/console/branches/{world.ids['B1a']}/stock/{world.ids['V1']}/receive"
    api = _api(world, world.users["employee"])
    assert api.post(url, {"quantity": 5}, content_type="application/json").status_code == 200
    with schema_context(world.t.schema_name):
        Membership.objects.filter(pk=world.ids["M_employee"]).update(duties=["process_orders"])
    denied = api.post(url, {"quantity": 5}, content_type="application/json")
    assert denied.status_code == 403


def test_retry_with_the_same_idempotency_key_applies_once(make_merchant):
    world = build_world(make_merchant)
    api = _api(world, world.users["branch_manager"])
    url = f"/api/v1/console/branches/{world.ids['B1a']}/stock/{world.ids['V1']}/receive"
    first = api.post(url, {"quantity": 4}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="truck-42")
    again = api.post(url, {"quantity": 4}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="truck-42")
    assert first.json()["on_hand"] == again.json()["on_hand"] == 4
    with schema_context(world.t.schema_name):
        assert StockMovement.objects.filter(idempotency_key="truck-42").count() == 1


def test_the_same_key_with_another_change_is_a_409_and_an_unusable_key_a_400(make_merchant):
    world = build_world(make_merchant)
    api = _api(world, world.users["branch_manager"])
    base = f"/api/v1/console/branches/{world.ids['B1a']}/stock/{world.ids['V1']}"
    first = api.post(
        f"{base}/receive", {"quantity": 4}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="truck-43"
    )
    assert first.status_code == 200
    for url, body in ((f"{base}/receive", {"quantity": 5}), (f"{base}/count", {"counted": 1})):
        other = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="truck-43")
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
    long = api.post(f"{base}/receive", {"quantity": 1}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert (long.status_code, long.json()["code"], long.json()["field"]) == (
        400,
        "idempotency_key_invalid",
        "Idempotency-Key",
    )
    with schema_context(world.t.schema_name):
        assert StockMovement.objects.filter(branch_id=world.ids["B1a"], variant_id=world.ids["V1"]).count() == 1


def test_branch_manager_cannot_touch_another_branch_or_base_prices(make_merchant):
    world = build_world(make_merchant)
    api = _api(world, world.users["branch_manager"])
    other = api.post(
        f"/api/v1/console/branches/{world.ids['B1b']}/stock/{world.ids['V1']}/receive",
        {"quantity": 1},
        content_type="application/json",
    )
    assert other.status_code == 404
    price = api.patch(f"/api/v1/console/variants/{world.ids['V1']}", {"price": "1.00"}, content_type="application/json")
    assert price.status_code == 403


def test_bad_stock_input_is_a_clear_400(make_merchant):
    world = build_world(make_merchant)
    api = _api(world, world.users["merchant"])
    base = f"/api/v1/console/branches/{world.ids['B1a']}/stock/{world.ids['V1']}"
    zero = api.post(f"{base}/receive", {"quantity": 0}, content_type="application/json")
    assert (zero.status_code, zero.json()["code"]) == (400, "quantity_invalid")
    text = api.post(f"{base}/receive", {"quantity": "lots"}, content_type="application/json")
    assert (text.status_code, text.json()["code"]) == (400, "invalid")
    below = api.post(f"{base}/adjust", {"delta": -1}, content_type="application/json")
    assert (below.status_code, below.json()["code"]) == (409, "below_reserved")
    with schema_context(world.t.schema_name):
        assert not StockMovement.objects.exists()


def test_stock_list_query_count_is_flat(make_merchant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = build_world(make_merchant)
    api = _api(world, world.users["merchant"])
    url = f"/api/v1/console/branches/{world.ids['B1a']}/stock"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            api.get(url)
        return len(ctx.captured_queries)

    api.post(f"{url}/{world.ids['V1']}/receive", {"quantity": 1}, content_type="application/json")
    one = count()
    with schema_context(world.t.schema_name):
        from tenant_apps.catalog.models import Product, Variant
        from tenant_apps.inventory.services import stock_receive

        product = Product.objects.get(pk=world.ids["P1"])
        for i in range(5):
            variant = Variant.objects.create(product=product, sku=f"EXTRA-{i}", price="1.00")
            stock_receive(branch_id=world.ids["B1a"], variant_id=variant.pk, quantity=1, actor_id=None)
    assert len(api.get(url).json()) == 6
    assert count() == one
