from django.db.models import QuerySet

from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Merchant, MerchantStatus


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
