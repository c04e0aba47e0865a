from django.urls import path

from marketplace.orders import payment_views, views

app_name = "customer_orders"

urlpatterns = [
    path("orders/", views.orders_page, name="list"),
    path("orders/<slug:number>/", views.order_page, name="detail"),
    path("orders/<slug:number>/live", views.order_live, name="live"),
    path("orders/<slug:number>/cancel", views.order_cancel, name="cancel"),
    path("orders/<slug:number>/payment", payment_views.payment_page, name="payment"),
    path("track/<str:token>", views.track_page, name="track"),
    path("orders/<slug:number>/payment/live", payment_views.payment_live, name="payment_live"),
]

# Provider round trips (namespace "payments").
payment_urlpatterns = (
    [
        path("payments/<slug:reference>/go", payment_views.payment_go, name="go"),
        path("payments/return/<slug:reference>/", payment_views.payment_return, name="return"),
    ],
    "payments",
)
