from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "shared_apps.categories"
    label = "categories"
    verbose_name = "Categories"
