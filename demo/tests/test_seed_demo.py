"""`manage.py seed_demo`: a full, believable marketplace, and nothing new on the second run."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import get_public_schema_name, schema_context

from demo import data as demo_data
from shared_apps.accounts.models import User
from shared_apps.behaviour.models import BehaviourEvent
from shared_apps.categories.models import Category
from shared_apps.recommendations.models import ItemNeighbours, NeighbourKind, PopularItems, TrainedModel
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.staff.models import Membership, Role
from tenant_apps.stores.models import Branch, Store
from tenants.models import Merchant

pytestmark = pytest.mark.django_db(transaction=True)


def _snapshot() -> dict[str, Any]:
    """Every count the seed produces, per merchant, plus every price and coordinate (to compare runs exactly)."""
    merchants: dict[str, Any] = {}
    for merchant in Merchant.objects.exclude(schema_name=get_public_schema_name()).order_by("slug"):
        with schema_context(merchant.schema_name):
            merchants[merchant.slug] = {
                "stats": merchant.stats,
                "stores": Store.objects.count(),
                "branches": list(Branch.objects.order_by("pk").values_list("latitude", "longitude")),
                "active_products": Product.objects.filter(status=ProductStatus.ACTIVE).count(),
                "uncategorised": Product.objects.filter(category__isnull=True).count(),
                "variants": list(Variant.objects.order_by("sku").values_list("sku", "price")),
                "memberships": sorted(Membership.objects.values_list("role", flat=True)),
            }
    return {
        "merchants": merchants,
        "categories": Category.objects.count(),
        "users": User.objects.count(),
        "behaviour_events": BehaviourEvent.objects.count(),
        "recommendation_models": list(TrainedModel.objects.values_list("pk", "region", "status")),
    }


def test_seed_demo_builds_a_lahore_marketplace_once() -> None:
    call_command("seed_demo", "--if-empty", reels=0, verbosity=0)  # empty database: --if-empty seeds
    first = _snapshot()

    out = StringIO()
    call_command("seed_demo", reels=0, verbosity=1, stdout=out)
    call_command("seed_demo", "--if-empty", reels=0, verbosity=0)
    assert _snapshot() == first, "a second run must create or change nothing"
    summary = out.getvalue()
    assert "0 merchants created" in summary
    for phone in (demo_data.SUPERUSER_PHONE, *(staff.phone for staff in demo_data.DEMO_STAFF)):
        assert phone in summary
    assert f"http://{demo_data.DEMO_MERCHANT_SLUG}.localhost:8000/" in summary

    merchants = first["merchants"]
    assert len(merchants) >= 20
    # a recorded history and one trained model: the demo recommends from the start
    assert first["behaviour_events"] > 5000
    [(model_id, region, status)] = first["recommendation_models"]
    assert (region, status) == ("lahore", "active")
    assert ItemNeighbours.objects.filter(model_id=model_id, kind=NeighbourKind.SIMILAR).count() > 100
    assert ItemNeighbours.objects.filter(model_id=model_id, kind=NeighbourKind.TOGETHER).exists()
    assert PopularItems.objects.filter(model_id=model_id, daypart=None).exists()
    box = demo_data.LAHORE_BBOX
    for slug, seen in merchants.items():
        assert seen["stores"] >= 1, slug
        assert len(seen["branches"]) >= 1, slug
        assert seen["active_products"] >= 10, slug
        assert seen["uncategorised"] == 0, slug
        assert seen["stats"] == {
            "stores": seen["stores"],
            "branches": len(seen["branches"]),
            "products": seen["active_products"],
        }, slug
        for latitude, longitude in seen["branches"]:
            assert box["lat_min"] <= latitude <= box["lat_max"], (slug, latitude)
            assert box["lng_min"] <= longitude <= box["lng_max"], (slug, longitude)
        for sku, price in seen["variants"]:
            assert isinstance(price, Decimal) and price > 0, (slug, sku, price)
        expected_roles = [Role.MERCHANT]
        if slug == demo_data.DEMO_MERCHANT_SLUG:
            expected_roles = [Role.BRANCH_MANAGER, Role.EMPLOYEE, Role.MERCHANT, Role.SHOP_OWNER]
        assert seen["memberships"] == sorted(expected_roles), slug

    top_level = set(Category.objects.filter(parent=None).values_list("slug", flat=True))
    assert {"grocery", "pharmacy", "bakery", "electronics"} <= top_level
    admin = User.objects.get(phone=demo_data.SUPERUSER_PHONE)
    assert admin.is_superuser and admin.is_staff
    assert TOTPDevice.objects.get(user=admin).key == demo_data.DEMO_ADMIN_TOTP_KEY  # the admin's second factor
    employee = User.objects.get(phone=demo_data.DEMO_STAFF[-1].phone)
    assert not employee.has_usable_password()  # everyone signs in with one-time codes
    demo = Merchant.objects.get(slug=demo_data.DEMO_MERCHANT_SLUG)
    with schema_context(demo.schema_name):
        worker = Membership.objects.select_related("branch").get(user=employee)
        assert worker.duties == ["process_orders", "update_stock"] and worker.branch is not None
    # the marketplace index is filled, and opening stock went through the ledger
    from django.db.models import Sum

    from marketplace.listings.models import Listing
    from tenant_apps.inventory.models import StockLevel, StockMovement

    assert Listing.objects.filter(in_stock=True).count() > 20 * 10
    with schema_context(demo.schema_name):
        assert (
            StockLevel.objects.aggregate(s=Sum("on_hand"))["s"]
            == StockMovement.objects.aggregate(s=Sum("on_hand_delta"))["s"]
        )
