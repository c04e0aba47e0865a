from django.urls import path

from marketplace.onboarding import views

app_name = "sell"

urlpatterns = [
    path("sell/", views.sell_start, name="start"),
    path("sell/verify/", views.sell_verify, name="verify"),
    path("sell/shop/", views.sell_shop, name="shop"),
]
