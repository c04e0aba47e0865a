from django.contrib.auth import views as auth_views
from django.urls import path

from shared_apps.accounts import views

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/verify/", views.signin_verify, name="signin-verify"),
    path("signout/", auth_views.LogoutView.as_view(next_page="/"), name="signout"),
]
