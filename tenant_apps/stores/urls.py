from django.urls import path

from tenant_apps.stores import onboarding_views, views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("stores/", views.store_list, name="console-stores"),
    path("stores/new/", views.store_new, name="console-store-new"),
    path("stores/<int:store_id>/", views.store_detail, name="console-store"),
    path("stock/low/", views.low_stock_page, name="console-low-stock"),
    path("branches/new/", views.branch_new, name="console-branch-new"),
    path("branches/<int:branch_id>/", views.branch_detail, name="console-branch"),
    path("branches/<int:branch_id>/edit/", views.branch_edit, name="console-branch-edit"),
    path("branches/<int:branch_id>/hours/", views.branch_hours, name="console-branch-hours"),
    path("branches/<int:branch_id>/delivery/", views.branch_delivery, name="console-branch-delivery"),
    path("onboarding/go-live/", onboarding_views.go_live, name="console-go-live"),
    path("console-signin/<str:token>/", onboarding_views.console_signin, name="console-signin"),
]
