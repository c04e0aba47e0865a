"""Console API for staff, invitations and the audit log: /api/v1/console/... on a merchant host."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.auth import user_auth
from shared_apps.accounts.models import User
from tenant_apps.staff import services
from tenant_apps.staff.access import (
    access_console,
    access_console_membership,
    access_invitation_by_id,
    access_membership_by_id,
    scoped_invitations,
    scoped_memberships,
)
from tenant_apps.staff.audit import AuditKind, audit_sentence
from tenant_apps.staff.models import AuditEntry, Invitation, Membership
from tenant_apps.staff.pages import invitation_link
from tenant_apps.staff.permissions import Perm, duty_label
from tenant_apps.staff.selectors import audit_filtered

router = Router(auth=user_auth, tags=["staff"])


class MembershipOut(Schema):
    id: int
    user_id: int
    phone: str
    name: str
    role: str
    store_id: int | None
    branch_id: int | None
    duties: list[str]
    duty_labels: list[str]
    role_label: str
    is_active: bool

    @staticmethod
    def of(m: Membership, users: dict[int, object] | None = None) -> MembershipOut:
        user = (users or {}).get(m.user_id) or m.user
        return MembershipOut(
            id=m.pk,
            user_id=m.user_id,
            phone=user.phone,
            name=user.name,
            role=m.role,
            store_id=m.store_id,
            branch_id=m.branch_id,
            duties=m.duties,
            duty_labels=[duty_label(d) for d in m.duties],
            role_label=str(m.get_role_display()),
            is_active=m.is_active,
        )


class MeOut(Schema):
    merchant: str
    membership: MembershipOut
    permissions: list[str]


class MembershipChangeIn(Schema):
    role: str
    store_id: int | None = None
    branch_id: int | None = None
    duties: list[str] = []


class InvitationIn(MembershipChangeIn):
    phone: str


class InvitationOut(Schema):
    id: int
    phone: str
    role: str
    store_id: int | None
    branch_id: int | None
    duties: list[str]
    status: str
    expires_at: datetime
    sent_at: datetime | None
    sends: int


class AuditOut(Schema):
    id: int
    actor_id: int | None
    action: str
    kind: str
    sentence: str
    store_id: int | None
    branch_id: int | None
    target_type: str
    target_id: int | None
    data: dict
    created_at: datetime

    @staticmethod
    def resolve_sentence(entry: AuditEntry) -> str:
        return audit_sentence(entry)


def _members_out(memberships: list[Membership]) -> list[MembershipOut]:
    users = User.objects.in_bulk([m.user_id for m in memberships])  # one query, not one per row
    return [MembershipOut.of(m, users) for m in memberships]


@router.get("/me", response=MeOut)
def console_me(request: HttpRequest):
    actor = access_console_membership(user=request.user)
    return MeOut(
        merchant=request.tenant.name,
        membership=_members_out([actor])[0],
        permissions=sorted(actor.permissions),
    )


@router.get("/staff", response=list[MembershipOut])
def staff_list(request: HttpRequest):
    actor = access_console(user=request.user, perm=Perm.STAFF_VIEW)
    return _members_out(list(scoped_memberships(actor).order_by("role", "pk")))


@router.get("/staff/{membership_id}", response=MembershipOut)
def staff_detail(request: HttpRequest, membership_id: int):
    actor = access_console_membership(user=request.user)
    return _members_out([access_membership_by_id(actor=actor, membership_id=membership_id)])[0]


@router.patch("/staff/{membership_id}", response=MembershipOut)
def staff_change(request: HttpRequest, membership_id: int, payload: MembershipChangeIn):
    actor = access_console_membership(user=request.user)
    target = access_membership_by_id(actor=actor, membership_id=membership_id, perm=Perm.STAFF_MANAGE)
    changed = services.membership_change(actor=actor, target=target, **payload.dict())
    return _members_out([changed])[0]


@router.delete("/staff/{membership_id}", response={204: None})
def staff_remove(request: HttpRequest, membership_id: int):
    actor = access_console_membership(user=request.user)
    target = access_membership_by_id(actor=actor, membership_id=membership_id, perm=Perm.STAFF_MANAGE)
    services.membership_deactivate(actor=actor, target=target)
    return Status(204, None)


@router.get("/invitations", response=list[InvitationOut])
def invitation_list(request: HttpRequest):
    actor = access_console(user=request.user, perm=Perm.STAFF_INVITE)
    return list(scoped_invitations(actor)[:200])


@router.post("/invitations", response={201: InvitationOut})
def invitation_create(request: HttpRequest, payload: InvitationIn):
    actor = access_console(user=request.user, perm=Perm.STAFF_INVITE)
    invitation = services.invitation_create(
        actor=actor, merchant_name=request.tenant.name, link=invitation_link(request), **payload.dict()
    )
    return Status(201, invitation)


# Declared before /invitations/{invitation_id} so that "mine" is never taken for an id.
@router.get("/invitations/mine", response=list[InvitationOut])
def invitation_mine(request: HttpRequest):
    """Pending invitations for the signed-in phone: no membership needed (that is what they are for)."""
    if not request.user.is_authenticated:
        raise DomainError(CommonErrorCode.UNAUTHENTICATED)
    return list(services.invitations_for_user(user=request.user))


@router.delete("/invitations/{invitation_id}", response=InvitationOut)
def invitation_revoke(request: HttpRequest, invitation_id: int):
    actor = access_console_membership(user=request.user)
    invitation = access_invitation_by_id(actor=actor, invitation_id=invitation_id)
    return services.invitation_revoke(actor=actor, invitation=invitation)


@router.post("/invitations/{invitation_id}/resend", response=InvitationOut)
def invitation_resend(request: HttpRequest, invitation_id: int):
    """Text the invitation again (a fresh week); 429 resend_too_soon (with Retry-After); 409 resend_limit, or once
    decided."""
    actor = access_console_membership(user=request.user)
    invitation = access_invitation_by_id(actor=actor, invitation_id=invitation_id)
    return services.invitation_resend(
        actor=actor, invitation=invitation, merchant_name=request.tenant.name, link=invitation_link(request)
    )


@router.post("/invitations/{invitation_id}/accept", response=MembershipOut)
def invitation_accept(request: HttpRequest, invitation_id: int):
    membership = services.invitation_accept(user=request.user, invitation_id=invitation_id)
    return _members_out([membership])[0]


@router.get("/audit", response=list[AuditOut])
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def audit_list(request: HttpRequest, person: int | None = None, branch: int | None = None, type: str = ""):
    """The actor's audit entries, newest first, each with its sentence; ?person=&branch=&type= narrow it (an
    unknown type is ignored)."""
    actor = access_console(user=request.user, perm=Perm.AUDIT_VIEW)
    kind = type if type in AuditKind.values else ""
    return audit_filtered(actor=actor, person=person, branch=branch, kind=kind)


__all__ = ["Invitation", "router"]
