"""The console's onboarding checklist follows the shop's own data step by step; "Go live" opens only when the required
steps are done, and the console says where the merchant stands (not live yet, waiting for approval, live)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import ProductStatus
from tenant_apps.catalog.services import VariantSpec, product_create
from tenant_apps.inventory.services import stock_receive
from tenant_apps.stores.onboarding import onboarding_checklist, onboarding_state
from tenant_apps.stores.services import branch_create, branch_update, store_create, store_update
from tenants.models import Merchant, MerchantStatus
from tenants.services import merchant_go_live, merchant_reject
from tests.console_clients import console_page_client


@pytest.fixture
def pending(make_merchant):
    return make_merchant(slug="new-bakers", name="New Bakers", owner_phone="+923001112223", pending=True)


def _done(merchant) -> dict[str, bool]:
    with schema_context(merchant.schema_name):
        return {step.key: step.done for step in onboarding_checklist(merchant=Merchant.objects.get(pk=merchant.pk))}


def _ready_shop(merchant) -> None:
    """Store, branch (hours, pickup), an active product in stock: every required step done."""
    with schema_context(merchant.schema_name):
        store = store_create(name="New Bakers")
        branch = branch_create(
            store=store, name="Main", address="1 Main Blvd", latitude="31.52", longitude="74.35", offers_pickup=True
        )
        branch_update(branch=branch, opening_hours={"mon": [["09:00", "21:00"]]})
        product = product_create(
            store_id=store.pk,
            name="Rusk",
            variants=[VariantSpec(sku="RUSK-1", name="400 g", price=Decimal("250"))],
            status=ProductStatus.ACTIVE,
        )
        stock_receive(branch_id=branch.pk, variant_id=product.variants.get().pk, quantity=5, actor_id=None)


def test_each_step_is_done_when_the_shop_has_what_it_asks(pending):
    assert _done(pending) == dict.fromkeys(
        ["store", "branch", "hours", "delivery", "products", "stock", "go_live"], False
    )
    with schema_context(pending.schema_name):
        store = store_create(name="New Bakers")
        assert onboarding_checklist(merchant=pending)[0].done is False  # details: a description
        store_update(store=store, description="Fresh bread every morning")
        branch = branch_create(store=store, name="Main", address="1 Main Blvd", latitude="31.52", longitude="74.35")
    assert _done(pending) == {
        "store": True,
        "branch": True,
        "hours": False,
        "delivery": True,  # pickup is on by default
        "products": False,
        "stock": False,
        "go_live": False,
    }
    with schema_context(pending.schema_name):
        branch_update(branch=branch, opening_hours={"sat": [["10:00", "22:00"]]})
        product = product_create(
            store_id=store.pk, name="Naan", variants=[VariantSpec(sku="NAAN", price=Decimal("30"))]
        )  # a draft: customers cannot see it yet
        assert not {s.key: s.done for s in onboarding_checklist(merchant=pending)}["products"]
        product.status = ProductStatus.ACTIVE
        product.save(update_fields=["status"])
        stock_receive(branch_id=branch.pk, variant_id=product.variants.get().pk, quantity=3, actor_id=None)
    done = _done(pending)
    assert all(done[k] for k in ("hours", "products", "stock")) and not done["go_live"]


def test_the_checklist_costs_three_queries(pending, django_assert_num_queries):
    _ready_shop(pending)
    with schema_context(pending.schema_name):
        onboarding_checklist(merchant=pending)  # the schema's search path is set by the first query
        with django_assert_num_queries(3):
            steps = onboarding_checklist(merchant=pending)
    assert all(step.done for step in steps if step.required)


def test_every_step_links_to_a_page_that_exists_today(pending):
    _ready_shop(pending)
    with schema_context(pending.schema_name):
        urls = {step.key: step.url for step in onboarding_checklist(merchant=pending)}
    assert urls["branch"] and urls["hours"] and urls["delivery"] and urls["products"] and urls["stock"]
    assert urls["go_live"] is None  # a POST button, not a link


def test_go_live_is_refused_until_the_required_steps_are_done(pending):
    client = console_page_client(pending, pending.owner)
    page = client.get("/").content.decode()
    assert "Get your shop live" in page and "Your shop is not live yet — finish the checklist" in page
    assert 'disabled aria-disabled="true"' in page
    response = client.post("/onboarding/go-live/", follow=True)
    assert "Finish the steps marked required first" in response.content.decode()
    assert Merchant.objects.get(pk=pending.pk).status == MerchantStatus.PENDING


@override_settings(MERCHANT_APPROVAL_REQUIRED=False)
def test_go_live_without_approval_shows_live(pending):
    _ready_shop(pending)
    client = console_page_client(pending, pending.owner)
    assert 'disabled aria-disabled="true"' not in client.get("/").content.decode()
    assert client.post("/onboarding/go-live/")["Location"] == "/"
    assert Merchant.objects.get(pk=pending.pk).status == MerchantStatus.ACTIVE
    page = client.get("/").content.decode()
    assert "Your shop is live" in page and "Get your shop live" not in page


@override_settings(MERCHANT_APPROVAL_REQUIRED=True)
def test_go_live_with_approval_shows_waiting_then_the_reason_of_a_rejection(pending, platform_admin):
    _ready_shop(pending)
    client = console_page_client(pending, pending.owner)
    client.post("/onboarding/go-live/")
    assert Merchant.objects.get(pk=pending.pk).status == MerchantStatus.AWAITING_APPROVAL
    page = client.get("/").content.decode()
    assert page.count("Waiting for approval") >= 2  # the banner and the checklist's last step
    merchant_reject(merchant=pending, by=platform_admin, reason="Add a description of your shop.")
    page = client.get("/").content.decode()
    assert "Planckly could not approve your shop yet: Add a description of your shop." in page


def test_a_live_merchant_of_old_gets_no_checklist_and_no_query(make_merchant, django_assert_num_queries):
    merchant = make_merchant(slug="old-shop")
    with django_assert_num_queries(0):
        state = onboarding_state(merchant=merchant)
    assert not state.show_checklist and state.steps == ()


def test_go_live_of_a_merchant_already_live_is_a_no_op(make_merchant):
    merchant = make_merchant(slug="live-shop")
    assert merchant_go_live(merchant=merchant, by=merchant.owner).status == MerchantStatus.ACTIVE
