"""Operators provision and suspend merchants from the admin panel, through the same services as the API."""

from django_tenants.utils import schema_context, schema_exists

from tenant_apps.staff.models import Membership
from tenants.models import Merchant, MerchantStatus


def test_admin_add_merchant_provisions_schema_and_owner(admin_client):
    client = admin_client
    response = client.post(
        "/admin/tenants/merchant/add/",
        {
            "name": "Garden Town Pharmacy",
            "slug": "garden-pharmacy",
            "area": "Garden Town",
            "owner_phone": "03215550001",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    merchant = Merchant.objects.get(slug="garden-pharmacy")
    assert schema_exists(merchant.schema_name)
    assert merchant.owner.phone == "+923215550001"
    with schema_context(merchant.schema_name):
        assert Membership.objects.filter(user=merchant.owner, role="merchant").exists()
    assert client.get("/admin/tenants/merchant/").status_code == 200


def test_admin_suspend_action(admin_client, make_merchant):
    merchant = make_merchant(slug="admin-suspend")
    client = admin_client
    response = client.post(
        "/admin/tenants/merchant/", {"action": "suspend", "_selected_action": [merchant.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.SUSPENDED


def test_admin_is_closed_to_customers(host_client, django_user_model):
    client = host_client("localhost")
    client.force_login(django_user_model.objects.create_user(phone="+923001239999"))
    response = client.get("/admin/tenants/merchant/")
    assert response.status_code == 302  # to the admin login, which sends non-admins to sign in
    assert client.get(response["Location"])["Location"].startswith("/signin/")


def test_admin_add_form_shows_service_errors(admin_client):
    client = admin_client
    response = client.post(
        "/admin/tenants/merchant/add/", {"name": "Nope", "slug": "admin", "area": "", "owner_phone": "123"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This address is reserved" in html
    assert "Enter a valid phone number" in html
    assert not Merchant.objects.filter(slug="admin").exists()
