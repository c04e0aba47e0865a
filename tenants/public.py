from django.conf import settings
from django.db import transaction

from tenants.models import Domain, Merchant


def public_tenant_ensure() -> Merchant:
    """The public schema's own row and hosts (the marketplace): idempotent, run after every public migrate."""
    with transaction.atomic():
        public, _ = Merchant.objects.get_or_create(
            schema_name="public", defaults={"name": "Planckly marketplace", "slug": "public"}
        )
        hosts = [settings.BASE_DOMAIN, "127.0.0.1", "testserver", *settings.PUBLIC_EXTRA_HOSTS]
        for index, host in enumerate(dict.fromkeys(hosts)):
            Domain.objects.get_or_create(domain=host, defaults={"tenant": public, "is_primary": index == 0})
    return public
