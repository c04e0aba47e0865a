"""The platform taxonomy's admin page lives with the listings it counts: categories sit on a lower floor than the
marketplace index, so the page that joins them is the marketplace's."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from unfold.admin import ModelAdmin

from marketplace.listings.models import Listing
from shared_apps.categories.models import Category


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["name", "slug", "parent", "position", "is_active", "listings"]
    list_editable = ["position", "is_active"]
    list_select_related = ["parent"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        listed = Listing.objects.filter(category=OuterRef("pk")).order_by().values("category").annotate(n=Count("pk"))
        return super().get_queryset(request).annotate(listing_count=Coalesce(Subquery(listed.values("n")), 0))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # hide instead (is_active): tenant catalogs refer to categories without a constraint (ADR 0001)

    @admin.display(description="Listings", ordering="listing_count")
    def listings(self, category: Category) -> int:
        return category.listing_count
