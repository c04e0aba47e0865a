"""Console API for staff, invitations and the audit log: /api/v1/console/... on a merchant host."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.auth import user_auth
from shared_apps.accounts.models import User
from tenant_apps.staff import services
from tenant_apps.staff.access import (
    access_console,
    access_console_membership,
    access_invitation_by_id,
    access_membership_by_id,
    scoped_audit,
    scoped_invitations,
    scoped_memberships,
)
from tenant_apps.staff.models import Invitation, Membership
from tenant_apps.staff.permissions import Perm

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


class AuditOut(Schema):
    id: int
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    data: dict
    created_at: datetime


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
    return Status(201, services.invitation_create(actor=actor, **payload.dict()))


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


@router.post("/invitations/{invitation_id}/accept", response=MembershipOut)
def invitation_accept(request: HttpRequest, invitation_id: int):
    membership = services.invitation_accept(user=request.user, invitation_id=invitation_id)
    return _members_out([membership])[0]


@router.get("/audit", response=list[AuditOut])
def audit_list(request: HttpRequest):
    actor = access_console(user=request.user, perm=Perm.AUDIT_VIEW)
    return list(scoped_audit(actor)[:200])


__all__ = ["Invitation", "router"]
