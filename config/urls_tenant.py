"""Merchant console host (<slug>.BASE_DOMAIN): console pages and /api/v1/console/."""

from django.urls import include, path

from config import views
from config.api import console_api

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),  # Prometheus; not public (config/metrics.py: metrics_allowed)
    path("api/v1/console/", console_api.urls),
    path("", include("shared_apps.accounts.urls")),
    path("", include("tenant_apps.stores.urls")),
    path("", include("tenant_apps.staff.urls")),
    path("", include("tenant_apps.catalog.urls")),
    path("", include("tenant_apps.inventory.urls")),
    path("", include("tenant_apps.orders.urls")),
    path("", include("tenant_apps.orders.payments_urls")),
    path("", include("tenant_apps.fulfilment.urls")),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
