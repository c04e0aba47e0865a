"""Partner deliveries in the admin panel: "Courier deliveries" (one row per parcel handed to a courier, with the
notifications that moved it) and "Courier webhooks" (as received). Read-only: deliveries move only through the
logistics services, so what operators see is what the couriers said."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from shared_apps.logistics.models import CourierDelivery, CourierWebhook


class ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WebhookInline(ReadOnly, TabularInline):
    model = CourierWebhook
    fields = ["dedup_key", "kind", "courier_status", "occurred_at", "deliveries", "status", "detail"]
    readonly_fields = fields
    ordering = ["id"]
    extra = 0


@admin.register(CourierDelivery)
class CourierDeliveryAdmin(ReadOnly, ModelAdmin):
    list_display = ["reference", "provider", "provider_id", "merchant_schema", "merchant_order_id", "status", "fee",
                    "eta", "created_at"]  # fmt: skip
    list_filter = ["provider", "status"]
    search_fields = ["reference", "provider_id", "merchant_schema"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [WebhookInline]


@admin.register(CourierWebhook)
class CourierWebhookAdmin(ReadOnly, ModelAdmin):
    list_display = ["provider", "dedup_key", "kind", "courier_status", "status", "deliveries", "received_at", "detail"]
    list_filter = ["provider", "status", "kind"]
    search_fields = ["dedup_key", "provider_delivery_id"]
    date_hierarchy = "received_at"
    ordering = ["-id"]
