from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "marketplace.categories"
    label = "categories"
    verbose_name = "Categories"
