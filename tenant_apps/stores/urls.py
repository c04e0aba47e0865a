from django.urls import path

from tenant_apps.stores import onboarding_views, views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("branches/new/", views.branch_new, name="console-branch-new"),
    path("branches/<int:branch_id>/", views.branch_detail, name="console-branch"),
    path("onboarding/go-live/", onboarding_views.go_live, name="console-go-live"),
    path("console-signin/<str:token>/", onboarding_views.console_signin, name="console-signin"),
]
