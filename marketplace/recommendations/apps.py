from django.apps import AppConfig


class MarketplaceRecommendationsConfig(AppConfig):
    name = "marketplace.recommendations"
    label = "marketplace_recommendations"
    verbose_name = "Recommendations (serving and training)"
