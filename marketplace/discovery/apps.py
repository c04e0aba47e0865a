from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "marketplace.discovery"
    label = "discovery"
