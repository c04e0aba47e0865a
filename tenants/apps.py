from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django_tenants.utils import get_public_schema_name


def _ensure_public_tenant(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    if connections[using].schema_name != get_public_schema_name():
        return
    # tenants.public imports the models, which cannot be imported while this module loads the app
    from tenants.public import public_tenant_ensure

    public_tenant_ensure()


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        post_migrate.connect(_ensure_public_tenant, sender=self, dispatch_uid="tenants.public_tenant")
