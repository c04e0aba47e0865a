from django.urls import path

from tenant_apps.orders import views

urlpatterns = [
    path("orders/", views.queue_page, name="console-orders"),
    path("orders/queue/", views.queue_fragment, name="console-orders-queue"),
    path("orders/history/", views.history_page, name="console-orders-history"),
    path("orders/<int:order_id>/", views.order_page, name="console-order"),
    path("orders/<int:order_id>/slip/", views.slip_page, name="console-order-slip"),
]
