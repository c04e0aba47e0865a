from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_public_tenant(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    # post_migrate runs after the apps are ready; this module loads before
    from django.db import connections
    from django_tenants.utils import get_public_schema_name

    if connections[using].schema_name != get_public_schema_name():
        return
    from tenants.public import public_tenant_ensure  # models: only after the apps are ready

    public_tenant_ensure()


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        post_migrate.connect(_ensure_public_tenant, sender=self, dispatch_uid="tenants.public_tenant")
