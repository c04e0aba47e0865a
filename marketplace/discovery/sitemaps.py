"""sitemap.xml: categories, stores and products from the public indexes (never a merchant schema).

Django's sitemap index splits every section into pages of `limit` URLs (`/sitemap-products.xml?p=2`), so the
sitemap stays bounded however large the listing index grows. Products and stores are read grouped and ordered by
indexed columns, one page per request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet
from django.urls import reverse

from marketplace.listings.models import BranchListing, Listing
from shared_apps.categories.selectors import CategoryNode, category_tree

PAGE_LIMIT = 5000


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self) -> list[CategoryNode]:
        return list(category_tree().by_id.values())

    def location(self, item: CategoryNode) -> str:
        return reverse("discovery:category", args=[item.slug])


class StoreSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.7
    limit = PAGE_LIMIT

    def items(self) -> QuerySet:
        return (
            BranchListing.objects.values("merchant_slug", "store_slug")
            .annotate(updated=Max("indexed_at"))
            .order_by("merchant_slug", "store_slug")
        )

    def location(self, item: dict[str, Any]) -> str:
        return reverse("discovery:store", args=[item["merchant_slug"], item["store_slug"]])

    def lastmod(self, item: dict[str, Any]):
        return item["updated"]


class ProductSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5
    limit = PAGE_LIMIT

    def items(self) -> QuerySet:
        # Grouped on (merchant_id, product_id), the `listing_product` index's order: a page reads its rows in order.
        return (
            Listing.objects.values("merchant_id", "product_id")
            .annotate(merchant_slug=Max("merchant_slug"), updated=Max("indexed_at"))
            .order_by("merchant_id", "product_id")
        )

    def location(self, item: dict[str, Any]) -> str:
        return reverse("discovery:product", args=[item["merchant_slug"], item["product_id"]])

    def lastmod(self, item: dict[str, Any]):
        return item["updated"]


SITEMAPS = {"categories": CategorySitemap, "stores": StoreSitemap, "products": ProductSitemap}
