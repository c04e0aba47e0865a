"""What the checkout page shows and posts: the form's values (prefilled for a signed-in customer, a fresh
Idempotency-Key per rendering), the CheckoutRequest built from them, and a checkout error placed next to the field
it is about.

The delivery address is a saved one (signed in) or a new one whose map pin the customer places; delivery options,
the shops' opening (closed now: the next opening and later slots) and each option's promised time are judged from
that pin — the page re-renders the shops' part (`checkout/_groups.html`) when the pin or the choice changes.

Partner delivery shows the courier's own price: choosing it asks for a quote (page_quote), the option says "getting
the courier's price…" and polls /checkout/quote/<key> until the courier answers, then the fee and until when it
holds. A quote that expired (or a checkout refused with quote_expired) is asked again for the same address, and a
fee that changed is said before the customer confirms again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kernel.errors import DomainError
from kernel.money import money
from marketplace.cart.page_context import cart_context, pricing_point
from marketplace.cart.pricing import PricedCart
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.errors import CheckoutError, CheckoutErrorCode
from marketplace.checkout.promise import group_promised_at
from marketplace.checkout.schedule import branch_schedule, when_label
from marketplace.checkout.services import (
    CheckoutRequest,
    GroupChoice,
    QuoteStatus,
    checkout_quote,
    checkout_quote_ask,
    quote_pin,
)
from marketplace.discovery.location import Location
from shared_apps.accounts.models import Address
from shared_apps.logistics.errors import LogisticsError, LogisticsErrorCode
from shared_apps.payments.models import PaymentMethod
from tenant_apps.orders.models import Fulfilment

PAYMENT_METHODS = (
    {
        "value": PaymentMethod.COD,
        "label": "Cash on delivery",
        "note": "Pay each shop when you get your order.",
        "enabled": True,
    },
    {
        "value": PaymentMethod.FOREE,
        "label": "Foree Pay",
        "note": "Pay now from your bank app, card or wallet.",
        "enabled": True,
    },
    {
        "value": PaymentMethod.JAZZCASH,
        "label": "JazzCash",
        "note": "Pay now from your JazzCash mobile account.",
        "enabled": True,
    },
)
ENABLED_METHODS = {m["value"] for m in PAYMENT_METHODS if m["enabled"]}
FULFILMENT_FIELD = "fulfilment-"  # + the group's key
SCHEDULE_FIELD = "schedule-"  # + the group's key: an ISO time, or "" for as soon as possible
QUOTE_FIELD = "quote-"  # + the group's key: the partner courier's quote shown
QUOTE_WAS_FIELD = "quote_was-"  # + the group's key: the fee of the quote it replaced (an expired one), to say a change
QUOTE_POLLS = 15  # the page asks every second; after this many the courier is "not answering"
NEW_ADDRESS = "new"
NEW_FIELDS = ("label", "street", "area", "city", "notes", "latitude", "longitude")  # posted as new_<name>


@dataclass
class CheckoutForm:
    idempotency_key: str
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    note: str = ""
    payment_method: str = PaymentMethod.COD
    fulfilment: dict[str, str] = field(default_factory=dict)  # group key → pickup | delivery | partner
    schedule: dict[str, str] = field(default_factory=dict)  # group key → ISO time wanted, "" as soon as possible
    address_choice: str = NEW_ADDRESS  # a saved address's id, or "new"
    new_address: dict[str, str] = field(default_factory=dict)  # NEW_FIELDS → value
    save_address: bool = True
    quotes: dict[str, str] = field(default_factory=dict)  # group key → the courier's quote key shown
    quote_was: dict[str, str] = field(default_factory=dict)  # group key → the fee of the expired quote it replaced

    def saved_address_id(self) -> int | None:
        return int(self.address_choice) if self.address_choice.isdigit() else None


def checkout_form_initial(user: Any, addresses: list[Address], location: Location) -> CheckoutForm:
    """A new form: a fresh key (one order per rendering, however often it is submitted), the account's name/phone,
    its default address chosen; a new address's pin starts where the customer browses from."""
    form = CheckoutForm(idempotency_key=uuid.uuid4().hex)
    if user.is_authenticated:
        form.contact_name, form.contact_phone = user.name, user.phone
    if addresses:
        form.address_choice = str(addresses[0].pk)  # the default comes first
    lat, lng = pricing_point(location)
    form.new_address = {"label": "Home", "latitude": "" if lat is None else f"{lat:.6f}"}
    form.new_address["longitude"] = "" if lng is None else f"{lng:.6f}"
    return form


def checkout_form_posted(post: QueryDict) -> CheckoutForm:
    return CheckoutForm(
        idempotency_key=post.get("idempotency_key", ""),
        contact_name=post.get("contact_name", "").strip(),
        contact_phone=post.get("contact_phone", "").strip(),
        address=post.get("address", "").strip(),
        note=post.get("note", "").strip(),
        payment_method=post.get("payment_method", ""),
        fulfilment={k.removeprefix(FULFILMENT_FIELD): v for k, v in post.items() if k.startswith(FULFILMENT_FIELD)},
        schedule={k.removeprefix(SCHEDULE_FIELD): v for k, v in post.items() if k.startswith(SCHEDULE_FIELD)},
        address_choice=post.get("address_choice", NEW_ADDRESS),
        new_address={name: post.get(f"new_{name}", "").strip() for name in NEW_FIELDS}
        | ({"street": post.get("address", "").strip()} if not post.get("new_street") and post.get("address") else {}),
        save_address=bool(post.get("save_address")),
        quotes={k.removeprefix(QUOTE_FIELD): v for k, v in post.items() if k.startswith(QUOTE_FIELD) and v},
        quote_was={k.removeprefix(QUOTE_WAS_FIELD): v for k, v in post.items() if k.startswith(QUOTE_WAS_FIELD) and v},
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def delivery_point(
    form: CheckoutForm, addresses: list[Address], location: Location
) -> tuple[float | None, float | None]:
    """Where delivery is judged from on the page: the chosen saved address, the new address's pin, else (nothing
    placed yet) the browsing location."""
    saved = form.saved_address_id()
    chosen = next((a for a in addresses if a.pk == saved), None)
    if chosen is not None:
        return float(chosen.latitude), float(chosen.longitude)
    lat, lng = _number(form.new_address.get("latitude", "")), _number(form.new_address.get("longitude", ""))
    return (lat, lng) if lat is not None and lng is not None else pricing_point(location)


def checkout_request(form: CheckoutForm, addresses: list[Address], location: Location) -> CheckoutRequest:
    """What checkout_place is asked for. Raises PAYMENT_METHOD_INVALID for a method the page does not offer."""
    if form.payment_method not in ENABLED_METHODS:
        raise CheckoutError(CheckoutErrorCode.PAYMENT_METHOD_INVALID, "Choose how to pay.", field="payment_method")
    groups = tuple(
        GroupChoice(
            key,
            kind,
            scheduled_for=form.schedule.get(key, ""),
            quote=form.quotes.get(key, "") if kind == Fulfilment.PARTNER else "",
        )
        for key, kind in sorted(form.fulfilment.items())
    )
    common = {
        "payment_method": form.payment_method,
        "contact_phone": form.contact_phone,
        "contact_name": form.contact_name,
        "note": form.note,
        "groups": groups,
    }
    saved = form.saved_address_id()
    if saved is not None:
        lat, lng = delivery_point(form, addresses, location)
        return CheckoutRequest(**common, address_id=saved, lat=lat, lng=lng)
    new = form.new_address
    lat, lng = delivery_point(form, addresses, location)
    return CheckoutRequest(
        **common,
        address=new.get("street", ""),
        address_area=new.get("area", ""),
        address_city=new.get("city", ""),
        address_notes=new.get("notes", ""),
        address_label=new.get("label", ""),
        save_address=form.save_address,
        lat=lat,
        lng=lng,
    )


def checkout_errors(exc: DomainError) -> tuple[dict[str, str], dict[int, str]]:
    """A checkout failure as (messages by field, messages by cart line). Fields: contact_phone, address,
    payment_method, group:<key>, form (above the form)."""
    errors: dict[str, str] = {}
    lines: dict[int, str] = {}
    if exc.code == CheckoutErrorCode.PRICES_CHANGED:
        for line in exc.extra.get("lines", []):
            lines[line["id"]] = f"Price changed from {money(Decimal(line['was']))} to {money(Decimal(line['now']))}"
        errors["form"] = "Some prices changed since you last saw them. Check the new prices, then place the order."
    elif exc.code == CheckoutErrorCode.OUT_OF_STOCK:
        for line in exc.extra.get("lines", []):
            lines[line["id"]] = f"Only {line['available']} left." if line["available"] else "Out of stock now."
        errors["form"] = exc.message
    elif exc.code == CheckoutErrorCode.FULFILMENT_UNAVAILABLE and exc.extra.get("group"):
        errors[f"group:{exc.extra['group']}"] = exc.message
    elif exc.code in (
        CheckoutErrorCode.SHOP_CLOSED,
        CheckoutErrorCode.SCHEDULE_INVALID,
        CheckoutErrorCode.QUOTE_EXPIRED,
        CheckoutErrorCode.QUOTE_PENDING,
        CheckoutErrorCode.QUOTE_REQUIRED,
        CheckoutErrorCode.QUOTE_UNKNOWN,
    ):
        group = exc.extra.get("group")
        errors[f"group:{group}" if group else "form"] = str(exc.message)
    elif exc.code == CheckoutErrorCode.ADDRESS_UNKNOWN:
        errors["address"] = str(exc.message)
    elif exc.code == CheckoutErrorCode.KEY_REUSED:
        errors["form"] = "This form was already used to place an order. See your orders, or place this one again."
        errors["key_reused"] = "yes"
    elif exc.field in ("contact_phone", "address", "payment_method"):
        phone = exc.field == "contact_phone"
        errors[exc.field] = "Enter a mobile number, e.g. 0300 1234567 or +923001234567." if phone else exc.message
    else:
        errors["form"] = exc.message
    return errors, lines


def _chosen(group: dict[str, Any], wanted: str | None) -> str | None:
    kinds = [o["kind"] for o in group["options"] if o["available"]]
    if wanted in kinds:
        return wanted
    return Fulfilment.PICKUP if Fulfilment.PICKUP in kinds else (kinds[0] if kinds else None)


def _when(group: dict[str, Any], priced_group, wanted: str, now: datetime) -> datetime | None:
    """The group's schedule on the page: open now, or its next opening and the slots offered. Returns when the part
    would start (now, or the time chosen), None when the shop cannot take the order within the horizon."""
    terms = priced_group.terms if priced_group else None
    hours, exceptions = (terms.opening_hours, terms.hours_exceptions) if terms else ({}, {})
    schedule = branch_schedule(hours, exceptions, now=now)
    group["schedule_field"] = SCHEDULE_FIELD + group["key"]
    group["open_now"] = schedule.open_now
    group["slots"] = []
    if schedule.open_now:
        return now
    opening = schedule.next_opening
    if opening is None:
        group["closed_text"] = _("Closed, and not open in the next few days: it cannot take this order.")
        return None
    group["closed_text"] = _("Closed now. Opens %(when)s.") % {"when": when_label(opening, now=now)}
    slots = schedule.slots()
    chosen = parse_datetime(wanted) if wanted else None
    chosen = chosen if chosen in slots else opening
    group["slots"] = [
        {
            "value": slot.isoformat(),
            "label": (
                _("As soon as it opens (%(when)s)") % {"when": when_label(slot, now=now)}
                if slot == opening
                else when_label(slot, now=now)
            ),
            "chosen": slot == chosen,
        }
        for slot in slots
    ]
    return chosen


def page_quote(
    shopper: Shopper, form: CheckoutForm, addresses: list[Address], location: Location, group_key: str
) -> dict[str, Any]:
    """The courier's price for one group chosen for partner delivery, as the page shows it: the form's quote while
    it holds for this address, else a new one asked for (an expired one's fee kept in `was`, to tell a change).
    Keys: key, status (pending | ready | refused), fee, expires_at, was, problem (why the courier cannot)."""
    lat, lng = delivery_point(form, addresses, location)
    was = form.quote_was.get(group_key, "")
    key = form.quotes.get(group_key, "")
    state = None
    if key:
        try:
            state = checkout_quote(shopper=shopper, key=key)
        except CheckoutError:
            state = None  # not this shopper's, or gone: ask again
        except LogisticsError as error:
            # Undeliverable holds for this address; a courier not answering is asked again at the next choice.
            kept = key if error.code == LogisticsErrorCode.UNDELIVERABLE else ""
            return {"key": kept, "status": "refused", "problem": str(error.message), "was": was}
    if state is not None and (state.group != group_key or state.pin != quote_pin(lat, lng)):
        state, was = None, ""  # another address: a new price, not a changed one
    if state is not None and state.status == QuoteStatus.EXPIRED:
        was = was or (str(state.quote.fee) if state.quote else "")
        state = None
    if state is None:
        saved = form.saved_address_id()
        try:
            key = checkout_quote_ask(
                shopper=shopper,
                group=group_key,
                address_id=saved,
                address=form.new_address.get("street", ""),
                lat=None if saved is not None else lat,
                lng=None if saved is not None else lng,
            )
        except DomainError as error:
            return {"key": "", "status": "refused", "problem": str(error.message), "was": was}
        return {"key": key, "status": "pending", "was": was}
    if state.status == QuoteStatus.PENDING:
        return {"key": key, "status": "pending", "was": was}
    return {"key": key, "status": "ready", "fee": state.quote.fee, "expires_at": state.quote.expires_at, "was": was}


def _partner_option(option: dict[str, Any], group: dict[str, Any], quote: dict[str, Any], now: datetime) -> None:
    """The partner option shows the courier's price (or that it is on its way, or why the courier cannot)."""
    group["quote"] = quote
    if quote["status"] == "refused":
        option.update(available=False, fee=Decimal("0"), fee_label="", note=quote["problem"], eta="")
        return
    if quote["status"] == "pending":
        option.update(fee=Decimal("0"), fee_label="…", note=_("Getting the courier's price…"), pending=True)
        return
    fee = quote["fee"]
    option.update(fee=fee, fee_label=money(fee))
    if quote["expires_at"] is not None:
        option["note"] = _("The courier's price, held until %(time)s") % {
            "time": timezone.localtime(quote["expires_at"]).strftime("%H:%M")
        }
    was = quote.get("was")
    if was and Decimal(was) != fee:
        group["quote_changed"] = _("The courier's price changed from %(was)s to %(now)s.") % {
            "was": money(Decimal(was)),
            "now": money(fee),
        }


_ETA = {Fulfilment.PICKUP: _("Ready %(when)s"), Fulfilment.DELIVERY: _("Arrives %(when)s")}


def checkout_context(
    priced: PricedCart,
    location: Location,
    form: CheckoutForm,
    *,
    addresses: list[Address] | None = None,
    errors: dict[str, str] | None = None,
    line_errors: dict[int, str] | None = None,
    quoter: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`quoter(group key)` gives the courier's price of a group chosen for partner delivery (page_quote)."""
    context = cart_context(priced, location, line_errors=line_errors)
    delivery = Decimal("0")
    needs_address = False
    now = timezone.now()
    priced_groups = {g.key: g for g in priced.groups}
    for group in context["groups"]:
        priced_group = priced_groups.get(group["key"])
        group["chosen"] = _chosen(group, form.fulfilment.get(group["key"]))
        group["field"] = FULFILMENT_FIELD + group["key"]
        group["quote_field"], group["quote_was_field"] = QUOTE_FIELD + group["key"], QUOTE_WAS_FIELD + group["key"]
        partner = next((o for o in group["options"] if o["kind"] == Fulfilment.PARTNER), None)
        if partner is not None and partner["available"]:
            # Never a price the courier did not give: the courier's own is asked for once the option is chosen.
            partner.update(
                fee=Decimal("0"), fee_label=_("Courier's price"), note=_("Choose it to get the courier's price")
            )
            if group["chosen"] == Fulfilment.PARTNER and quoter is not None:
                _partner_option(partner, group, quoter(group["key"]), now)
                group["chosen"] = _chosen(group, Fulfilment.PARTNER)
        group["error"] = (errors or {}).get(f"group:{group['key']}", "")
        start = _when(group, priced_group, form.schedule.get(group["key"], ""), now)
        for o in group["options"]:
            if o["reason"] == "location_needed":
                o["note"] = _("Put the pin on your address to see if they deliver there")
            if start is not None and o["available"] and priced_group is not None:
                promised = group_promised_at(
                    terms=priced_group.terms, fulfilment=o["kind"], start=start, distance_km=priced_group.distance_km
                )
                label = _ETA.get(o["kind"], _("Arrives %(when)s"))
                o["eta"] = label % {"when": when_label(promised, now=now)}
        option = next((o for o in group["options"] if o["kind"] == group["chosen"]), None)
        delivery += option["fee"] if option else Decimal("0")
        needs_address = needs_address or group["chosen"] not in (None, Fulfilment.PICKUP)
    subtotal = sum((g["subtotal"] for g in context["groups"]), Decimal("0"))
    context.update(
        form=form,
        errors=errors or {},
        payment_methods=PAYMENT_METHODS,
        subtotal=subtotal,
        delivery_total=delivery,
        delivery_label=money(delivery) if delivery else "Free",
        total_label=money(subtotal + delivery),
        needs_address=needs_address,
        addresses=addresses or [],
        new_address_chosen=form.saved_address_id() not in {a.pk for a in addresses or []},
        can_checkout=context["can_checkout"] and all(g["open_now"] or g["slots"] for g in context["groups"]),
    )
    return context
