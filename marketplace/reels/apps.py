from django.apps import AppConfig


class ReelsConfig(AppConfig):
    name = "marketplace.reels"
    label = "reels_feed"
    verbose_name = "Reels feed"
