from django.urls import path

from tenant_apps.stores import views

urlpatterns = [path("", views.console_home, name="console-home")]
