from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "marketplace.onboarding"
    label = "onboarding"
    verbose_name = "Merchant sign-up"
