"""The admin panel needs a platform Admin who passed TOTP (django-otp) in this session."""

from io import StringIO

from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shared_apps.accounts.models import User


def _current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_create_platform_admin_prints_an_authenticator_once(db):
    out = StringIO()
    call_command("create_platform_admin", "--phone", "0300 1234000", stdout=out)
    user = User.objects.get(phone="+923001234000")
    assert user.is_staff and user.is_superuser
    assert "otpauth://totp/" in out.getvalue()
    again = StringIO()
    call_command("create_platform_admin", "--phone", "+923001234000", stdout=again)
    assert "otpauth" not in again.getvalue() and TOTPDevice.objects.filter(user=user).count() == 1


def test_admin_signs_in_then_passes_totp(platform_admin, host_client):
    client = host_client("localhost")
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    client.force_login(platform_admin)  # after the SMS sign-in
    to_verify = client.get("/admin/login/?next=/admin/")
    assert to_verify["Location"].startswith("/admin/verify/")
    wrong = client.post("/admin/verify/", {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 400 and b"not right" in wrong.content
    device = platform_admin.totpdevice_set.get()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong try above throttles the device for a second
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post("/admin/verify/", {"token": _current_code(device), "next": "/admin/"})
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tenants/merchant/").status_code == 200


def test_customers_never_reach_the_admin(host_client, django_user_model):
    client = host_client("localhost")
    client.force_login(django_user_model.objects.create_user(phone="+923001230000"))
    assert client.get("/admin/verify/")["Location"].startswith("/signin/")
