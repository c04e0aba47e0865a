from django.urls import path

from tenant_apps.stores import views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("stock/low/", views.low_stock_page, name="console-low-stock"),
    path("branches/new/", views.branch_new, name="console-branch-new"),
    path("branches/<int:branch_id>/", views.branch_detail, name="console-branch"),
]
