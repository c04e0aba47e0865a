"""Staff writes: invitations, acceptance, role changes. Each runs in one transaction with its audit entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.models import User
from shared_apps.accounts.phones import phone_normalize
from tenant_apps.staff.access import scoped_branches, scoped_stores
from tenant_apps.staff.errors import StaffError, StaffErrorCode
from tenant_apps.staff.models import AuditEntry, Invitation, InvitationStatus, Membership
from tenant_apps.staff.permissions import Duty
from tenant_apps.staff.roles import Role, role_outranks
from tenant_apps.stores.models import Branch, Store

INVITATION_TTL = timedelta(days=7)


def audit_write(*, actor_user_id: int | None, action: str, target: Any, **data: Any) -> AuditEntry:
    return AuditEntry.objects.create(
        actor_id=actor_user_id, action=action, target_type=type(target).__name__.lower(), target_id=target.pk, data=data
    )


def _scope_resolve(
    *, actor: Membership, role: str, store_id: int | None, branch_id: int | None, duties: list[str]
) -> tuple[Store | None, Branch | None, list[str]]:
    """Validate that (role, store, branch, duties) is a well-formed scope at or below the actor's; return objects."""
    if role not in Role.values:
        raise StaffError(StaffErrorCode.SCOPE_INVALID, field="role")
    if role_outranks(role=role, giver_role=actor.role):
        raise StaffError(StaffErrorCode.ROLE_ABOVE_YOURS, field="role")
    if any(d not in set(Duty) for d in duties):
        raise StaffError(StaffErrorCode.DUTY_INVALID, field="duties")
    store = branch = None
    if role == Role.MERCHANT:
        if store_id or branch_id:
            raise StaffError(StaffErrorCode.SCOPE_INVALID, field="store_id")
    elif role == Role.SHOP_OWNER:
        if not store_id or branch_id:
            raise StaffError(StaffErrorCode.SCOPE_INVALID, field="store_id")
        store = scoped_stores(actor).filter(pk=store_id).first()
        if store is None:
            raise StaffError(StaffErrorCode.OUTSIDE_SCOPE, field="store_id")
    else:
        if not branch_id or store_id:
            raise StaffError(StaffErrorCode.SCOPE_INVALID, field="branch_id")
        branch = scoped_branches(actor).filter(pk=branch_id).first()
        if branch is None:
            raise StaffError(StaffErrorCode.OUTSIDE_SCOPE, field="branch_id")
    return store, branch, (sorted(set(duties)) if role == Role.EMPLOYEE else [])


def _store_of(store: Store | None, branch: Branch | None) -> int | None:
    return store.pk if store else (branch.store_id if branch else None)


def invitation_create(
    *,
    actor: Membership,
    phone: str,
    role: str,
    store_id: int | None = None,
    branch_id: int | None = None,
    duties: list[str] | None = None,
) -> Invitation:
    """Invite a phone into a role within the actor's scope, never above the actor's own role. Raises
    PHONE_INVALID, SCOPE_INVALID, ROLE_ABOVE_YOURS, OUTSIDE_SCOPE, DUTY_INVALID, ALREADY_MEMBER, INVITATION_PENDING."""
    phone = phone_normalize(phone)
    store, branch, duties = _scope_resolve(
        actor=actor, role=role, store_id=store_id, branch_id=branch_id, duties=duties or []
    )
    existing_user = User.objects.filter(phone=phone).first()
    if existing_user and Membership.objects.filter(user=existing_user, is_active=True).exists():
        raise StaffError(StaffErrorCode.ALREADY_MEMBER, field="phone")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                phone=phone,
                role=role,
                store=store,
                branch=branch,
                duties=duties,
                invited_by_id=actor.user_id,
                expires_at=timezone.now() + INVITATION_TTL,
            )
            audit_write(
                actor_user_id=actor.user_id,
                action="invitation.created",
                target=invitation,
                phone=phone,
                role=role,
                store_id=_store_of(store, branch),
                branch_id=branch.pk if branch else None,
                duties=duties,
            )
    except IntegrityError as exc:
        raise StaffError(StaffErrorCode.INVITATION_PENDING, field="phone") from exc
    return invitation


def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            raise StaffError(StaffErrorCode.INVITATION_CLOSED)
        invitation.status, invitation.decided_at = InvitationStatus.REVOKED, timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        audit_write(
            actor_user_id=actor.user_id,
            action="invitation.revoked",
            target=invitation,
            store_id=_store_of(invitation.store, invitation.branch),
        )
    return invitation


def invitations_for_user(*, user: Any):
    return Invitation.objects.select_related("store", "branch").filter(
        phone=user.phone, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    )


def invitation_accept(*, user: Any, invitation_id: int) -> Membership:
    """The signed-in invitee (same phone, verified by OTP) accepts: a Membership with the invited scope.
    Idempotent per invitation; 404 for someone else's invitation; INVITATION_CLOSED once decided or expired."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id, phone=user.phone).first()
        if invitation is None:
            raise DomainError(CommonErrorCode.NOT_FOUND)
        if invitation.status != InvitationStatus.PENDING or invitation.expires_at <= timezone.now():
            raise StaffError(StaffErrorCode.INVITATION_CLOSED)
        if Membership.objects.filter(user_id=user.pk, is_active=True).exists():
            raise StaffError(StaffErrorCode.ALREADY_MEMBER)
        membership, _ = Membership.objects.update_or_create(
            user_id=user.pk,
            defaults={
                "role": invitation.role,
                "store": invitation.store,
                "branch": invitation.branch,
                "duties": invitation.duties,
                "is_active": True,
            },
        )
        invitation.status, invitation.decided_at = InvitationStatus.ACCEPTED, timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        audit_write(
            actor_user_id=user.pk,
            action="invitation.accepted",
            target=membership,
            invitation_id=invitation.pk,
            role=membership.role,
            store_id=_store_of(membership.store, membership.branch),
        )
    return membership


def _guard_last_merchant(target: Membership, new_role: str | None, active: bool) -> None:
    if target.role != Role.MERCHANT or (new_role == Role.MERCHANT and active):
        return
    others = Membership.objects.filter(role=Role.MERCHANT, is_active=True).exclude(pk=target.pk)
    if not others.exists():
        raise StaffError(StaffErrorCode.LAST_MERCHANT)


def membership_change(
    *,
    actor: Membership,
    target: Membership,
    role: str,
    store_id: int | None = None,
    branch_id: int | None = None,
    duties: list[str] | None = None,
) -> Membership:
    """Change a colleague's role/scope/duties: the target must be in scope and at or below the actor's rank, and so
    must the new role. Audited with before/after."""
    if role_outranks(role=target.role, giver_role=actor.role):
        raise StaffError(StaffErrorCode.ROLE_ABOVE_YOURS, field="role")
    store, branch, duties = _scope_resolve(
        actor=actor, role=role, store_id=store_id, branch_id=branch_id, duties=duties or []
    )
    with transaction.atomic():
        target = Membership.objects.select_for_update().get(pk=target.pk)
        _guard_last_merchant(target, role, target.is_active)
        before = {
            "role": target.role,
            "store_id": target.store_id,
            "branch_id": target.branch_id,
            "duties": target.duties,
        }
        target.role, target.store, target.branch, target.duties = role, store, branch, duties
        target.save(update_fields=["role", "store", "branch", "duties"])
        audit_write(
            actor_user_id=actor.user_id,
            action="membership.changed",
            target=target,
            before=before,
            after={"role": role, "store_id": target.store_id, "branch_id": target.branch_id, "duties": duties},
            store_id=_store_of(store, branch),
        )
    return target


def membership_deactivate(*, actor: Membership, target: Membership) -> Membership:
    """Remove a colleague's access (kept for history). Nobody removes someone above them, nor the last Merchant."""
    if role_outranks(role=target.role, giver_role=actor.role):
        raise StaffError(StaffErrorCode.ROLE_ABOVE_YOURS)
    with transaction.atomic():
        target = Membership.objects.select_for_update().get(pk=target.pk)
        _guard_last_merchant(target, None, False)
        target.is_active = False
        target.save(update_fields=["is_active"])
        audit_write(
            actor_user_id=actor.user_id,
            action="membership.deactivated",
            target=target,
            role=target.role,
            store_id=_store_of(target.store, target.branch),
        )
    return target
