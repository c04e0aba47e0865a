from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "tenant_apps.staff"
    label = "staff"

    def ready(self) -> None:
        from tenant_apps.staff import receivers  # noqa: F401  connects the receivers: importing is registering
