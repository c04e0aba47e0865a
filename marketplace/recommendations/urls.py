from django.urls import path

from marketplace.recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("recommendations/shelf", views.shelf_fragment, name="shelf"),
]
