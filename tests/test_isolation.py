"""The schema wall: what tenant A writes is invisible from tenant B's host, API and pages."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.stores.models import Branch, Store


def _stock_shop(schema: str, n_products: int) -> None:
    with schema_context(schema):
        store = Store.objects.create(name="Main", slug="main")
        Branch.objects.create(store=store, name="Gulberg", address="MM Alam Rd", latitude=31.51, longitude=74.35)
        for i in range(n_products):
            product = Product.objects.create(
                store=store, name=f"Item {i}", slug=f"item-{i}", status=ProductStatus.ACTIVE
            )
            Variant.objects.create(product=product, sku=f"SKU-{i}", price=Decimal("120.00"))


@pytest.fixture
def two_tenants(make_merchant):
    a = make_merchant(slug="tenant-a", owner_phone="+923001110001")
    b = make_merchant(slug="tenant-b", owner_phone="+923001110002")
    _stock_shop(a.schema_name, 3)
    return a, b


def test_rows_live_only_in_their_schema(two_tenants):
    a, b = two_tenants
    with schema_context(a.schema_name):
        assert Product.objects.count() == 3
    with schema_context(b.schema_name):
        assert Product.objects.count() == 0
        assert Store.objects.count() == 0


def test_console_api_shows_only_the_hosts_tenant(two_tenants, host_client):
    a, b = two_tenants
    client_a, client_b = host_client("tenant-a.localhost"), host_client("tenant-b.localhost")
    client_a.force_login(a.owner)
    client_b.force_login(b.owner)
    summary_a = client_a.get("/api/v1/console/summary").json()
    summary_b = client_b.get("/api/v1/console/summary").json()
    assert (summary_a["merchant"], summary_a["products"], summary_a["stores"]) == (a.name, 3, 1)
    assert (summary_b["merchant"], summary_b["products"], summary_b["stores"]) == (b.name, 0, 0)
    assert [s["name"] for s in client_b.get("/api/v1/console/stores").json()] == []


def test_a_member_of_a_is_a_stranger_on_b(two_tenants, host_client):
    a, _ = two_tenants
    client = host_client("tenant-b.localhost")
    client.force_login(a.owner)  # the session is valid, but a has no membership in b
    response = client.get("/api/v1/console/summary")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    page = client.get("/", follow=True)
    assert page.redirect_chain[0][0].startswith("/signin/")  # pages: the sign-in page, never b's data
    assert b"no access to" in page.content
    assert b"Item 0" not in page.content


def test_console_pages_show_only_own_data(two_tenants, host_client):
    a, b = two_tenants
    client = host_client("tenant-b.localhost")
    client.force_login(b.owner)
    page = client.get("/")
    assert page.status_code == 200
    assert b.name.encode() in page.content
    assert a.name.encode() not in page.content


def test_anonymous_console_visitor_is_sent_to_sign_in(two_tenants, host_client):
    response = host_client("tenant-a.localhost").get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")
    assert host_client("tenant-a.localhost").get("/api/v1/console/summary").status_code == 401
