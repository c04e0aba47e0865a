"""Staff writes: invitations (sent by SMS, resent, revoked), acceptance, role changes, removal. Each runs in one
transaction with its audit entry (staff/audit.py); an SMS leaves only once that transaction commits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.errors import CommonErrorCode, DomainError
from shared_apps.accounts.models import User
from shared_apps.accounts.phones import phone_normalize
from shared_apps.sms.tasks import sms_send_on_commit
from tenant_apps.staff.access import scoped_branches, scoped_stores
from tenant_apps.staff.audit import Actions, audit_record
from tenant_apps.staff.errors import StaffError, StaffErrorCode
from tenant_apps.staff.models import AuditEntry, Invitation, InvitationStatus, Membership
from tenant_apps.staff.permissions import Duty
from tenant_apps.staff.roles import Role, role_outranks
from tenant_apps.stores.models import Branch, Store

INVITATION_TTL = timedelta(days=7)
RESEND_AFTER = timedelta(minutes=2)  # a text that has not arrived yet is not helped by a second one at once
INVITATION_SENDS_MAX = 5  # SMS cost money: past five, revoke and invite again (which a person notices)


def audit_write(*, actor_user_id: int | None, action: str, target: Any, **data: Any) -> AuditEntry:
    """A staff entry: its store and branch (the scope that sees it) come out of `data`; a store's or a branch's own
    entry keeps its name as it was, for the sentence read later."""
    name_key = {Store: "store", Branch: "branch"}.get(type(target))
    if name_key:
        data.setdefault(name_key, target.name)
    return audit_record(
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=target.pk,
        actor_user_id=actor_user_id,
        store_id=data.pop("store_id", None),
        branch_id=data.pop("branch_id", None),
        **data,
    )


def _where(store: Store | None, branch: Branch | None) -> str:
    return branch.name if branch else (store.name if store else "")


def invitation_text(*, invitation: Invitation, inviter_name: str, merchant_name: str, link: str) -> str:
    role = str(Role(invitation.role).label).lower()
    return _("Planckly: %(inviter)s invited you to %(merchant)s as %(role)s. Sign in with this phone: %(link)s") % {
        "inviter": inviter_name or _("Your colleague"),
        "merchant": merchant_name,
        "role": role,
        "link": link,
    }


def _invitation_send(*, invitation: Invitation, inviter: Any, merchant_name: str, link: str) -> None:
    """Count the send and queue the SMS for after commit (nothing leaves if the transaction rolls back)."""
    invitation.sent_at, invitation.sends = timezone.now(), invitation.sends + 1
    invitation.save(update_fields=["sent_at", "sends", "expires_at"])
    body = invitation_text(
        invitation=invitation,
        inviter_name=getattr(inviter, "name", "") or "",
        merchant_name=merchant_name,
        link=link,
    )
    sms_send_on_commit(to=invitation.phone, body=body)


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
    merchant_name: str = "",
    link: str = "",
) -> Invitation:
    """Invite a phone into a role within the actor's scope, never above the actor's own role, and text it the
    console's `link` once committed. Raises PHONE_INVALID, SCOPE_INVALID, ROLE_ABOVE_YOURS, OUTSIDE_SCOPE,
    DUTY_INVALID, ALREADY_MEMBER, INVITATION_PENDING."""
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
                action=Actions.INVITATION_CREATED,
                target=invitation,
                phone=phone,
                role=role,
                store_id=_store_of(store, branch),
                branch_id=branch.pk if branch else None,
                branch=_where(store, branch),
                duties=duties,
            )
            inviter = User.objects.filter(pk=actor.user_id).first()
            _invitation_send(invitation=invitation, inviter=inviter, merchant_name=merchant_name, link=link)
    except IntegrityError as exc:
        raise StaffError(StaffErrorCode.INVITATION_PENDING, field="phone") from exc
    return invitation


def invitation_resend(*, actor: Membership, invitation: Invitation, merchant_name: str, link: str) -> Invitation:
    """Text a pending invitation again and give it a fresh week. Rate-limited: RESEND_TOO_SOON (429) within
    RESEND_AFTER of the last text, RESEND_LIMIT (409) after INVITATION_SENDS_MAX texts; INVITATION_CLOSED (409) once
    accepted or revoked. One transaction; the SMS leaves after commit."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("store", "branch").get(pk=invitation.pk)
        )
        if invitation.status != InvitationStatus.PENDING:
            raise StaffError(StaffErrorCode.INVITATION_CLOSED)
        if invitation.sends >= INVITATION_SENDS_MAX:
            raise StaffError(StaffErrorCode.RESEND_LIMIT)
        if (
            invitation.sent_at is not None
            and (wait := invitation.sent_at + RESEND_AFTER - timezone.now()) > timedelta()
        ):
            raise StaffError(StaffErrorCode.RESEND_TOO_SOON, retry_after=max(int(wait.total_seconds()), 1))
        invitation.expires_at = timezone.now() + INVITATION_TTL
        inviter = User.objects.filter(pk=actor.user_id).first()
        _invitation_send(invitation=invitation, inviter=inviter, merchant_name=merchant_name, link=link)
        audit_write(
            actor_user_id=actor.user_id,
            action=Actions.INVITATION_RESENT,
            target=invitation,
            phone=invitation.phone,
            store_id=_store_of(invitation.store, invitation.branch),
            branch_id=invitation.branch_id,
        )
    return invitation


def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation (its link then says closed). INVITATION_CLOSED (409) once decided."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("store", "branch").get(pk=invitation.pk)
        )
        if invitation.status != InvitationStatus.PENDING:
            raise StaffError(StaffErrorCode.INVITATION_CLOSED)
        invitation.status, invitation.decided_at = InvitationStatus.REVOKED, timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        audit_write(
            actor_user_id=actor.user_id,
            action=Actions.INVITATION_REVOKED,
            target=invitation,
            phone=invitation.phone,
            store_id=_store_of(invitation.store, invitation.branch),
            branch_id=invitation.branch_id,
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
            action=Actions.INVITATION_ACCEPTED,
            target=membership,
            invitation_id=invitation.pk,
            role=membership.role,
            store_id=_store_of(membership.store, membership.branch),
            branch_id=membership.branch_id,
            branch=_where(membership.store, membership.branch),
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
            action=Actions.MEMBERSHIP_CHANGED,
            target=target,
            member=_member_name(target),
            before=before,
            after={"role": role, "store_id": target.store_id, "branch_id": target.branch_id, "duties": duties},
            store_id=_store_of(store, branch),
            branch_id=target.branch_id or before["branch_id"],
        )
    return target


def _member_name(membership: Membership) -> str:
    user = User.objects.filter(pk=membership.user_id).values("name", "phone").first() or {}
    return user.get("name") or user.get("phone", "")


def membership_deactivate(*, actor: Membership, target: Membership) -> Membership:
    """Remove a colleague's access (the membership is kept, inactive, for history). Nobody removes themselves
    (REMOVE_YOURSELF), someone above them (ROLE_ABOVE_YOURS), nor the last Merchant (LAST_MERCHANT); removing
    someone already removed is ALREADY_REMOVED (409)."""
    if target.pk == actor.pk:
        raise StaffError(StaffErrorCode.REMOVE_YOURSELF)
    if role_outranks(role=target.role, giver_role=actor.role):
        raise StaffError(StaffErrorCode.ROLE_ABOVE_YOURS)
    with transaction.atomic():
        target = Membership.objects.select_for_update(of=("self",)).select_related("store", "branch").get(pk=target.pk)
        if not target.is_active:
            raise StaffError(StaffErrorCode.ALREADY_REMOVED)
        _guard_last_merchant(target, None, False)
        target.is_active = False
        target.save(update_fields=["is_active"])
        audit_write(
            actor_user_id=actor.user_id,
            action=Actions.MEMBERSHIP_REMOVED,
            target=target,
            member=_member_name(target),
            role=target.role,
            store_id=_store_of(target.store, target.branch),
            branch_id=target.branch_id,
        )
    return target
