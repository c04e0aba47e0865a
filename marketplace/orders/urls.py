from django.urls import path

from marketplace.orders import views

app_name = "customer_orders"

urlpatterns = [
    path("orders/", views.orders_page, name="list"),
    path("orders/<slug:number>/", views.order_page, name="detail"),
    path("orders/<slug:number>/live", views.order_live, name="live"),
    path("orders/<slug:number>/cancel", views.order_cancel, name="cancel"),
]
