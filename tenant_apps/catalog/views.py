"""Console pages for products: list, create with variants, edit, prices, images. Thin: services do the work."""

from __future__ import annotations

import csv
import io
import uuid
from itertools import zip_longest

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from shared_apps.categories.models import Category
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.services import asset_upload, delivery_url, tenant_folder
from tenant_apps.catalog import csv_io, services
from tenant_apps.catalog.models import ProductStatus
from tenant_apps.inventory.selectors import product_stock_by_branch
from tenant_apps.inventory.stock_forms import stock_change
from tenant_apps.staff.access import (
    access_branch_variant,
    access_product_by_id,
    access_product_media_by_id,
    access_store_by_id,
    access_variant_by_id,
    scoped_branches,
    scoped_products,
    scoped_stores,
)
from tenant_apps.staff.errors import AccessError, AccessErrorCode
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
            elif action == "threshold":
                access_product_by_id(actor=actor, product_id=product_id, perm=Perm.CATALOG_MANAGE)
                threshold = request.POST.get("low_stock_threshold", "")
                services.product_update(product=product, low_stock_threshold=threshold)
            elif action == "stock":
                _stock_change(request, product)
                return redirect(f"/products/{product_id}/#stock")
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
    stock = product_stock_by_branch(actor=actor, product=product) if Perm.STOCK_VIEW in actor.permissions else []
    context = {
        "product": product,
        "media": media,
        "stock": stock,
        "key": uuid.uuid4().hex,  # the stock forms' idempotency keys: a double submit applies once
        "can_adjust": Perm.STOCK_ADJUST in actor.permissions,
        "error": error,
        **_form_context(request),
    }
    return render(request, "catalog/product_detail.html", context, status=error.status if error else 200)


def _stock_change(request: HttpRequest, product) -> None:
    """A stock form of the product page: a branch in scope and a variant of this product it sells."""
    branch, variant = access_branch_variant(
        actor=request.actor,
        branch_id=int(request.POST.get("branch_id") or 0),
        variant_id=int(request.POST.get("variant_id") or 0),
        perm=Perm.STOCK_ADJUST,
    )
    if variant.product_id != product.pk:
        raise AccessError(AccessErrorCode.NOT_FOUND)
    stock_change(
        branch_id=branch.pk,
        variant_id=variant.pk,
        action=request.POST.get("action_kind", ""),
        amount=request.POST.get("amount", ""),
        actor_id=request.actor.user_id,
        idempotency_key=request.POST.get("key") or None,
    )


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
            _("Products"),
            "store,branch,product_name,variant_name,sku,price,on_hand,category_slug,description,status,barcode,options",
            "catalog_manage",
        ),
        ("stock", _("Stock counts"), "branch,sku,on_hand (store, when two branches share a name)", "stock_adjust"),
    ]
    branches = scoped_branches(request.actor).order_by("store__name", "name")
    return render(request, "catalog/imports.html", {"forms": forms, "branches": branches})


@console_page(Perm.CATALOG_MANAGE)
def imports_template(request: HttpRequest) -> HttpResponse:
    """The products CSV template (`console-imports-template`): branches and stores named, example rows to overwrite."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheets read the file as UTF-8 (Urdu names, "é")
    csv.writer(buffer).writerows(csv_io.products_template_rows(actor=request.actor))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="planckly-products-template.csv"'
    response["Cache-Control"] = "no-store"
    return response
