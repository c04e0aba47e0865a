from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.models import User
from tenant_apps.staff import services
from tenant_apps.staff.access import (
    access_membership_by_id,
    scoped_audit,
    scoped_branches,
    scoped_invitations,
    scoped_memberships,
    scoped_stores,
)
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Duty, Perm
from tenant_apps.staff.roles import roles_grantable


def _invite_choices(actor):
    return {
        "roles": roles_grantable(giver_role=actor.role),
        "stores": scoped_stores(actor).order_by("name"),
        "branches": scoped_branches(actor).order_by("store__name", "name"),
        "duties": list(Duty),
    }


@console_page(Perm.STAFF_VIEW)
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    members = list(scoped_memberships(actor).order_by("role", "pk"))
    users = User.objects.in_bulk([m.user_id for m in members])
    rows = [(m, users.get(m.user_id)) for m in members]
    context = {"rows": rows, "can_invite": Perm.STAFF_INVITE in actor.permissions}
    if context["can_invite"]:
        context["invitations"] = scoped_invitations(actor).filter(status="pending")
        context.update(_invite_choices(actor))
    return render(request, "staff/staff_list.html", context)


@require_http_methods(["POST"])
@console_page(Perm.STAFF_INVITE)
def staff_invite(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        services.invitation_create(
            actor=request.actor,
            phone=data.get("phone", ""),
            role=data.get("role", ""),
            store_id=int(data["store_id"]) if data.get("store_id") else None,
            branch_id=int(data["branch_id"]) if data.get("branch_id") else None,
            duties=data.getlist("duties"),
        )
    except DomainError as exc:
        if exc.status in (401,):
            return console_error_page(request, exc)
        context = {"error": exc.message, **_invite_choices(request.actor)}
        return render(request, "staff/invite_error.html", context, status=exc.status)
    return redirect("/staff/")


@require_http_methods(["POST"])
@console_page(Perm.STAFF_MANAGE)
def staff_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        target = access_membership_by_id(actor=request.actor, membership_id=membership_id, perm=Perm.STAFF_MANAGE)
        services.membership_deactivate(actor=request.actor, target=target)
    except DomainError as exc:
        return console_error_page(request, exc)
    return redirect("/staff/")


@require_http_methods(["GET", "POST"])
def invitations_mine(request: HttpRequest) -> HttpResponse:
    """The invitee's page: pending invitations for the signed-in phone, and Accept."""
    if not request.user.is_authenticated:
        return console_error_page(request, DomainError(CommonErrorCode.UNAUTHENTICATED))
    error = None
    if request.method == "POST":
        try:
            services.invitation_accept(user=request.user, invitation_id=int(request.POST.get("invitation_id", 0)))
            return redirect("/")
        except DomainError as exc:
            error = exc.message
    invitations = services.invitations_for_user(user=request.user)
    return render(request, "staff/invitations.html", {"invitations": invitations, "error": error})


@console_page(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/audit.html", {"entries": scoped_audit(request.actor)[:200]})
