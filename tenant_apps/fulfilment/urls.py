from django.urls import path

from tenant_apps.fulfilment import views

urlpatterns = [
    path("rider/", views.rider_page, name="console-rider"),
    path("rider/take/", views.rider_take, name="console-rider-take"),
    path("rider/deliveries/<int:delivery_id>/", views.rider_step, name="console-rider-step"),
    path("deliveries/<int:delivery_id>/assign/", views.delivery_assign_page, name="console-delivery-assign"),
    path("deliveries/<int:delivery_id>/courier/", views.delivery_courier_page, name="console-delivery-courier"),
    path("deliveries/<int:delivery_id>/handover/", views.delivery_handover_page, name="console-delivery-handover"),
]
