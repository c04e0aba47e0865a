from django.urls import path

from tenant_apps.orders import payments_views

urlpatterns = [
    path("payments/", payments_views.payments_page, name="console-payments"),
    path("orders/<int:order_id>/refund/", payments_views.order_refund_page, name="console-order-refund"),
]
