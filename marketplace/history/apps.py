from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "marketplace.history"
    label = "history"
    verbose_name = "Shopping history"

    def ready(self) -> None:
        from marketplace.history import receivers  # noqa: F401  (connects the receivers once every app is loaded)
