"""Store and branch writes; hours, location and delivery terms are customer-visible, so each emits an outbox event."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from kernel.errors import DomainError, ErrorCode
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit
from tenant_apps.staff.audit import Actions, audit_record
from tenant_apps.stores.hours import DAYS
from tenant_apps.stores.models import Branch, Store

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StoresErrorCode(ErrorCode):
    NAME_INVALID = ("name_invalid", 400, "Give it a name of 2-120 characters.")
    SLUG_TAKEN = ("store_slug_taken", 409, "Another store already has this name.")
    LOCATION_INVALID = ("location_invalid", 400, "Latitude must be -90..90 and longitude -180..180.")
    HOURS_INVALID = ("hours_invalid", 400, 'Hours look like {"mon": [["09:00", "21:00"]]}; times HH:MM, open < close.')
    DELIVERY_INVALID = ("delivery_invalid", 400, "Delivery radius, fee and minimum order are zero or more.")


class StoresError(DomainError):
    pass


def _name(value: str) -> str:
    value = (value or "").strip()
    if not 2 <= len(value) <= 120:
        raise StoresError(StoresErrorCode.NAME_INVALID, field="name")
    return value


def _periods(periods: Any, field: str) -> list[list[str]]:
    if not isinstance(periods, list):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
    for period in periods:
        if not (isinstance(period, list | tuple) and len(period) == 2 and all(_TIME.match(str(t)) for t in period)):
            raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
        if period[0] >= period[1]:
            raise StoresError(StoresErrorCode.HOURS_INVALID, field=field)
    return [list(p) for p in periods]


def hours_validate(hours: dict, exceptions: dict | None = None) -> tuple[dict, dict]:
    """Weekly hours {day: [[open, close], ...]} (missing day = closed) and date exceptions {YYYY-MM-DD: periods}."""
    if not isinstance(hours, dict) or any(day not in DAYS for day in hours):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field="opening_hours")
    clean = {day: _periods(periods, "opening_hours") for day, periods in hours.items()}
    exceptions = exceptions or {}
    if not isinstance(exceptions, dict) or any(not _DATE.match(str(d)) for d in exceptions):
        raise StoresError(StoresErrorCode.HOURS_INVALID, field="hours_exceptions")
    return clean, {d: _periods(p, "hours_exceptions") for d, p in exceptions.items()}


def _decimal(value: Any, field: str, code: ErrorCode) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise StoresError(code, field=field) from exc
    if not number.is_finite():
        raise StoresError(code, field=field)
    return number


def _branch_fields(data: dict[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    if "name" in clean:
        clean["name"] = _name(clean["name"])
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        if key in clean:
            number = _decimal(clean[key], key, StoresErrorCode.LOCATION_INVALID)
            if not low <= number <= high:
                raise StoresError(StoresErrorCode.LOCATION_INVALID, field=key)
            clean[key] = number.quantize(Decimal("0.000001"))
    for key in ("delivery_radius_km", "delivery_fee", "delivery_min_order"):
        if key in clean:
            number = _decimal(clean[key], key, StoresErrorCode.DELIVERY_INVALID)
            if number < 0:
                raise StoresError(StoresErrorCode.DELIVERY_INVALID, field=key)
            clean[key] = number
    if "opening_hours" in clean or "hours_exceptions" in clean:
        clean["opening_hours"], clean["hours_exceptions"] = hours_validate(
            clean.get("opening_hours", {}), clean.get("hours_exceptions", {})
        )
    return clean


def _changed_audit(
    action: str,
    target_type: str,
    target_id: int,
    store_id: int | None,
    branch_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    **names: Any,
) -> None:
    """One entry with the fields that really changed (a form that saves everything records only its edits)."""
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    if changed:
        audit_record(
            action=action,
            target_type=target_type,
            target_id=target_id,
            store_id=store_id,
            branch_id=branch_id,
            before={key: before.get(key) for key in changed},
            after=changed,
            **names,
        )


def store_create(*, name: str, description: str = "", phone: str = "") -> Store:
    name = _name(name)
    try:
        with transaction.atomic():
            store = Store.objects.create(name=name, slug=slugify(name)[:60], description=description, phone=phone)
            outbox_emit(entity=Entity.STORE, entity_id=store.pk)
            audit_record(
                action=Actions.STORE_CREATED, target_type="store", target_id=store.pk, store_id=store.pk, store=name
            )
    except IntegrityError as exc:
        raise StoresError(StoresErrorCode.SLUG_TAKEN, field="name") from exc
    return store


def store_update(*, store: Store, **changes: Any) -> Store:
    if "name" in changes:
        changes["name"] = _name(changes["name"])
    with transaction.atomic():
        before = Store.objects.filter(pk=store.pk).values(*changes).first() or {}
        Store.objects.filter(pk=store.pk).update(**changes)
        outbox_emit(entity=Entity.STORE, entity_id=store.pk)
        _changed_audit(Actions.STORE_CHANGED, "store", store.pk, store.pk, None, before, changes, store=store.name)
    store.refresh_from_db()
    return store


def branch_create(*, store: Store, **fields: Any) -> Branch:
    """A new branch: name, address, latitude, longitude required; hours and delivery terms validated."""
    clean = _branch_fields(fields)
    with transaction.atomic():
        branch = Branch.objects.create(store=store, **clean)
        outbox_emit(entity=Entity.BRANCH, entity_id=branch.pk)
        audit_record(
            action=Actions.BRANCH_CREATED,
            target_type="branch",
            target_id=branch.pk,
            store_id=store.pk,
            branch_id=branch.pk,
            branch=branch.name,
            store=store.name,
        )
    return branch


def branch_update(*, branch: Branch, **changes: Any) -> Branch:
    clean = _branch_fields(changes)
    with transaction.atomic():
        before = Branch.objects.filter(pk=branch.pk).values(*clean).first() or {}
        Branch.objects.filter(pk=branch.pk).update(**clean)
        outbox_emit(entity=Entity.BRANCH, entity_id=branch.pk)
        _changed_audit(
            Actions.BRANCH_CHANGED, "branch", branch.pk, branch.store_id, branch.pk, before, clean, branch=branch.name
        )
    branch.refresh_from_db()
    return branch
