from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "tenant_apps.fulfilment"
    label = "fulfilment"

    def ready(self) -> None:
        from tenant_apps.fulfilment import receivers  # noqa: F401  apps are loaded only now: connect the receivers
