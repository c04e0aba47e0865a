from django.conf import settings
from django.db.models import QuerySet

from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Merchant, MerchantStatus, OnboardingPolicy


def merchants_all() -> QuerySet[Merchant]:
    return Merchant.objects.exclude(schema_name="public").prefetch_related("domains").order_by("name")


def merchants_listed() -> QuerySet[Merchant]:
    """Merchants customers may see."""
    return merchants_all().filter(status=MerchantStatus.ACTIVE)


def merchant_get_by_slug(*, slug: str) -> Merchant:
    merchant = merchants_all().filter(slug=slug).first()
    if merchant is None:
        raise TenantsError(TenantsErrorCode.MERCHANT_NOT_FOUND, field="slug")
    return merchant


def merchants_awaiting_approval() -> QuerySet[Merchant]:
    """The operators' queue: oldest request first."""
    return merchants_all().filter(status=MerchantStatus.AWAITING_APPROVAL).order_by("review_requested_at", "pk")


def onboarding_approval_required() -> bool:
    """Whether "Go live" waits for an operator: the admin's policy row once saved, else MERCHANT_APPROVAL_REQUIRED."""
    row = OnboardingPolicy.objects.filter(pk=1).values_list("approval_required", flat=True).first()
    return settings.MERCHANT_APPROVAL_REQUIRED if row is None else row
