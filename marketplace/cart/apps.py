from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "marketplace.cart"
    label = "cart"
