from django.urls import path

from marketplace.checkout import views

app_name = "checkout"

urlpatterns = [
    path("checkout", views.checkout_page, name="page"),
    path("checkout/options", views.checkout_options, name="options"),
    path("checkout/quote/<str:key>", views.checkout_quote_poll, name="quote"),
]
