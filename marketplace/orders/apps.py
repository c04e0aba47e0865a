from django.apps import AppConfig


class CustomerOrdersConfig(AppConfig):
    name = "marketplace.orders"
    label = "customer_orders"

    def ready(self) -> None:
        from marketplace.orders import receivers  # noqa: F401  (connects the receivers once every app is loaded)
