from django.urls import path

from marketplace.history import views

app_name = "history"

urlpatterns = [
    path("account/settings/", views.settings_page, name="settings"),
    path("account/settings/recording/", views.recording_set, name="recording"),
    path("account/settings/history/clear/", views.history_clear, name="clear"),
]
