"""Catalog writes. Each is one transaction that also emits the outbox events the marketplace index follows and
records its audit entry (staff/audit.py: the names at the time, before and after)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from kernel.inputs import amount_parse
from shared_apps.categories.models import Category
from shared_apps.media.services import assets_destroy_on_commit
from tenant_apps.catalog.errors import CatalogError, CatalogErrorCode
from tenant_apps.catalog.models import (
    MAX_LOW_STOCK_THRESHOLD,
    BranchPrice,
    Product,
    ProductMedia,
    ProductStatus,
    Variant,
)
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit
from tenant_apps.staff.audit import Actions, audit_record, branch_names, variant_names

SKU_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class VariantSpec:
    sku: str
    price: Decimal | str
    name: str = ""
    barcode: str = ""
    options: dict[str, str] = field(default_factory=dict)


def money(value: Any, *, field_name: str = "price") -> Decimal:
    """Parse a price: Decimal ≥ 0 with at most 2 decimals, or raise PRICE_INVALID. A float is refused outright: it
    has already lost the amount's exact value (use a Decimal or its text)."""
    try:
        amount = amount_parse(value)  # the money columns' bounds; "-0" is 0.00 (a negative zero lit the offer badge)
    except ValueError as exc:
        raise CatalogError(CatalogErrorCode.PRICE_INVALID, field=field_name) from exc
    if amount < 0:
        raise CatalogError(CatalogErrorCode.PRICE_INVALID, field=field_name)
    return amount


def _category(category_id: int | None) -> int | None:
    if category_id is None:
        return None
    if not Category.objects.filter(pk=category_id, is_active=True).exists():
        raise CatalogError(CatalogErrorCode.CATEGORY_INVALID, field="category_id")
    return category_id


def _variant_fields(spec: VariantSpec) -> dict[str, Any]:
    if not SKU_PATTERN.match(spec.sku or ""):
        raise CatalogError(CatalogErrorCode.SKU_INVALID, field="sku")
    return {
        "sku": spec.sku,
        "name": spec.name.strip()[:120],
        "barcode": spec.barcode.strip()[:64],
        "options": dict(spec.options),
        "price": money(spec.price),
    }


def product_create(
    *,
    store_id: int,
    name: str,
    variants: list[VariantSpec],
    description: str = "",
    category_id: int | None = None,
    attributes: dict | None = None,
    status: str = ProductStatus.DRAFT,
    starter_key: str = "",
) -> Product:
    """A product with its variants, all or nothing. Raises NAME_INVALID, VARIANTS_REQUIRED, SKU_INVALID, SKU_TAKEN,
    PRICE_INVALID, CATEGORY_INVALID, STATUS_INVALID, SLUG_TAKEN (also when the store has a product of the same
    `starter_key`: catalog/starter.py keys what it adds)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise CatalogError(CatalogErrorCode.NAME_INVALID, field="name")
    if not variants:
        raise CatalogError(CatalogErrorCode.VARIANTS_REQUIRED, field="variants")
    if status not in ProductStatus.values:
        raise CatalogError(CatalogErrorCode.STATUS_INVALID, field="status")
    rows = [_variant_fields(v) for v in variants]
    if len({r["sku"] for r in rows}) != len(rows):
        raise CatalogError(CatalogErrorCode.SKU_TAKEN, field="variants")
    try:
        with transaction.atomic():
            product = Product.objects.create(
                store_id=store_id,
                name=name,
                slug=slugify(name)[:220] or "product",
                description=description,
                category_id=_category(category_id),
                attributes=attributes or {},
                status=status,
                starter_key=starter_key,
            )
            Variant.objects.bulk_create([Variant(product=product, **row) for row in rows])
            outbox_emit(entity=Entity.PRODUCT, entity_id=product.pk)
            audit_record(
                action=Actions.PRODUCT_CREATED,
                target_type="product",
                target_id=product.pk,
                store_id=store_id,
                product=name,
                variants=len(rows),
            )
    except IntegrityError as exc:
        code = CatalogErrorCode.SKU_TAKEN if "sku" in str(exc) else CatalogErrorCode.SLUG_TAKEN
        raise CatalogError(code, field="sku" if code == CatalogErrorCode.SKU_TAKEN else "name") from exc
    return product


def low_stock_threshold_clean(value: Any) -> int:
    """A threshold as typed (text or int): a whole number 0..MAX_LOW_STOCK_THRESHOLD, or THRESHOLD_INVALID."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_LOW_STOCK_THRESHOLD:
        raise CatalogError(CatalogErrorCode.THRESHOLD_INVALID, field="low_stock_threshold")
    return int(text)


def product_update(*, product: Product, **changes: Any) -> Product:
    """Change name, description, category, attributes, status (draft/active/archived) or low_stock_threshold (the
    "only N left" line, published with the product's listings)."""
    allowed = {"name", "description", "category_id", "attributes", "status", "low_stock_threshold"}
    unknown = set(changes) - allowed
    if unknown:
        raise CatalogError(CatalogErrorCode.NAME_INVALID, f"Unknown fields: {', '.join(sorted(unknown))}")
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > 200:
            raise CatalogError(CatalogErrorCode.NAME_INVALID, field="name")
        changes["name"] = name
    if "status" in changes and changes["status"] not in ProductStatus.values:
        raise CatalogError(CatalogErrorCode.STATUS_INVALID, field="status")
    if "category_id" in changes:
        changes["category_id"] = _category(changes["category_id"])
    if "low_stock_threshold" in changes:
        changes["low_stock_threshold"] = low_stock_threshold_clean(changes["low_stock_threshold"])
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        before = {key: getattr(product, key) for key in changes}
        for key, value in changes.items():
            setattr(product, key, value)
        product.save()
        outbox_emit(entity=Entity.PRODUCT, entity_id=product.pk)
        changed = {key: value for key, value in changes.items() if before[key] != value}
        if changed:
            audit_record(
                action=Actions.PRODUCT_CHANGED,
                target_type="product",
                target_id=product.pk,
                store_id=product.store_id,
                product=product.name,
                before={key: before[key] for key in changed},
                after=changed,
            )
    return product


def product_delete(*, product: Product) -> None:
    """Delete a product, its variants and stock; its Cloudinary assets are destroyed after commit, with retries."""
    with transaction.atomic():
        public_ids = list(product.media.values_list("public_id", flat=True))
        product_id = product.pk
        product.delete()
        outbox_emit(entity=Entity.PRODUCT, entity_id=product_id)
        audit_record(
            action=Actions.PRODUCT_DELETED,
            target_type="product",
            target_id=product_id,
            store_id=product.store_id,
            product=product.name,
        )
        if public_ids:
            assets_destroy_on_commit(public_ids=public_ids)


def variant_create(*, product: Product, spec: VariantSpec) -> Variant:
    try:
        with transaction.atomic():
            variant = Variant.objects.create(product=product, **_variant_fields(spec))
            outbox_emit(entity=Entity.VARIANT, entity_id=variant.pk)
            audit_record(
                action=Actions.VARIANT_CREATED,
                target_type="variant",
                target_id=variant.pk,
                store_id=product.store_id,
                product=product.name,
                variant=variant.name,
                price=variant.price,
            )
    except IntegrityError as exc:
        raise CatalogError(CatalogErrorCode.SKU_TAKEN, field="sku") from exc
    return variant


def variant_update(*, variant: Variant, **changes: Any) -> Variant:
    """Change a variant (price: Decimal, never float). Raises PRICE_INVALID, SKU_INVALID, SKU_TAKEN."""
    if "price" in changes:
        changes["price"] = money(changes["price"])
    if "sku" in changes and not SKU_PATTERN.match(changes["sku"] or ""):
        raise CatalogError(CatalogErrorCode.SKU_INVALID, field="sku")
    try:
        with transaction.atomic():
            variant = Variant.objects.select_for_update().get(pk=variant.pk)
            before = {key: getattr(variant, key) for key in changes}
            for key, value in changes.items():
                setattr(variant, key, value)
            variant.save()
            outbox_emit(entity=Entity.VARIANT, entity_id=variant.pk)
            _variant_change_audit(variant=variant, before=before, changes=changes)
    except IntegrityError as exc:
        raise CatalogError(CatalogErrorCode.SKU_TAKEN, field="sku") from exc
    return variant


def _variant_change_audit(*, variant: Variant, before: dict[str, Any], changes: dict[str, Any]) -> None:
    """A new base price is a price entry (with before/after); any other change one entry listing what changed."""
    names = variant_names(variant.pk)
    if "price" in changes and before["price"] != changes["price"]:
        audit_record(
            action=Actions.PRICE_CHANGED,
            target_type="variant",
            target_id=variant.pk,
            store_id=names["store_id"],
            product=names["product"],
            variant=names["variant"],
            before=before["price"],
            after=changes["price"],
        )
    other = {key: value for key, value in changes.items() if key != "price" and before[key] != value}
    if other:
        audit_record(
            action=Actions.VARIANT_CHANGED,
            target_type="variant",
            target_id=variant.pk,
            store_id=names["store_id"],
            product=names["product"],
            variant=names["variant"],
            before={key: before[key] for key in other},
            after=other,
        )


def branch_price_set(*, branch_id: int, variant_id: int, price: Any | None) -> BranchPrice | None:
    """A branch's own price for a variant; None removes it (back to the base price). Audited with the price the
    branch sold at before (its own, or the base price) and after."""
    with transaction.atomic():
        names = variant_names(variant_id)
        own = BranchPrice.objects.filter(branch_id=branch_id, variant_id=variant_id).values_list("price", flat=True)
        before = own.first()
        base = Variant.objects.filter(pk=variant_id).values_list("price", flat=True).first()
        if price is None:
            BranchPrice.objects.filter(branch_id=branch_id, variant_id=variant_id).delete()
            row = None
        else:
            row, _ = BranchPrice.objects.update_or_create(
                branch_id=branch_id, variant_id=variant_id, defaults={"price": money(price)}
            )
        outbox_emit(entity=Entity.STOCK, entity_id=variant_id, branch_id=branch_id)
        after = row.price if row is not None else None
        if (after, before) != (None, None) and after != before:
            audit_record(
                action=Actions.BRANCH_PRICE_SET if after is not None else Actions.BRANCH_PRICE_REMOVED,
                target_type="variant",
                target_id=variant_id,
                store_id=names["store_id"],
                branch_id=branch_id,
                branch=branch_names(branch_id)["branch"],
                product=names["product"],
                variant=names["variant"],
                before=before if before is not None else base,
                after=after,
                base=base,
            )
    return row


def product_media_add(*, product: Product, public_id: str, kind: str) -> ProductMedia:
    """Attach an uploaded asset at the end of the product's gallery (idempotent per asset)."""
    with transaction.atomic():
        position = product.media.count()
        media, created = ProductMedia.objects.get_or_create(
            public_id=public_id, defaults={"product": product, "kind": kind, "position": position}
        )
        outbox_emit(entity=Entity.PRODUCT, entity_id=product.pk)
        if created:
            audit_record(
                action=Actions.MEDIA_ADDED,
                target_type="product",
                target_id=product.pk,
                store_id=product.store_id,
                product=product.name,
                kind=kind,
            )
    return media


def product_media_remove(*, media: ProductMedia) -> None:
    """Detach and destroy the asset (after commit, with retries); the gallery closes the gap."""
    with transaction.atomic():
        product_id, public_id = media.product_id, media.public_id
        media.delete()
        for position, item in enumerate(ProductMedia.objects.filter(product_id=product_id).order_by("position", "id")):
            if item.position != position:
                ProductMedia.objects.filter(pk=item.pk).update(position=position)
        outbox_emit(entity=Entity.PRODUCT, entity_id=product_id)
        product = Product.objects.filter(pk=product_id).values("name", "store_id").first() or {}
        audit_record(
            action=Actions.MEDIA_REMOVED,
            target_type="product",
            target_id=product_id,
            store_id=product.get("store_id"),
            product=product.get("name", ""),
        )
        assets_destroy_on_commit(public_ids=[public_id])
