from django.contrib.auth import views as auth_views
from django.urls import path

from shared_apps.accounts.forms import PhoneSignInForm

urlpatterns = [
    path(
        "signin/",
        auth_views.LoginView.as_view(template_name="accounts/signin.html", authentication_form=PhoneSignInForm),
        name="signin",
    ),
    path("signout/", auth_views.LogoutView.as_view(next_page="/"), name="signout"),
]
