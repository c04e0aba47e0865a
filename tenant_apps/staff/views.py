"""Console pages for staff (the team, invitations: send, resend, revoke; removal) and the audit log (filtered,
paginated, exported as CSV). Thin: scope from the access layer, writes from staff.services, sentences from
staff.audit."""

import csv
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.models import User
from tenant_apps.staff import services
from tenant_apps.staff.access import (
    access_invitation_by_id,
    access_membership_by_id,
    scope_spans_branches,
    scoped_branches,
    scoped_invitations,
    scoped_memberships,
    scoped_stores,
)
from tenant_apps.staff.audit import AuditKind, audit_sentence
from tenant_apps.staff.pages import console_error_page, console_page, invitation_link
from tenant_apps.staff.permissions import Duty, Perm
from tenant_apps.staff.roles import role_lowest_grantable, role_outranks, roles_grantable
from tenant_apps.staff.selectors import audit_filtered

AUDIT_PAGE_SIZE = 50
KIND_LABELS = dict(AuditKind.choices)


def _invite_choices(actor, chosen: dict | None = None):
    """The invitation form's options; it starts on the lowest role the inviter may grant (or what was typed)."""
    return {
        "roles": roles_grantable(giver_role=actor.role),
        "default_role": (chosen or {}).get("role") or role_lowest_grantable(giver_role=actor.role),
        "stores": scoped_stores(actor).order_by("name"),
        "branches": scoped_branches(actor).order_by("store__name", "name"),
        "duties": list(Duty),
        "typed": chosen or {},
    }


def _removable(actor, member) -> bool:
    return (
        Perm.STAFF_MANAGE in actor.permissions
        and member.is_active
        and member.pk != actor.pk
        and not role_outranks(role=member.role, giver_role=actor.role)
    )


@console_page(Perm.STAFF_VIEW)
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    members = list(scoped_memberships(actor).order_by("-is_active", "role", "pk"))
    users = User.objects.in_bulk([m.user_id for m in members])
    rows = [(m, users.get(m.user_id), _removable(actor, m)) for m in members]
    context = {"rows": rows, "can_invite": Perm.STAFF_INVITE in actor.permissions, "now": timezone.now()}
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
            merchant_name=request.tenant.name,
            link=invitation_link(request),
        )
    except DomainError as exc:
        if exc.status in (401,):
            return console_error_page(request, exc)
        typed = {"phone": data.get("phone", ""), "role": data.get("role", ""), "duties": data.getlist("duties")}
        context = {"error": exc.message, **_invite_choices(request.actor, typed)}
        return render(request, "staff/invite_error.html", context, status=exc.status)
    messages.success(request, _("Invitation sent by SMS to %(phone)s.") % {"phone": data.get("phone", "")})
    return redirect("/staff/")


@require_http_methods(["POST"])
@console_page(Perm.STAFF_INVITE)
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = access_invitation_by_id(actor=request.actor, invitation_id=invitation_id)
        services.invitation_resend(
            actor=request.actor, invitation=invitation, merchant_name=request.tenant.name, link=invitation_link(request)
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation sent again to %(phone)s.") % {"phone": invitation.phone})
    return redirect("/staff/")


@require_http_methods(["POST"])
@console_page(Perm.STAFF_INVITE)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = access_invitation_by_id(actor=request.actor, invitation_id=invitation_id)
        services.invitation_revoke(actor=request.actor, invitation=invitation)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation to %(phone)s withdrawn.") % {"phone": invitation.phone})
    return redirect("/staff/")


@require_http_methods(["POST"])
@console_page(Perm.STAFF_MANAGE)
def staff_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        target = access_membership_by_id(actor=request.actor, membership_id=membership_id, perm=Perm.STAFF_MANAGE)
        services.membership_deactivate(actor=request.actor, target=target)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the team."))
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


def _audit_filters(request: HttpRequest) -> dict:
    """?person=<user id>&branch=<id>&type=<kind>: what the page and the export narrow to (ignored when malformed)."""
    get = request.GET
    return {
        "person": int(get["person"]) if get.get("person", "").isdigit() else None,
        "branch": int(get["branch"]) if get.get("branch", "").isdigit() else None,
        "kind": get.get("type", "") if get.get("type", "") in AuditKind.values else "",
    }


@console_page(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    """The log as sentences, newest first, AUDIT_PAGE_SIZE a page; filters by person, branch and type."""
    actor = request.actor
    filters = _audit_filters(request)
    entries = audit_filtered(actor=actor, **filters)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    people = scoped_memberships(actor).select_related("user").order_by("user__name", "pk")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": [(entry, audit_sentence(entry), KIND_LABELS.get(entry.kind, entry.kind)) for entry in page.object_list],
        "filters": filters,
        "people": [(m.user_id, m.user.name or m.user.phone) for m in people],
        "branches": scoped_branches(actor).order_by("store__name", "name") if scope_spans_branches(actor) else [],
        "kinds": AuditKind.choices,
        "query": query.urlencode(),
    }
    return render(request, "staff/audit.html", context)


class _Echo:
    """A file that hands back what is written: csv.writer's rows go straight into the streamed response."""

    def write(self, value: str) -> str:
        return value


@console_page(Perm.AUDIT_VIEW)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed (a year of entries never sits in memory), only what the actor may see."""
    entries = audit_filtered(actor=request.actor, **_audit_filters(request))
    writer = csv.writer(_Echo())
    header = [_("When"), _("Who"), _("Type"), _("What happened"), _("Store"), _("Branch"), _("Action"), _("Details")]

    def rows():
        yield writer.writerow(header)
        for entry in entries.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    (entry.actor.name or entry.actor.phone) if entry.actor_id and entry.actor else "",
                    entry.kind,
                    audit_sentence(entry),
                    entry.store_id or "",
                    (entry.data or {}).get("branch", "") or entry.branch_id or "",
                    entry.action,
                    json.dumps(entry.data, ensure_ascii=False, sort_keys=True),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{request.tenant.schema_name}-{stamp}.csv"'
    return response
