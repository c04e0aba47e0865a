from django.apps import AppConfig


class ReelsConfig(AppConfig):
    name = "tenant_apps.reels"
    label = "reels"

    def ready(self) -> None:
        from tenant_apps.reels import receivers  # noqa: F401  apps are loaded only now: connect the receivers
