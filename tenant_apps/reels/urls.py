from django.urls import path

from tenant_apps.reels import views

urlpatterns = [
    path("reels/", views.reel_list, name="console-reels"),
]
