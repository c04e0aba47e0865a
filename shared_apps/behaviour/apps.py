from django.apps import AppConfig


class BehaviourConfig(AppConfig):
    name = "shared_apps.behaviour"
    label = "behaviour"
    verbose_name = "Behaviour events"
