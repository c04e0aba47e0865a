"""Marketplace host (BASE_DOMAIN): customer pages, /admin/, /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from config import views
from config.api import platform_api, public_api
from marketplace.orders.urls import payment_urlpatterns
from shared_apps.accounts.urls import address_urlpatterns

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),  # Prometheus; not public (config/metrics.py: metrics_allowed)
    path("admin/", admin.site.urls),
    path("api/v1/platform/", platform_api.urls),  # its own OpenAPI document; the paths are unchanged
    path("api/v1/", public_api.urls),
    path("", include("shared_apps.accounts.urls")),
    path("", include(address_urlpatterns)),
    path("", include("marketplace.discovery.urls")),
    path("", include("marketplace.cart.urls")),
    path("", include("marketplace.checkout.urls")),
    path("", include("marketplace.orders.urls")),
    path("", include("marketplace.onboarding.urls")),
    path("", include("marketplace.reels.urls")),
    path("", include("marketplace.history.urls")),
    path("", include("marketplace.recommendations.urls")),
    path("", include(payment_urlpatterns)),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
