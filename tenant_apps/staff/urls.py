from django.urls import path

from tenant_apps.staff import views

urlpatterns = [
    path("staff/", views.staff_list, name="console-staff"),
    path("staff/invite/", views.staff_invite, name="console-staff-invite"),
    path("staff/<int:membership_id>/remove/", views.staff_remove, name="console-staff-remove"),
    path("staff/invitations/<int:invitation_id>/resend/", views.invitation_resend, name="console-invitation-resend"),
    path("staff/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="console-invitation-revoke"),
    path("invitations/", views.invitations_mine, name="console-invitations"),
    path("audit/", views.audit_list, name="console-audit"),
    path("audit/export.csv", views.audit_export, name="console-audit-export"),
]
