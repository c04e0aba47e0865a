"""Staff's answers to lower floors' signals (connected in StaffConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import receiver

from shared_apps.accounts.errors import AccountsError
from shared_apps.accounts.services import user_get_or_create_by_phone
from tenant_apps.staff.audit import audit_actor_forget
from tenant_apps.staff.models import Membership
from tenant_apps.staff.roles import Role
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Merchant
from tenants.signals import merchant_provisioned


@receiver(merchant_provisioned)
def merchant_owner_enrol(sender: type, *, merchant: Merchant, owner_phone: str, **kwargs: Any) -> None:
    """The owner's account (found or made by phone) becomes the merchant's owner and its first member, role Merchant."""
    try:
        owner = user_get_or_create_by_phone(phone=owner_phone)
    except AccountsError as exc:
        raise TenantsError(TenantsErrorCode.PHONE_INVALID, field="owner_phone") from exc
    Merchant.objects.filter(pk=merchant.pk).update(owner=owner)
    merchant.owner = owner
    Membership.objects.create(user=owner, role=Role.MERCHANT)


# A thread serves request after request: the actor one request noted for its audit entries is forgotten before the next.
request_started.connect(audit_actor_forget, dispatch_uid="staff.audit_actor_forget")
request_finished.connect(audit_actor_forget, dispatch_uid="staff.audit_actor_forget_after")
