"""The audit log: who changed what in this merchant, written by every service that writes, read as plain sentences.

Writing. Each write service calls `audit_record` inside its own transaction, so an entry exists exactly when the
change does. An entry keeps structured facts, not text: the actor (a user id), the store and branch it concerns (the
columns the scope wall and the filters read), its kind (`AuditKind`, the "type" filter), and in `data` the before
and after values plus the names of what it touched as they were at the time ("Olper's", "1 L", "Liberty Market"),
so a product renamed later does not rewrite history and reading the log costs no query per row.

Who acted. A service that knows its actor says so (`actor_user_id=`: staff services, stock moves, order moves); the
others (catalog, stores) are called from console requests whose actor the access layer resolved, so
`access_console_membership` notes it here (`audit_actor_note`) for the rest of the request, and it is forgotten when
the next request starts (`audit_actor_forget`, on `request_started`). A write with no actor at all (a Celery task, the
marketplace moving an order) is recorded as the system's, or the customer's when `data["by"]` says so.

Reading. `audit_sentence(entry)` turns an entry into one sentence through gettext and `kernel.money.money`:
"Ali raised Olper's 1 L at Liberty Market from Rs 315 to Rs 325".
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.money import money
from tenant_apps.catalog.models import Variant
from tenant_apps.orders.models import OrderStatus
from tenant_apps.staff.models import AuditEntry
from tenant_apps.staff.roles import Role
from tenant_apps.stores.models import Branch


class AuditKind(TextChoices):
    """What an entry is about: the audit page's "type" filter and the first word of every action."""

    PRODUCT = "product", gettext_lazy("Products")
    PRICE = "price", gettext_lazy("Prices and offers")
    STOCK = "stock", gettext_lazy("Stock")
    ORDER = "order", gettext_lazy("Orders")
    REFUND = "refund", gettext_lazy("Refunds")
    STAFF = "staff", gettext_lazy("Staff")
    STORE = "store", gettext_lazy("Stores")
    BRANCH = "branch", gettext_lazy("Branches")


class Actions(StrEnum):
    """Every action an entry may carry ("<kind>.<verb>"); `audit_sentence` has a sentence for each."""

    PRODUCT_CREATED = "product.created"
    PRODUCT_CHANGED = "product.changed"
    PRODUCT_DELETED = "product.deleted"
    VARIANT_CREATED = "product.variant_created"
    VARIANT_CHANGED = "product.variant_changed"
    MEDIA_ADDED = "product.media_added"
    MEDIA_REMOVED = "product.media_removed"
    PRICE_CHANGED = "price.changed"  # a variant's base price
    BRANCH_PRICE_SET = "price.branch_set"  # a branch's own price (an offer when under the base price)
    BRANCH_PRICE_REMOVED = "price.branch_removed"
    STOCK_MOVED = "stock.moved"  # received, adjusted, counted, returned
    STOCK_IMPORTED = "stock.imported"  # a stock CSV: one entry per branch
    PRODUCTS_IMPORTED = "product.imported"  # a products CSV: one entry per store
    ORDER_MOVED = "order.moved"
    REFUND_REQUESTED = "refund.requested"
    INVITATION_CREATED = "staff.invited"
    INVITATION_RESENT = "staff.invitation_resent"
    INVITATION_REVOKED = "staff.invitation_revoked"
    INVITATION_ACCEPTED = "staff.joined"
    MEMBERSHIP_CHANGED = "staff.changed"
    MEMBERSHIP_REMOVED = "staff.removed"
    STORE_CREATED = "store.created"
    STORE_CHANGED = "store.changed"
    BRANCH_CREATED = "branch.created"
    BRANCH_CHANGED = "branch.changed"
    REEL_CREATED = "product.reel_created"  # reels are about products: the audit page lists them there
    REEL_CHANGED = "product.reel_changed"
    REEL_DELETED = "product.reel_deleted"


# Actions named by the first word of what they touch, where that word is not itself a kind.
KIND_OF_PREFIX = {"catalog": AuditKind.PRODUCT, "invitation": AuditKind.STAFF, "membership": AuditKind.STAFF}

# The actor of the current console request, noted by the access layer (see the module docstring).
_request_actor: ContextVar[int | None] = ContextVar("audit_request_actor", default=None)


def audit_actor_note(user_id: int | None) -> None:
    _request_actor.set(user_id)


def audit_actor_forget(**kwargs: Any) -> None:
    """A `request_started` receiver: a thread serves many requests, and one's actor must never sign the next's."""
    _request_actor.set(None)


def _plain(value: Any) -> Any:
    """JSON-safe facts: Decimals as strings ("325.00"), so money keeps its paisa exactly."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def audit_record(
    *,
    action: str,
    target_type: str,
    target_id: int | None,
    store_id: int | None = None,
    branch_id: int | None = None,
    actor_user_id: int | None = None,
    **data: Any,
) -> AuditEntry:
    """Append one entry. Call inside the write's transaction; `actor_user_id` defaults to the request's actor."""
    return AuditEntry.objects.create(
        actor_id=actor_user_id if actor_user_id is not None else _request_actor.get(),
        action=action,
        kind=KIND_OF_PREFIX.get(action.partition(".")[0], action.partition(".")[0]),
        target_type=target_type,
        target_id=target_id,
        store_id=store_id,
        branch_id=branch_id,
        data=_plain(data),
    )


# Names as they are now, for the entry to keep (one query each) ---------------------------------------------------


def variant_names(variant_id: int) -> dict[str, Any]:
    row = Variant.objects.filter(pk=variant_id).values("name", "product_id", "product__name", "product__store_id")
    row = row.first() or {}
    return {
        "product": row.get("product__name", ""),
        "variant": row.get("name", ""),
        "product_id": row.get("product_id"),
        "store_id": row.get("product__store_id"),
    }


def branch_names(branch_id: int | None) -> dict[str, Any]:
    row = Branch.objects.filter(pk=branch_id).values("name", "store_id").first() if branch_id else None
    return {"branch": row["name"], "store_id": row["store_id"]} if row else {"branch": "", "store_id": None}


# Reading -----------------------------------------------------------------------------------------------------------


def _amount(value: Any, currency: str = "PKR") -> str:
    try:
        return money(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _goods(data: dict) -> str:
    """ "Olper's 1 L" (the variant's name only when it has one)."""
    return " ".join(part for part in (data.get("product", ""), data.get("variant", "")) if part) or _("a product")


def _at(data: dict) -> str:
    return _(" at %(branch)s") % {"branch": data["branch"]} if data.get("branch") else ""


def _price_move(who: str, data: dict, *, where: str) -> str:
    before, after = data.get("before"), data.get("after")
    facts = {"who": who, "goods": _goods(data), "where": where, "old": _amount(before), "new": _amount(after)}
    if before is None:
        return _("%(who)s priced %(goods)s%(where)s at %(new)s") % facts
    try:
        raised = Decimal(str(after)) > Decimal(str(before))
    except (InvalidOperation, ValueError, TypeError):
        raised = True
    if raised:
        return _("%(who)s raised %(goods)s%(where)s from %(old)s to %(new)s") % facts
    return _("%(who)s lowered %(goods)s%(where)s from %(old)s to %(new)s") % facts


def _stock_move(who: str, data: dict) -> str:
    facts = {"who": who, "goods": _goods(data), "where": _at(data), "n": abs(int(data.get("delta") or 0))}
    facts["left"] = data.get("on_hand_after")
    reason = data.get("reason", "")
    if reason == "receive":
        text = _("%(who)s received %(n)s of %(goods)s%(where)s")
    elif reason == "count":
        text = _("%(who)s counted %(goods)s%(where)s")
    elif reason == "return":
        text = _("%(who)s put %(n)s of %(goods)s back on the shelf%(where)s")
    elif int(data.get("delta") or 0) < 0:
        text = _("%(who)s took %(n)s of %(goods)s off the stock%(where)s")
    else:
        text = _("%(who)s added %(n)s of %(goods)s to the stock%(where)s")
    if facts["left"] is not None:
        text += _(" (%(left)s on hand)")
    return text % facts


def _changes(data: dict) -> str:
    fields = sorted((data.get("after") or {}).keys())
    return ", ".join(str(FIELD_LABELS.get(name, name.replace("_", " "))) for name in fields) or _("details")


FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "description": gettext_lazy("description"),
    "category_id": gettext_lazy("category"),
    "attributes": gettext_lazy("attributes"),
    "status": gettext_lazy("status"),
    "sku": gettext_lazy("SKU"),
    "barcode": gettext_lazy("barcode"),
    "options": gettext_lazy("options"),
    "phone": gettext_lazy("phone"),
    "opening_hours": gettext_lazy("opening hours"),
    "hours_exceptions": gettext_lazy("holiday hours"),
    "offers_pickup": gettext_lazy("pickup"),
    "offers_delivery": gettext_lazy("delivery"),
    "offers_partner_delivery": gettext_lazy("courier delivery"),
    "delivery_radius_km": gettext_lazy("delivery radius"),
    "delivery_fee": gettext_lazy("delivery fee"),
    "delivery_min_order": gettext_lazy("minimum order"),
    "address": gettext_lazy("address"),
    "area": gettext_lazy("area"),
    "latitude": gettext_lazy("location"),
    "longitude": gettext_lazy("location"),
    "logo": gettext_lazy("logo"),
    "is_active": gettext_lazy("open or closed"),
}


def _role(value: str | None) -> str:
    return str(Role(value).label) if value in Role.values else (value or "")


def _order_status(value: str) -> str:
    """ "out_for_delivery" → "out for delivery", in the reader's language (the entry keeps the bare value)."""
    return str(OrderStatus(value).label).lower() if value in OrderStatus.values else value.replace("_", " ")


SENTENCES: dict[str, Callable[[str, dict], str]] = {
    Actions.PRODUCT_CREATED: lambda who, d: _("%(who)s added the product %(p)s") % {"who": who, "p": d.get("product")},
    Actions.PRODUCT_CHANGED: lambda who, d: (
        _("%(who)s changed the %(what)s of %(p)s") % {"who": who, "what": _changes(d), "p": d.get("product")}
    ),
    Actions.PRODUCT_DELETED: lambda who, d: (
        _("%(who)s deleted the product %(p)s") % {"who": who, "p": d.get("product")}
    ),
    Actions.VARIANT_CREATED: lambda who, d: (
        _("%(who)s added %(goods)s at %(price)s") % {"who": who, "goods": _goods(d), "price": _amount(d.get("price"))}
    ),
    Actions.VARIANT_CHANGED: lambda who, d: (
        _("%(who)s changed the %(what)s of %(goods)s") % {"who": who, "what": _changes(d), "goods": _goods(d)}
    ),
    Actions.MEDIA_ADDED: lambda who, d: _("%(who)s added a picture to %(p)s") % {"who": who, "p": d.get("product")},
    Actions.REEL_CREATED: lambda who, d: _("%(who)s uploaded a reel: “%(c)s”") % {"who": who, "c": d.get("caption")},
    Actions.REEL_CHANGED: lambda who, d: _("%(who)s changed the reel “%(c)s”") % {"who": who, "c": d.get("caption")},
    Actions.REEL_DELETED: lambda who, d: _("%(who)s deleted the reel “%(c)s”") % {"who": who, "c": d.get("caption")},
    Actions.MEDIA_REMOVED: lambda who, d: (
        _("%(who)s removed a picture from %(p)s") % {"who": who, "p": d.get("product")}
    ),
    Actions.PRICE_CHANGED: lambda who, d: _price_move(who, d, where=""),
    Actions.BRANCH_PRICE_SET: lambda who, d: _price_move(who, d, where=_at(d)),
    Actions.BRANCH_PRICE_REMOVED: lambda who, d: (
        _("%(who)s gave %(goods)s%(where)s its base price again (was %(old)s)")
        % {"who": who, "goods": _goods(d), "where": _at(d), "old": _amount(d.get("before"))}
    ),
    Actions.STOCK_MOVED: _stock_move,
    Actions.STOCK_IMPORTED: lambda who, d: (
        ngettext(
            "%(who)s imported a stock count for %(branch)s from a CSV file: %(n)s item changed",
            "%(who)s imported a stock count for %(branch)s from a CSV file: %(n)s items changed",
            d.get("levels") or 0,
        )
        % {"who": who, "branch": d.get("branch"), "n": d.get("levels") or 0}
    ),
    Actions.PRODUCTS_IMPORTED: lambda who, d: (
        _("%(who)s imported products from a CSV file: %(new)s new, %(changed)s changed")
        % {"who": who, "new": d.get("created") or 0, "changed": d.get("updated") or 0}
    ),
    Actions.ORDER_MOVED: lambda who, d: (
        (
            _("%(who)s rejected order %(n)s%(where)s: “%(reason)s”")
            if d.get("to") == "rejected"
            else _("%(who)s moved order %(n)s%(where)s to %(status)s")
        )
        % {
            "who": who,
            "n": d.get("number"),
            "where": _at(d),
            "status": _order_status(d.get("to", "")),
            "reason": d.get("reason", ""),
        }
    ),
    Actions.REFUND_REQUESTED: lambda who, d: (
        _("%(who)s refunded %(amount)s of order %(n)s%(where)s: “%(reason)s”")
        % {
            "who": who,
            "amount": _amount(d.get("amount")),
            "n": d.get("number"),
            "where": _at(d),
            "reason": d.get("reason"),
        }
    ),
    Actions.INVITATION_CREATED: lambda who, d: (
        _("%(who)s invited %(phone)s as %(role)s%(where)s")
        % {"who": who, "phone": d.get("phone"), "role": _role(d.get("role")), "where": _at(d)}
    ),
    Actions.INVITATION_RESENT: lambda who, d: (
        _("%(who)s sent the invitation to %(phone)s again") % {"who": who, "phone": d.get("phone")}
    ),
    Actions.INVITATION_REVOKED: lambda who, d: (
        _("%(who)s withdrew the invitation to %(phone)s") % {"who": who, "phone": d.get("phone")}
    ),
    Actions.INVITATION_ACCEPTED: lambda who, d: (
        _("%(who)s joined as %(role)s%(where)s") % {"who": who, "role": _role(d.get("role")), "where": _at(d)}
    ),
    Actions.MEMBERSHIP_CHANGED: lambda who, d: (
        _("%(who)s made %(member)s %(role)s (was %(old)s)")
        % {
            "who": who,
            "member": d.get("member") or _("a colleague"),
            "role": _role((d.get("after") or {}).get("role")),
            "old": _role((d.get("before") or {}).get("role")),
        }
    ),
    Actions.MEMBERSHIP_REMOVED: lambda who, d: (
        _("%(who)s removed %(member)s (%(role)s)")
        % {"who": who, "member": d.get("member") or _("a colleague"), "role": _role(d.get("role"))}
    ),
    Actions.STORE_CREATED: lambda who, d: _("%(who)s opened the store %(s)s") % {"who": who, "s": d.get("store")},
    Actions.STORE_CHANGED: lambda who, d: (
        _("%(who)s changed the %(what)s of the store %(s)s") % {"who": who, "what": _changes(d), "s": d.get("store")}
    ),
    Actions.BRANCH_CREATED: lambda who, d: _("%(who)s opened the branch %(b)s") % {"who": who, "b": d.get("branch")},
    Actions.BRANCH_CHANGED: lambda who, d: (
        _("%(who)s changed the %(what)s of %(b)s") % {"who": who, "what": _changes(d), "b": d.get("branch")}
    ),
}

# Entries written before the log covered every write named staff actions after their model; the stores' and the
# starter lists' services name their own (stores/services.py, catalog/starter.py) and keep the name in "name".
SENTENCES |= {
    "store.updated": SENTENCES[Actions.STORE_CHANGED],
    "store.closed": lambda who, d: _("%(who)s closed the store %(s)s") % {"who": who, "s": d.get("store") or ""},
    "store.reopened": lambda who, d: _("%(who)s reopened the store %(s)s") % {"who": who, "s": d.get("store") or ""},
    "store.logo_set": lambda who, d: _("%(who)s changed the store's logo") % {"who": who},
    "store.logo_removed": lambda who, d: _("%(who)s removed the store's logo") % {"who": who},
    "branch.updated": SENTENCES[Actions.BRANCH_CHANGED],
    "branch.moved": lambda who, d: _("%(who)s moved %(b)s on the map") % {"who": who, "b": d.get("branch") or ""},
    "branch.hours_set": lambda who, d: (
        _("%(who)s set the opening hours of %(b)s") % {"who": who, "b": d.get("branch") or ""}
    ),
    "catalog.starter_added": lambda who, d: (
        ngettext(
            "%(who)s added %(n)s product from the %(list)s starter list",
            "%(who)s added %(n)s products from the %(list)s starter list",
            d.get("products") or 0,
        )
        % {"who": who, "n": d.get("products") or 0, "list": d.get("list", "")}
    ),
    "invitation.created": SENTENCES[Actions.INVITATION_CREATED],
    "invitation.revoked": SENTENCES[Actions.INVITATION_REVOKED],
    "invitation.accepted": SENTENCES[Actions.INVITATION_ACCEPTED],
    "membership.changed": SENTENCES[Actions.MEMBERSHIP_CHANGED],
    "membership.deactivated": SENTENCES[Actions.MEMBERSHIP_REMOVED],
}


def audit_who(entry: AuditEntry) -> str:
    """The actor's name (or phone); "A customer" or "Planckly" when no staff member acted."""
    if entry.actor_id is not None and entry.actor is not None:
        return entry.actor.name or entry.actor.phone
    if (entry.data or {}).get("by") == "customer":
        return _("A customer")
    return _("Planckly")


def audit_sentence(entry: AuditEntry) -> str:
    """The entry in plain words; an action this version has no sentence for still reads as something."""
    who = audit_who(entry)
    render = SENTENCES.get(entry.action)
    if render is None:
        return _("%(who)s: %(action)s") % {"who": who, "action": entry.action}
    data = dict(entry.data or {})
    if "name" in data:  # services that keep the store's or branch's name as "name"
        data.setdefault("store" if entry.kind == AuditKind.STORE else "branch", data["name"])
    try:
        return render(who, data)
    except (KeyError, TypeError, ValueError):
        return _("%(who)s: %(action)s") % {"who": who, "action": entry.action}
