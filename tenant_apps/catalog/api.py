"""Console API for the catalog: /api/v1/console/products..., scoped to the actor's stores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status, UploadedFile

from kernel.inputs import Money, Page
from shared_apps.accounts.auth import user_auth
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.services import asset_record_upload, asset_upload, delivery_url, tenant_folder, upload_signature
from tenant_apps.catalog import services
from tenant_apps.catalog.models import Product
from tenant_apps.staff.access import (
    access_branch_variant,
    access_console,
    access_console_membership,
    access_product_by_id,
    access_product_media_by_id,
    access_store_by_id,
    access_variant_by_id,
    scoped_products,
)
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["catalog"])


class VariantIn(Schema):
    sku: str
    price: Money
    name: str = ""
    barcode: str = ""
    options: dict[str, str] = {}


class VariantOut(Schema):
    id: int
    sku: str
    name: str
    barcode: str
    options: dict
    price: Decimal
    currency: str
    is_active: bool


class MediaOut(Schema):
    id: int
    public_id: str
    kind: str
    position: int
    thumbnail_url: str


class ProductIn(Schema):
    store_id: int
    name: str
    description: str = ""
    category_id: int | None = None
    attributes: dict = {}
    status: str = "draft"
    variants: list[VariantIn]


class ProductPatch(Schema):
    name: str | None = None
    description: str | None = None
    category_id: int | None = None
    attributes: dict | None = None
    status: str | None = None
    low_stock_threshold: int | None = None  # "only N left" at or under it


class ProductOut(Schema):
    id: int
    store_id: int
    name: str
    slug: str
    description: str
    category_id: int | None
    attributes: dict
    status: str
    low_stock_threshold: int
    updated_at: datetime
    variants: list[VariantOut]
    media: list[MediaOut]

    @staticmethod
    def of(product: Product) -> ProductOut:
        return ProductOut(
            id=product.pk,
            store_id=product.store_id,
            name=product.name,
            slug=product.slug,
            description=product.description,
            category_id=product.category_id,
            attributes=product.attributes,
            status=product.status,
            low_stock_threshold=product.low_stock_threshold,
            updated_at=product.updated_at,
            variants=[VariantOut.from_orm(v) for v in product.variants.all()],
            media=[
                MediaOut(
                    id=m.pk,
                    public_id=m.public_id,
                    kind=m.kind,
                    position=m.position,
                    thumbnail_url=delivery_url(public_id=m.public_id, resource_type=m.kind, variant="thumb"),
                )
                for m in product.media.all()
            ],
        )


class VariantPatch(Schema):
    sku: str | None = None
    name: str | None = None
    barcode: str | None = None
    price: Money | None = None
    is_active: bool | None = None


class BranchPriceIn(Schema):
    price: Money | None


def _product_out(actor, product_id: int) -> ProductOut:
    return ProductOut.of(access_product_by_id(actor=actor, product_id=product_id))


@router.get("/products", response=list[ProductOut])
def product_list(request: HttpRequest, page: Query[Page], store_id: int | None = None, status: str | None = None):
    actor = access_console(user=request.user, perm=Perm.CATALOG_VIEW)
    products = scoped_products(actor)
    if store_id:
        products = products.filter(store_id=store_id)
    if status:
        products = products.filter(status=status)
    return [ProductOut.of(p) for p in page.slice(products)]


@router.post("/products", response={201: ProductOut})
def product_create(request: HttpRequest, payload: ProductIn):
    actor = access_console(user=request.user, perm=Perm.CATALOG_MANAGE)
    store = access_store_by_id(actor=actor, store_id=payload.store_id, perm=Perm.CATALOG_MANAGE)
    data = payload.dict()
    variants = [services.VariantSpec(**v) for v in data.pop("variants")]
    data.pop("store_id")
    product = services.product_create(store_id=store.pk, variants=variants, **data)
    return Status(201, _product_out(actor, product.pk))


@router.get("/products/{product_id}", response=ProductOut)
def product_detail(request: HttpRequest, product_id: int):
    actor = access_console_membership(user=request.user)
    return ProductOut.of(access_product_by_id(actor=actor, product_id=product_id))


@router.patch("/products/{product_id}", response=ProductOut)
def product_patch(request: HttpRequest, product_id: int, payload: ProductPatch):
    actor = access_console_membership(user=request.user)
    product = access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
    services.product_update(product=product, **payload.dict(exclude_unset=True))
    return _product_out(actor, product_id)


@router.delete("/products/{product_id}", response={204: None})
def product_delete(request: HttpRequest, product_id: int):
    actor = access_console_membership(user=request.user)
    services.product_delete(product=access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE))
    return Status(204, None)


@router.post("/products/{product_id}/variants", response={201: VariantOut})
def variant_create(request: HttpRequest, product_id: int, payload: VariantIn):
    actor = access_console_membership(user=request.user)
    product = access_product_by_id(actor=actor, product_id=product_id, perm=Perm.PRICE_BASE_EDIT)
    return Status(201, services.variant_create(product=product, spec=services.VariantSpec(**payload.dict())))


@router.patch("/variants/{variant_id}", response=VariantOut)
def variant_patch(request: HttpRequest, variant_id: int, payload: VariantPatch):
    """Base prices need PRICE_BASE_EDIT (Merchant, Shop Owner); other fields CATALOG_MANAGE."""
    actor = access_console_membership(user=request.user)
    changes = payload.dict(exclude_unset=True)
    perm = Perm.PRICE_BASE_EDIT if "price" in changes else Perm.CATALOG_MANAGE
    variant = access_variant_by_id(actor=actor, variant_id=variant_id, perm=perm)
    return services.variant_update(variant=variant, **changes)


@router.put("/branches/{branch_id}/prices/{variant_id}", response=BranchPriceIn)
def branch_price_put(request: HttpRequest, branch_id: int, variant_id: int, payload: BranchPriceIn):
    """A branch's own price (null: back to the base price)."""
    actor = access_console_membership(user=request.user)
    branch, variant = access_branch_variant(
        actor=actor, branch_id=branch_id, variant_id=variant_id, perm=Perm.PRICE_BASE_EDIT
    )
    row = services.branch_price_set(branch_id=branch.pk, variant_id=variant.pk, price=payload.price)
    return BranchPriceIn(price=row.price if row else None)


class UploadSignatureIn(Schema):
    resource_type: str = "image"


class UploadedIn(Schema):
    """What Cloudinary answered the browser's direct upload (public_id, version, signature, ...)."""

    response: dict


@router.post("/products/{product_id}/media/sign", response=dict)
def media_sign(request: HttpRequest, product_id: int, payload: UploadSignatureIn):
    """Parameters for a signed direct upload from the browser into this merchant's folder."""
    actor = access_console_membership(user=request.user)
    access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
    folder = tenant_folder(tenant_schema=request.tenant.schema_name, name="products")
    return upload_signature(folder=folder, resource_type=payload.resource_type)


@router.post("/products/{product_id}/media", response={201: MediaOut})
def media_record(request: HttpRequest, product_id: int, payload: UploadedIn):
    """Attach a direct upload after verifying Cloudinary's signature on its response (forged answers: 401)."""
    actor = access_console_membership(user=request.user)
    product = access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
    asset = asset_record_upload(response=payload.response, tenant_schema=request.tenant.schema_name)
    media = services.product_media_add(product=product, public_id=asset.public_id, kind=asset.resource_type)
    thumb = delivery_url(public_id=media.public_id, resource_type=media.kind, variant="thumb")
    return Status(
        201,
        MediaOut(id=media.pk, public_id=media.public_id, kind=media.kind, position=media.position, thumbnail_url=thumb),
    )


# Declared before /media/{media_id} so that "upload" is never taken for an id.
@router.post("/products/{product_id}/media/upload", response={201: MediaOut})
def media_upload(request: HttpRequest, product_id: int, file: UploadedFile | None = File(None)):  # noqa: B008
    """Server-side upload of a small image or video (≤10 MB / ≤100 MB), then attach it to the product."""
    actor = access_console_membership(user=request.user)
    product = access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
    if file is None:  # optional in the signature so that access is decided before the body is
        raise MediaError(MediaErrorCode.FILE_EMPTY, field="file")
    schema = request.tenant.schema_name
    asset = asset_upload(
        file=file,
        filename=file.name or "upload",
        tenant_schema=schema,
        folder=tenant_folder(tenant_schema=schema, name="products"),
    )
    media = services.product_media_add(product=product, public_id=asset.public_id, kind=asset.resource_type)
    thumb = delivery_url(public_id=media.public_id, resource_type=media.kind, variant="thumb")
    return Status(
        201,
        MediaOut(id=media.pk, public_id=media.public_id, kind=media.kind, position=media.position, thumbnail_url=thumb),
    )


@router.delete("/products/{product_id}/media/{media_id}", response={204: None})
def media_remove(request: HttpRequest, product_id: int, media_id: int):
    """Detach and destroy (after commit, with retries)."""
    actor = access_console_membership(user=request.user)
    media = access_product_media_by_id(actor=actor, product_id=product_id, media_id=media_id)
    services.product_media_remove(media=media)
    return Status(204, None)
