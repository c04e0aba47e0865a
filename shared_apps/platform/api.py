"""Platform operations on merchants: /api/v1/platform/merchants (platform admins only)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from shared_apps.accounts.access import access_platform_admin
from shared_apps.accounts.auth import session_auth
from tenants import selectors, services
from tenants.models import Merchant

router = Router(auth=session_auth)  # session + TOTP (see access_platform_admin); no bearer tokens


class MerchantIn(Schema):
    name: str
    slug: str
    owner_phone: str
    area: str = ""


class MerchantOut(Schema):
    slug: str
    name: str
    domain: str
    schema_name: str
    status: str
    area: str
    owner_phone: str | None
    created_at: datetime

    @staticmethod
    def from_merchant(merchant: Merchant) -> "MerchantOut":
        domain = next((d.domain for d in merchant.domains.all() if d.is_primary), "")
        return MerchantOut(
            slug=merchant.slug,
            name=merchant.name,
            domain=domain,
            schema_name=merchant.schema_name,
            status=merchant.status,
            area=merchant.area,
            owner_phone=merchant.owner.phone if merchant.owner_id else None,
            created_at=merchant.created_at,
        )


def _merchant(request: HttpRequest, slug: str) -> Merchant:
    access_platform_admin(request=request)
    return selectors.merchant_get_by_slug(slug=slug)


@router.post("/merchants", response={201: MerchantOut})
def merchant_create(request: HttpRequest, payload: MerchantIn):
    access_platform_admin(request=request)
    merchant = services.merchant_provision(**payload.dict())
    merchant = selectors.merchant_get_by_slug(slug=merchant.slug)
    return Status(201, MerchantOut.from_merchant(merchant))


@router.get("/merchants", response=list[MerchantOut])
def merchant_list(request: HttpRequest):
    access_platform_admin(request=request)
    return [MerchantOut.from_merchant(m) for m in selectors.merchants_all().select_related("owner")]


@router.get("/merchants/{slug}", response=MerchantOut)
def merchant_detail(request: HttpRequest, slug: str):
    return MerchantOut.from_merchant(_merchant(request, slug))


@router.post("/merchants/{slug}/suspend", response=MerchantOut)
def merchant_suspend(request: HttpRequest, slug: str):
    merchant = services.merchant_suspend(merchant=_merchant(request, slug))
    return MerchantOut.from_merchant(selectors.merchant_get_by_slug(slug=merchant.slug))


@router.post("/merchants/{slug}/reactivate", response=MerchantOut)
def merchant_reactivate(request: HttpRequest, slug: str):
    merchant = services.merchant_reactivate(merchant=_merchant(request, slug))
    return MerchantOut.from_merchant(selectors.merchant_get_by_slug(slug=merchant.slug))


@router.post("/merchants/{slug}/archive", response=MerchantOut)
def merchant_archive(request: HttpRequest, slug: str):
    merchant = services.merchant_archive(merchant=_merchant(request, slug))
    return MerchantOut.from_merchant(selectors.merchant_get_by_slug(slug=merchant.slug))


@router.delete("/merchants/{slug}", response={204: None})
def merchant_purge(request: HttpRequest, slug: str):
    services.merchant_purge(merchant=_merchant(request, slug))
    return Status(204, None)
