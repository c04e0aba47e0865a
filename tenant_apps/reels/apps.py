from django.apps import AppConfig


class ReelsConfig(AppConfig):
    name = "tenant_apps.reels"
    label = "reels"
