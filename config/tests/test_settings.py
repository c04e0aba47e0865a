"""Settings are safe by default: outside development, missing secrets and provider settings stop the start-up."""

import os
import subprocess
import sys

import pytest

CHECK = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
    "from django.conf import settings; assert not settings.DEBUG and settings.SESSION_COOKIE_SECURE;"
    "assert settings.CSRF_COOKIE_SECURE and settings.SECURE_HSTS_SECONDS >= 31536000;"
    "assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS and settings.CSRF_TRUSTED_ORIGINS == []"
)


PAYMENTS = {
    "FOREE_API_BASE": "https://api.foreebill.com",
    "FOREE_API_KEY": "k",
    "JAZZCASH_FORM_URL": "https://payments.jazzcash.com.pk/CustomerPortal/transactionmanagement/merchantform/",
    "JAZZCASH_API_BASE": "https://payments.jazzcash.com.pk",
    "JAZZCASH_MERCHANT_ID": "MC1",
    "JAZZCASH_PASSWORD": "p",
    "JAZZCASH_INTEGRITY_SALT": "s",
    "JAZZCASH_MPIN": "1",
}
SMS_AND_MEDIA = {
    "SECRET_KEY": "x" * 50,
    "SMS_API_BASE": "https://api.twilio.com",
    "SMS_ACCOUNT_SID": "AC1",
    "SMS_AUTH_TOKEN": "t",
    "SMS_FROM": "+1",
    "CLOUDINARY_URL": "cloudinary://k:s@cloud",
}


def _start(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    unset = {
        "PLANCKLY_DEV",
        "SECRET_KEY",
        "SMS_API_BASE",
        "SMS_ACCOUNT_SID",
        "SMS_AUTH_TOKEN",
        "SMS_FROM",
        "CLOUDINARY_URL",
        "DEBUG",
        "SECURE_COOKIES",
        "CSRF_TRUSTED_ORIGINS",
        *PAYMENTS,
    }
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run([sys.executable, "-c", CHECK], env={**env, **env_overrides}, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 50}, "SMS_API_BASE"),
        (
            {
                "SECRET_KEY": "x" * 50,
                "SMS_API_BASE": "https://api.twilio.com",
                "SMS_ACCOUNT_SID": "AC1",
                "SMS_AUTH_TOKEN": "t",
                "SMS_FROM": "+1",
            },
            "CLOUDINARY_URL",
        ),
        (SMS_AND_MEDIA, "FOREE_API_BASE"),
        (
            {**SMS_AND_MEDIA, **{k: v for k, v in PAYMENTS.items() if k != "JAZZCASH_INTEGRITY_SALT"}},
            "JAZZCASH_INTEGRITY_SALT",
        ),
    ],
)
def test_production_refuses_to_start_without_its_settings(overrides, missing):
    result = _start(overrides)
    assert result.returncode != 0
    assert missing in result.stderr


COURIERS = {
    "UBER_DIRECT_TOKEN_URL": "https://auth.uber.com/oauth/v2/token",
    "UBER_DIRECT_API_BASE": "https://api.uber.com",
    "UBER_DIRECT_CUSTOMER_ID": "c1",
    "UBER_DIRECT_CLIENT_ID": "id",
    "UBER_DIRECT_CLIENT_SECRET": "secret",
    "UBER_DIRECT_WEBHOOK_SIGNING_KEY": "key",
    "POSTEX_API_BASE": "https://api.postex.pk/services/integration/api/order",
    "POSTEX_API_TOKEN": "t",
    "POSTEX_PICKUP_ADDRESS_CODE": "001",
}


def test_production_refuses_to_start_without_the_couriers_credentials():
    result = _start({**SMS_AND_MEDIA, **PAYMENTS, **{k: v for k, v in COURIERS.items() if k != "POSTEX_API_TOKEN"}})
    assert result.returncode != 0 and "POSTEX_API_TOKEN" in result.stderr


def test_production_starts_with_everything_set_and_debug_off():
    result = _start({**SMS_AND_MEDIA, **PAYMENTS, **COURIERS})
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_guessable_secret_key():
    result = _start({**SMS_AND_MEDIA, **PAYMENTS, **COURIERS, "SECRET_KEY": "short"})
    assert result.returncode != 0 and "SECRET_KEY must be a random string" in result.stderr


def test_a_wildcard_csrf_trusted_origin_refuses_to_start():
    result = _start({**SMS_AND_MEDIA, **PAYMENTS, **COURIERS, "CSRF_TRUSTED_ORIGINS": "https://*.planckly.pk"})
    assert result.returncode != 0 and "never a wildcard" in result.stderr
