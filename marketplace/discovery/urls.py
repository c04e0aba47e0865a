from django.urls import path

from marketplace.discovery import views

urlpatterns = [path("", views.home, name="home")]
