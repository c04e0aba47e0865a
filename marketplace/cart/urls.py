from django.urls import path

from marketplace.cart import views

app_name = "cart"

urlpatterns = [
    path("cart", views.cart_page, name="page"),
    path("cart/add", views.cart_add, name="add"),
    path("cart/items/<int:item_id>", views.cart_item_quantity, name="item-quantity"),
    path("cart/items/<int:item_id>/remove", views.cart_item_delete, name="item-remove"),
]
