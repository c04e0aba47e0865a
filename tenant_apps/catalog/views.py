"""Console pages for products: list, create with variants, edit, prices, images. Thin: services do the work."""

from __future__ import annotations

from itertools import zip_longest

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from shared_apps.categories.models import Category
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.services import asset_upload, delivery_url, tenant_folder
from tenant_apps.catalog import services
from tenant_apps.catalog.models import ProductStatus
from tenant_apps.staff.access import (
    access_product_by_id,
    access_product_media_by_id,
    access_store_by_id,
    access_variant_by_id,
    scoped_branches,
    scoped_products,
    scoped_stock_levels,
    scoped_stores,
)
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm


def _form_context(request: HttpRequest) -> dict:
    return {
        "stores": scoped_stores(request.actor).order_by("name"),
        "categories": Category.objects.filter(is_active=True).select_related("parent").order_by("parent__name", "name"),
        "statuses": ProductStatus.choices,
        "can_manage": Perm.CATALOG_MANAGE in request.actor.permissions,
        "can_price": Perm.PRICE_BASE_EDIT in request.actor.permissions,
    }


@console_page(Perm.CATALOG_VIEW)
def product_list(request: HttpRequest) -> HttpResponse:
    products = scoped_products(request.actor)
    query = request.GET.get("q", "").strip()
    if query:
        products = products.filter(name__icontains=query)
    return render(
        request, "catalog/product_list.html", {"products": products[:200], "q": query, **_form_context(request)}
    )


@require_http_methods(["POST"])
@console_page(Perm.CATALOG_MANAGE)
def product_new(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        store = access_store_by_id(
            actor=request.actor, store_id=int(data.get("store_id") or 0), perm=Perm.CATALOG_MANAGE
        )
        skus, names, prices = data.getlist("sku"), data.getlist("variant_name"), data.getlist("price")
        variants = [
            services.VariantSpec(sku=sku.strip(), name=name, price=price)
            for sku, name, price in zip_longest(skus, names, prices, fillvalue="")
            if sku.strip() or price.strip()
        ]
        product = services.product_create(
            store_id=store.pk,
            name=data.get("name", ""),
            description=data.get("description", ""),
            category_id=int(data["category_id"]) if data.get("category_id") else None,
            status=data.get("status", ProductStatus.DRAFT),
            variants=variants,
        )
    except DomainError as exc:
        if exc.status in (401, 404):
            return console_error_page(request, exc)
        context = {
            "products": scoped_products(request.actor)[:200],
            "error": exc,
            "form": data,
            **_form_context(request),
        }
        return render(request, "catalog/product_list.html", context, status=exc.status)
    return redirect(f"/products/{product.pk}/")


@require_http_methods(["GET", "POST"])
@console_page(Perm.CATALOG_VIEW)
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = request.actor
    error = None
    try:
        product = access_product_by_id(actor=actor, product_id=product_id)
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "update":
                access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
                services.product_update(
                    product=product,
                    name=request.POST.get("name", ""),
                    description=request.POST.get("description", ""),
                    status=request.POST.get("status", product.status),
                    category_id=int(request.POST["category_id"]) if request.POST.get("category_id") else None,
                )
            elif action == "price":
                variant = access_variant_by_id(
                    actor=actor, variant_id=int(request.POST.get("variant_id", 0)), perm=Perm.PRICE_BASE_EDIT
                )
                services.variant_update(variant=variant, price=request.POST.get("price", ""))
            elif action == "upload":
                _upload(request, product)
            elif action == "remove_media":
                media_id = int(request.POST.get("media_id") or 0)
                media = access_product_media_by_id(actor=actor, product_id=product_id, media_id=media_id)
                services.product_media_remove(media=media)
            return redirect(f"/products/{product_id}/")
    except DomainError as exc:
        if exc.status in (401, 404):
            return console_error_page(request, exc)
        error = exc
        product = access_product_by_id(actor=actor, product_id=product_id)
    media = [
        (m, delivery_url(public_id=m.public_id, resource_type=m.kind, variant="thumb")) for m in product.media.all()
    ]
    levels = scoped_stock_levels(actor).filter(variant__product=product).select_related("branch", "variant")
    context = {"product": product, "media": media, "levels": levels, "error": error, **_form_context(request)}
    return render(request, "catalog/product_detail.html", context, status=error.status if error else 200)


def _upload(request: HttpRequest, product) -> None:
    """Server-side upload of a small image or video, then attach it (the API also offers signed direct upload)."""
    access_product_by_id(actor=request.actor, product_id=product.pk, perm=Perm.CATALOG_MANAGE)
    upload = request.FILES.get("file")
    if upload is None:
        raise MediaError(MediaErrorCode.FILE_EMPTY, field="file")
    schema = connection.schema_name
    asset = asset_upload(
        file=upload,
        filename=upload.name,
        tenant_schema=schema,
        folder=tenant_folder(tenant_schema=schema, name="products"),
    )
    services.product_media_add(product=product, public_id=asset.public_id, kind=asset.resource_type)


@console_page(Perm.CATALOG_VIEW)
def imports(request: HttpRequest) -> HttpResponse:
    """CSV import (with a progress bar and a row-by-row error report) and export."""
    get_token(request)  # the import form posts with the CSRF cookie's token
    forms = [
        (
            "products",
            "Products",
            "store_slug,product_name,description,category_slug,status,sku,variant_name,price,barcode,options",
            "catalog_manage",
        ),
        ("stock", "Stock counts", "branch_id,sku,on_hand", "stock_adjust"),
    ]
    branches = scoped_branches(request.actor).order_by("store__name", "name")
    return render(request, "catalog/imports.html", {"forms": forms, "branches": branches})
