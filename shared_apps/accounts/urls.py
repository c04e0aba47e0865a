from django.contrib.auth import views as auth_views
from django.urls import path

from shared_apps.accounts import address_views, views

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/verify/", views.signin_verify, name="signin-verify"),
    path("signout/", auth_views.LogoutView.as_view(next_page="/"), name="signout"),
]
# The customer's saved addresses: on the marketplace host only (config/urls_public.py includes these).
address_urlpatterns = [
    path("account/addresses/", address_views.addresses_page, name="addresses"),
    path("account/addresses/new/", address_views.address_new, name="address-new"),
    path("account/addresses/<int:address_id>/edit/", address_views.address_edit, name="address-edit"),
    path("account/addresses/<int:address_id>/delete/", address_views.address_remove, name="address-delete"),
]
