from django.urls import path

from tenant_apps.catalog import starter_views, views

urlpatterns = [
    path("products/", views.product_list, name="console-products"),
    path("products/new/", views.product_new, name="console-product-new"),
    path("products/starter/", starter_views.starter, name="console-starter"),
    path("products/<int:product_id>/", views.product_detail, name="console-product"),
    path("imports/", views.imports, name="console-imports"),
    path("imports/template.csv", views.imports_template, name="console-imports-template"),
]
