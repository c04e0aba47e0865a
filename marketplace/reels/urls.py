from django.urls import path

from marketplace.reels import views

app_name = "reels"

urlpatterns = [
    path("reels", views.reels_page, name="feed"),
    path("reels/<int:card_id>", views.reels_page, name="reel"),
    path("reels/<int:card_id>/like", views.reel_like, name="like"),
    path("reels/<int:card_id>/save", views.reel_save, name="save"),
    path("reels/shops/<slug:merchant_slug>/follow", views.shop_follow, name="follow"),
]
