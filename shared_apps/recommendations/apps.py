from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "shared_apps.recommendations"
    label = "recommendations"
    verbose_name = "Recommendations"
