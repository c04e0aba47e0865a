"""Reads of staff data for the console. Every queryset starts from a scoped selector of the access layer."""

from __future__ import annotations

from django.db.models import QuerySet

from tenant_apps.staff.access import scoped_audit
from tenant_apps.staff.models import AuditEntry, Membership


def audit_filtered(
    *, actor: Membership, person: int | None = None, branch: int | None = None, kind: str = ""
) -> QuerySet[AuditEntry]:
    """The actor's audit entries, newest first, narrowed by who acted, which branch, which kind. A branch outside
    the scope narrows to nothing (the scope filter stays), never to another branch's entries."""
    entries = scoped_audit(actor)
    if person is not None:
        entries = entries.filter(actor_id=person)
    if branch is not None:
        entries = entries.filter(branch_id=branch)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("-created_at", "-id")
