from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "tenant_apps.stores"
    label = "stores"
