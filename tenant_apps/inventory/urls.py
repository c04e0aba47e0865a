from django.urls import path

from tenant_apps.inventory import views

urlpatterns = [
    path("branches/<int:branch_id>/stock/", views.branch_stock, name="console-branch-stock"),
    path("branches/<int:branch_id>/movements/", views.branch_movements, name="console-branch-movements"),
]
