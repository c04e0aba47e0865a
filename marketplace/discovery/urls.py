from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from marketplace.discovery import views
from marketplace.discovery.sitemaps import SITEMAPS

app_name = "discovery"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("s/<slug:merchant_slug>/<slug:store_slug>/", views.store, name="store"),
    path("p/<slug:merchant_slug>/<int:product_id>/", views.product, name="product"),
    path("location/", views.location_set, name="location"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "discovery:sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
]
