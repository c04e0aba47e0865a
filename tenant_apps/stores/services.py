"""Store and branch writes. Each runs in one transaction with its audit entry (who did it, before and after) and,
as names, logos, hours, location and delivery terms are customer-visible, an outbox event: the publisher rebuilds
the listings of what changed from the schema's current state, so closing a store hides its branches' listings and
moving a branch moves its listings (their coordinates and map cells).

Validation lives here, not in the forms: the console pages and the API refuse the same input with the same
StoresError (code, message, field)."""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from kernel.inputs import FEE_MAX_DIGITS, RADIUS_MAX_DIGITS, amount_parse
from shared_apps.media.services import assets_destroy_on_commit, tenant_of_public_id
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit
from tenant_apps.staff.models import Membership
from tenant_apps.staff.services import audit_write
from tenant_apps.stores.areas import CITIES, DEFAULT_CITY
from tenant_apps.stores.errors import StoresError, StoresErrorCode
from tenant_apps.stores.hours import DAYS
from tenant_apps.stores.hours_form import DAY_LABELS
from tenant_apps.stores.models import Branch, Store

__all__ = [
    "DAYS",
    "StoresError",
    "StoresErrorCode",
    "branch_create",
    "branch_delivery_set",
    "branch_hours_set",
    "branch_update",
    "hours_validate",
    "store_close",
    "store_create",
    "store_logo_remove",
    "store_logo_set",
    "store_reopen",
    "store_update",
]

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
MAX_PREPARATION_MINUTES = 24 * 60  # a promise further than a day is not a preparation time
MAX_RADIUS_KM = Decimal("50")  # further than a rider's round trip in city traffic: a courier's job, not a branch's
STORE_FIELDS = frozenset({"name", "description", "phone", "is_active"})
# What the audit log records of a branch change: every field a person edits (not the JSON of its hours in full).
_BRANCH_AUDITED = (
    "name",
    "address",
    "area",
    "city",
    "latitude",
    "longitude",
    "phone",
    "email",
    "offers_pickup",
    "offers_delivery",
    "delivery_radius_km",
    "delivery_fee",
    "delivery_min_order",
    "offers_partner_delivery",
    "preparation_minutes",
    "is_active",
)


# ---- field rules ---------------------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    value = str(value or "").strip()
    if not 2 <= len(value) <= 120:
        raise StoresError(StoresErrorCode.NAME_INVALID, field="name")
    return value


def _phone(value: Any, field: str = "phone") -> str:
    value = str(value or "").strip()
    if value and not (_PHONE.match(value) and 7 <= sum(c.isdigit() for c in value) <= 15):
        raise StoresError(StoresErrorCode.PHONE_INVALID, field=field)
    return value


def _text(value: Any, field: str, limit: int) -> str:
    value = str(value or "").strip()
    if len(value) > limit:
        raise StoresError(StoresErrorCode.TEXT_TOO_LONG, field=field)
    return value


def _decimal(value: Any, field: str, code: StoresErrorCode) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, bool):
        raise StoresError(code, field=field)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise StoresError(code, field=field) from exc
    if not number.is_finite():
        raise StoresError(code, field=field)
    return number


def _periods(periods: Any, field: str) -> list[list[str]]:
    """One day's opening times: [[open, close], ...], each HH:MM with open < close (24:00 closes at midnight;
    hours.py has no overnight periods, so a shop open past midnight closes at 24:00 and opens at 00:00)."""
    if not isinstance(periods, list):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
    clean = []
    for period in periods:
        if not (isinstance(period, list | tuple) and len(period) == 2 and all(_TIME.match(str(t)) for t in period)):
            raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
        if period[0] >= period[1]:
            raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
        clean.append([str(period[0]), str(period[1])])
    clean.sort()
    if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(clean)):
        raise StoresError(StoresErrorCode.HOURS_OVERLAP, field=field)
    return clean


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return len(str(value)) == 10


def hours_validate(hours: Any, exceptions: Any = None) -> tuple[dict, dict]:
    """Weekly hours {day: [[open, close], ...]} (a missing day or [] = closed) and date exceptions
    {YYYY-MM-DD: periods} ([] = closed that day). Returns both cleaned (periods sorted); raises HOURS_INVALID or
    HOURS_OVERLAP with the field it is about."""
    if not isinstance(hours, dict) or any(day not in DAYS for day in hours):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field="opening_hours")
    clean = {
        day: _periods_named(hours[day], "opening_hours", str(DAY_LABELS[day]), day) for day in DAYS if day in hours
    }
    exceptions = exceptions or {}
    if not isinstance(exceptions, dict) or any(not _is_date(d) for d in exceptions):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field="hours_exceptions")
    return clean, {d: _periods_named(exceptions[d], "hours_exceptions", d, d) for d in sorted(exceptions)}


def _periods_named(periods: Any, field: str, name: str, key: str) -> list[list[str]]:
    """_periods, its error saying which day ("Tuesday: ...") for the person and which key (extra.at) for a client."""
    try:
        return _periods(periods, field)
    except StoresError as exc:
        raise StoresError(exc.code, f"{name}: {exc.message}", field=field, extra={"at": key}) from exc


def _location(clean: dict[str, Any], current: Branch | None) -> None:
    """Latitude and longitude in range and, for a city Planckly serves, inside it (a pin dropped in the sea or on
    another continent is a slip of the finger, not a branch)."""
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        if key in clean:
            value = clean[key]
            if value is None or (isinstance(value, str) and not value.strip()):
                raise StoresError(StoresErrorCode.LOCATION_MISSING, field=key)
            number = _decimal(value, key, StoresErrorCode.LOCATION_INVALID)
            if not low <= number <= high:
                raise StoresError(StoresErrorCode.LOCATION_INVALID, field=key)
            clean[key] = number.quantize(Decimal("0.000001"))
    if not {"latitude", "longitude", "city"} & clean.keys():
        return
    latitude = clean.get("latitude", current.latitude if current else None)
    longitude = clean.get("longitude", current.longitude if current else None)
    city = CITIES.get(clean.get("city") or (current.city if current else DEFAULT_CITY))
    if latitude is None or longitude is None:
        raise StoresError(StoresErrorCode.LOCATION_MISSING, field="latitude")
    if city is not None and not city.contains(Decimal(latitude), Decimal(longitude)):
        raise StoresError(StoresErrorCode.LOCATION_OUTSIDE_CITY, field="latitude")


def _delivery(clean: dict[str, Any], current: Branch | None) -> None:
    """Terms zero or more; own delivery needs a radius (0 km delivers nowhere) of at most MAX_RADIUS_KM; a branch
    offers at least one way to get an order. Checked on the terms as they will be after the change."""
    for key in ("delivery_radius_km", "delivery_fee", "delivery_min_order"):
        if key in clean:
            number = _decimal(clean[key], key, StoresErrorCode.DELIVERY_INVALID)
            try:  # the columns' bounds: numeric(5, 2) for the radius, numeric(10, 2) for the money terms
                number = amount_parse(
                    number, max_digits=RADIUS_MAX_DIGITS if key == "delivery_radius_km" else FEE_MAX_DIGITS
                )
            except ValueError as exc:
                raise StoresError(StoresErrorCode.DELIVERY_INVALID, field=key) from exc
            if number < 0:
                raise StoresError(StoresErrorCode.DELIVERY_INVALID, field=key)
            clean[key] = number
    flags = {"offers_pickup", "offers_delivery", "offers_partner_delivery", "delivery_radius_km"}
    if not flags & clean.keys():
        return

    def after(key: str, default: Any) -> Any:
        return clean[key] if key in clean else getattr(current, key, default)

    radius = Decimal(after("delivery_radius_km", Decimal("0")))
    if after("offers_delivery", False):
        if radius <= 0:
            raise StoresError(StoresErrorCode.DELIVERY_RADIUS_MISSING, field="delivery_radius_km")
        if radius > MAX_RADIUS_KM:
            raise StoresError(StoresErrorCode.DELIVERY_RADIUS_TOO_FAR, field="delivery_radius_km")
    if not (after("offers_pickup", True) or after("offers_delivery", False) or after("offers_partner_delivery", False)):
        raise StoresError(StoresErrorCode.NOTHING_OFFERED, field="offers_pickup")


def _branch_fields(data: dict[str, Any], current: Branch | None = None) -> dict[str, Any]:
    clean = dict(data)
    if "name" in clean:
        clean["name"] = _name(clean["name"])
    if "address" in clean:
        clean["address"] = str(clean["address"] or "").strip()
        if not 3 <= len(clean["address"]) <= 255:
            raise StoresError(StoresErrorCode.ADDRESS_INVALID, field="address")
    for key, limit in (("area", 80), ("city", 80), ("email", 254)):
        if key in clean:
            clean[key] = _text(clean[key], key, limit)
    if "phone" in clean:
        clean["phone"] = _phone(clean["phone"])
    _location(clean, current)
    _delivery(clean, current)
    if "preparation_minutes" in clean:
        minutes = _decimal(clean["preparation_minutes"], "preparation_minutes", StoresErrorCode.DELIVERY_INVALID)
        if not 0 <= minutes <= MAX_PREPARATION_MINUTES or minutes != int(minutes):
            raise StoresError(StoresErrorCode.DELIVERY_INVALID, field="preparation_minutes")
        clean["preparation_minutes"] = int(minutes)
    if "opening_hours" in clean or "hours_exceptions" in clean:
        clean["opening_hours"], clean["hours_exceptions"] = hours_validate(
            clean.get("opening_hours", current.opening_hours if current else {}),
            clean.get("hours_exceptions", current.hours_exceptions if current else {}),
        )
    return clean


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _user_of(by: Membership | None) -> int | None:
    return by.user_id if by is not None else None


# ---- stores --------------------------------------------------------------------------------------------------------


def _slug_for(name: str) -> str:
    """A slug from the name, unique among the merchant's stores: "Bakers Inn" -> bakers-inn (then bakers-inn-2 when
    another name slugs the same, e.g. "Bakers' Inn"). A name without Latin letters gets "store"."""
    base = slugify(name)[:54].strip("-") or "store"
    taken = set(Store.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def store_create(*, name: str, description: str = "", phone: str = "", by: Membership | None = None) -> Store:
    """A new open store with a unique slug generated from its name. Raises NAME_INVALID, PHONE_INVALID,
    TEXT_TOO_LONG, or SLUG_TAKEN (409) when another store already has this name (any case)."""
    name = _name(name)
    description, phone = _text(description, "description", 2000), _phone(phone)
    if Store.objects.filter(name__iexact=name).exists():
        raise StoresError(StoresErrorCode.SLUG_TAKEN, field="name")
    try:
        with transaction.atomic():
            store = Store.objects.create(name=name, slug=_slug_for(name), description=description, phone=phone)
            outbox_emit(entity=Entity.STORE, entity_id=store.pk)
            audit_write(actor_user_id=_user_of(by), action="store.created", target=store, store_id=store.pk, name=name)
    except IntegrityError as exc:  # a twin created the same slug between our read and our insert
        raise StoresError(StoresErrorCode.SLUG_TAKEN, field="name") from exc
    return store


def store_update(*, store: Store, by: Membership | None = None, **changes: Any) -> Store:
    """Rename, describe, set the phone, close (is_active=False) or reopen a store; the slug stays, so links to the
    shop keep working after a rename. Closing hides every listing of its branches (the publisher lists only open
    stores). Raises NAME_INVALID, PHONE_INVALID, TEXT_TOO_LONG, SLUG_TAKEN; with no change, writes nothing."""
    unknown = set(changes) - STORE_FIELDS
    if unknown:
        raise TypeError(f"store_update() got unexpected fields: {sorted(unknown)}")
    if "name" in changes:
        changes["name"] = _name(changes["name"])
        if Store.objects.filter(name__iexact=changes["name"]).exclude(pk=store.pk).exists():
            raise StoresError(StoresErrorCode.SLUG_TAKEN, field="name")
    if "description" in changes:
        changes["description"] = _text(changes["description"], "description", 2000)
    if "phone" in changes:
        changes["phone"] = _phone(changes["phone"])
    if "is_active" in changes:
        changes["is_active"] = bool(changes["is_active"])
    with transaction.atomic():
        current = Store.objects.select_for_update().get(pk=store.pk)
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if changed:
            Store.objects.filter(pk=store.pk).update(**changed)
            outbox_emit(entity=Entity.STORE, entity_id=store.pk)
            action = {False: "store.closed", True: "store.reopened"}.get(changed.get("is_active"), "store.updated")
            audit_write(
                actor_user_id=_user_of(by),
                action=action,
                target=store,
                store_id=store.pk,
                before={k: getattr(current, k) for k in changed},
                after=changed,
            )
    store.refresh_from_db()
    return store


def store_close(*, store: Store, by: Membership | None = None) -> Store:
    """Stop selling: the store's branches leave the marketplace (listings hidden through the outbox); nothing is
    deleted, and reopening lists them again. Idempotent."""
    return store_update(store=store, by=by, is_active=False)


def store_reopen(*, store: Store, by: Membership | None = None) -> Store:
    """List the store's open branches again. Idempotent."""
    return store_update(store=store, by=by, is_active=True)


def store_logo_set(*, store: Store, public_id: str, by: Membership | None = None) -> Store:
    """Make an uploaded image (a MediaAsset of this merchant) the store's logo; the previous logo is destroyed at
    Cloudinary after commit, with retries. Raises LOGO_INVALID for an asset of another merchant or no asset."""
    if not public_id or tenant_of_public_id(public_id) != connection.schema_name:
        raise StoresError(StoresErrorCode.LOGO_INVALID, field="logo")
    with transaction.atomic():
        current = Store.objects.select_for_update().get(pk=store.pk)
        if current.logo_public_id == public_id:
            return current
        Store.objects.filter(pk=store.pk).update(logo_public_id=public_id)
        outbox_emit(entity=Entity.STORE, entity_id=store.pk)
        audit_write(actor_user_id=_user_of(by), action="store.logo_set", target=store, store_id=store.pk)
        if current.logo_public_id:
            assets_destroy_on_commit(public_ids=[current.logo_public_id])
    store.refresh_from_db()
    return store


def store_logo_remove(*, store: Store, by: Membership | None = None) -> Store:
    """Take the logo off and destroy it at Cloudinary after commit. Idempotent."""
    with transaction.atomic():
        current = Store.objects.select_for_update().get(pk=store.pk)
        if current.logo_public_id:
            Store.objects.filter(pk=store.pk).update(logo_public_id="")
            outbox_emit(entity=Entity.STORE, entity_id=store.pk)
            audit_write(actor_user_id=_user_of(by), action="store.logo_removed", target=store, store_id=store.pk)
            assets_destroy_on_commit(public_ids=[current.logo_public_id])
    store.refresh_from_db()
    return store


# ---- branches ------------------------------------------------------------------------------------------------------


def branch_create(*, store: Store, by: Membership | None = None, **fields: Any) -> Branch:
    """A new branch: name, address, latitude, longitude required (the pin inside a served city); hours and delivery
    terms validated. Raises StoresError with the field at fault; STORE_CLOSED for a closed store."""
    if not store.is_active:
        raise StoresError(StoresErrorCode.STORE_CLOSED, field="store_id")
    for required in ("name", "address", "latitude", "longitude"):
        fields.setdefault(required, "")
    clean = _branch_fields(fields)
    with transaction.atomic():
        branch = Branch.objects.create(store=store, **clean)
        outbox_emit(entity=Entity.BRANCH, entity_id=branch.pk)
        audit_write(
            actor_user_id=_user_of(by),
            action="branch.created",
            target=branch,
            store_id=store.pk,
            branch_id=branch.pk,
            name=branch.name,
            latitude=str(branch.latitude),
            longitude=str(branch.longitude),
        )
    return branch


def branch_update(*, branch: Branch, by: Membership | None = None, **changes: Any) -> Branch:
    """Change any of a branch's fields, validated against the branch as it will be after the change (a radius for
    own delivery, at least one way to get an order, the pin in its city). A move re-publishes its listings at the
    new place. With no change, writes nothing."""
    with transaction.atomic():
        current = Branch.objects.select_for_update().get(pk=branch.pk)
        clean = _branch_fields(changes, current)
        changed = {k: v for k, v in clean.items() if getattr(current, k) != v}
        if changed:
            Branch.objects.filter(pk=branch.pk).update(**changed)
            outbox_emit(entity=Entity.BRANCH, entity_id=branch.pk)
            audited = [k for k in _BRANCH_AUDITED if k in changed]
            hours = [k for k in ("opening_hours", "hours_exceptions") if k in changed]
            action = "branch.moved" if {"latitude", "longitude"} & changed.keys() else "branch.updated"
            if hours and not audited:
                action = "branch.hours_set"
            audit_write(
                actor_user_id=_user_of(by),
                action=action,
                target=branch,
                store_id=current.store_id,
                branch_id=branch.pk,
                before={k: _jsonable(getattr(current, k)) for k in audited + hours},
                after={k: _jsonable(changed[k]) for k in audited + hours},
            )
    branch.refresh_from_db()
    return branch


def branch_hours_set(
    *, branch: Branch, opening_hours: dict, hours_exceptions: dict, by: Membership | None = None
) -> Branch:
    """Replace the weekly hours and the date exceptions together (what the hours page saves)."""
    return branch_update(branch=branch, by=by, opening_hours=opening_hours, hours_exceptions=hours_exceptions)


def branch_delivery_set(
    *,
    branch: Branch,
    offers_pickup: bool,
    offers_delivery: bool,
    delivery_radius_km: Any,
    delivery_fee: Any,
    delivery_min_order: Any,
    offers_partner_delivery: bool,
    preparation_minutes: Any = None,
    by: Membership | None = None,
) -> Branch:
    """Replace the branch's delivery options together (what the delivery page saves). Raises DELIVERY_INVALID,
    DELIVERY_RADIUS_MISSING, DELIVERY_RADIUS_TOO_FAR, NOTHING_OFFERED."""
    return branch_update(
        branch=branch,
        by=by,
        offers_pickup=offers_pickup,
        offers_delivery=offers_delivery,
        delivery_radius_km=delivery_radius_km,
        delivery_fee=delivery_fee,
        delivery_min_order=delivery_min_order,
        offers_partner_delivery=offers_partner_delivery,
        **({} if preparation_minutes is None else {"preparation_minutes": preparation_minutes}),
    )
