from django.urls import path

from tenant_apps.staff import views

urlpatterns = [
    path("staff/", views.staff_list, name="console-staff"),
    path("staff/invite/", views.staff_invite, name="console-staff-invite"),
    path("staff/<int:membership_id>/remove/", views.staff_remove, name="console-staff-remove"),
    path("invitations/", views.invitations_mine, name="console-invitations"),
    path("audit/", views.audit_list, name="console-audit"),
]
