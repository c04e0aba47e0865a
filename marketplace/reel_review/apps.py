from django.apps import AppConfig


class ReelReviewConfig(AppConfig):
    name = "marketplace.reel_review"
    label = "reel_review"
    verbose_name = "Reel moderation"

    def ready(self) -> None:
        from marketplace.reel_review import receivers  # noqa: F401  apps are loaded only now: connect the receivers
