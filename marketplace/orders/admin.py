"""Orders in the admin panel: read-only for operators (they change only through the order services)."""

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from kernel.money import money
from marketplace.orders.models import CustomerOrder, CustomerOrderPart


class PartInline(TabularInline):
    model = CustomerOrderPart
    extra = 0
    can_delete = False
    fields = ["number", "store_name", "branch_name", "fulfilment", "status", "total"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerOrder)
class CustomerOrderAdmin(ModelAdmin):
    list_display = ["number", "created_at", "contact_phone", "status", "payment_method", "total_shown"]
    list_filter = ["status", "payment_method"]
    search_fields = ["number", "contact_phone", "parts__number", "user__phone"]
    date_hierarchy = "created_at"
    inlines = [PartInline]
    readonly_fields = [f.name for f in CustomerOrder._meta.fields]
    list_select_related = ["user"]

    @admin.display(description="Total", ordering="total")
    def total_shown(self, order: CustomerOrder) -> str:
        return money(order.total, order.currency)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
