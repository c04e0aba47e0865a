from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tenant_apps.orders"
    label = "orders"

    def ready(self) -> None:
        from tenant_apps.orders import live  # noqa: F401  (connects the board's receiver once every app is loaded)
