"""Checkout: one cart → one CustomerOrder (public), one MerchantOrder per shop branch (in each merchant's schema),
one PaymentIntent — in one database transaction, exactly once per Idempotency-Key, never overselling.

The order of work keeps row locks short and deadlock-free:
1. price every line from the merchants' schemas (reads, no locks, one query per merchant) and validate the whole
   request — before the transaction: a request that cannot succeed (sold out, a changed price, bad input) ends
   here without a write;
2. insert the CustomerOrder: its unique (shopper, Idempotency-Key) index makes a parallel twin wait here and then
   replay this order (or go on, if this one rolled back) — kernel.idempotency's rule, with the request's
   fingerprint stored on the order;
3. write the payment intent, the merchant orders and the customer's parts, and empty the cart (no shared rows);
4. reserve stock last, merchants in id order, then branches and variants in id order, each a one-statement
   conditional UPDATE (`available >= n`, with its ledger row); a hot product's row is locked only from that
   statement to the commit right after.
Before any write, each shop's group is also timed (schedule.py, promise.py): a branch closed now takes the order
only for a time the customer chose within its opening hours (SHOP_CLOSED names the group and its next opening
otherwise), and every part is stored with the time it was promised for. Delivery is measured from the delivery
address's pin — a saved address of the signed-in customer, or the one given with the request — not from where the
customer browses; the order keeps a copy of the address.

Any line that cannot be reserved raises OUT_OF_STOCK listing every such line, and the whole transaction — orders,
reservations in the other merchants' schemas included — rolls back.

The earlier order with the same key is looked up only when the request cannot go on (an error to answer, or the
unique index says a twin got there first) — after every read, so an error never contradicts an order that a twin
with the same key placed meanwhile. A signed-in shopper's key is looked up first: it may name an order placed as a
guest and claimed since, which the (shopper, key) index cannot see.
"""

from __future__ import annotations

import re
import secrets
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import partial
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from kernel.errors import DomainError
from kernel.idempotency import (
    IDEMPOTENCY_HEADER,
    Earlier,
    IdempotencyError,
    idempotency_key_clean,
    idempotent_replay,
    idempotent_write,
    request_fingerprint,
)
from marketplace.cart.models import Cart, CartItem
from marketplace.cart.pricing import PricedCart, PricedGroup, cart_price
from marketplace.cart.services import cart_prices_seen
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.errors import CheckoutError, CheckoutErrorCode
from marketplace.checkout.promise import group_promised_at
from marketplace.checkout.schedule import BranchSchedule, branch_schedule, first_opening_after, when_label
from marketplace.orders.models import CustomerOrder, CustomerOrderPart, CustomerOrderStatus
from marketplace.orders.services import timeline_entry
from shared_apps.accounts.errors import AccountsError
from shared_apps.accounts.models import Address, User
from shared_apps.accounts.phones import phone_normalize
from shared_apps.accounts.services import AddressFields, address_create
from shared_apps.logistics.couriers.base import Quote, Stop
from shared_apps.logistics.errors import LogisticsError
from shared_apps.logistics.selectors import courier_quote_reply
from shared_apps.logistics.services import QUOTE_REPLY_SECONDS, courier_quote_request
from shared_apps.payments.models import PaymentMethod
from shared_apps.payments.services import ONLINE, payment_intent_create
from tenant_apps.catalog.offers import branch_offers
from tenant_apps.orders.models import Fulfilment
from tenant_apps.orders.services import LineSpec, OrderSpec, merchant_order_create, merchant_order_reserve
from tenant_apps.orders.states import CUSTOMER, Actor
from tenants.models import Merchant

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


@dataclass(frozen=True)
class GroupChoice:
    group: str  # "<merchant slug>:<branch id>", as the cart shows it
    fulfilment: str = Fulfilment.PICKUP
    address: str = ""
    scheduled_for: str = ""  # ISO 8601 with its offset; "" = as soon as possible (the branch must be open now)
    quote: str = ""  # partner delivery: the key of the courier's quote the customer was shown (checkout_quote_ask)


@dataclass(frozen=True)
class CheckoutRequest:
    payment_method: str
    contact_phone: str
    contact_name: str = ""
    address: str = ""  # a new address's house and street (or the whole address in one line)
    lat: float | None = None  # the delivery address's map pin; delivery radius and travel time count from it
    lng: float | None = None
    note: str = ""
    groups: tuple[GroupChoice, ...] = field(default_factory=tuple)
    address_id: int | None = None  # a saved address of the signed-in customer, instead of the fields above
    address_area: str = ""
    address_city: str = ""
    address_notes: str = ""  # for the rider
    address_label: str = ""
    save_address: bool = False  # a signed-in customer's new address is saved to the account with the order

    def fingerprint(self) -> str:
        """The request's identity for its Idempotency-Key: the order in which groups are listed does not count.
        Fields left at their defaults since the address and schedule came are left out, so a request that does not
        use them keeps the fingerprint it always had."""
        fields = asdict(self)
        fields["groups"] = sorted(fields["groups"], key=lambda g: g["group"])
        for group in fields["groups"]:
            if not group["scheduled_for"]:
                del group["scheduled_for"]
            if not group["quote"]:
                del group["quote"]
        for name, default in _LATER_FIELDS.items():
            if fields[name] == default:
                del fields[name]
        return request_fingerprint(fields)


_LATER_FIELDS = {
    "address_id": None,
    "address_area": "",
    "address_city": "",
    "address_notes": "",
    "address_label": "",
    "save_address": False,
}


@dataclass(frozen=True)
class DeliveryAddress:
    """Where the delivered parts go, as the order keeps it."""

    text: str  # one line for the rider: house and street, area, city
    notes: str = ""
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    address_id: int | None = None  # the saved address it came from

    def snapshot(self) -> dict:
        return {
            "address_id": self.address_id,
            "label": self.label,
            "text": self.text,
            "notes": self.notes,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass(frozen=True)
class GroupTiming:
    """When one shop's part is wanted and promised."""

    scheduled_for: datetime | None  # None: as soon as possible
    promised_at: datetime


@dataclass(frozen=True)
class CheckoutResult:
    order: CustomerOrder
    replayed: bool
    parts: list[CustomerOrderPart] | None = None  # a fresh order's parts, as written (no need to read them back)


def _order_number() -> str:
    return "PK" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _key(idempotency_key: str | None) -> str:
    try:
        key = idempotency_key_clean(idempotency_key)
    except IdempotencyError:
        key = None  # checkout's contract: a key it cannot use is a missing one
    if key is None:
        raise CheckoutError(CheckoutErrorCode.KEY_MISSING, field=IDEMPOTENCY_HEADER)
    return key


def _key_reused() -> CheckoutError:
    return CheckoutError(CheckoutErrorCode.KEY_REUSED, field=IDEMPOTENCY_HEADER)


def _earlier_order(shopper: Shopper, key: str) -> Earlier[CheckoutResult] | None:
    with connection.cursor() as cursor:  # hand-written: asked on every refused checkout (a sold-out flash sale)
        if shopper.user_id is None:
            cursor.execute(_EARLIER_ORDER, [shopper.key, key])
        else:  # a guest's checkout retried after signing in: the order was claimed into this user
            cursor.execute(_EARLIER_ORDER_OF_USER, [shopper.key, key, shopper.user_id, key])
        earlier = cursor.fetchone()
    if earlier is None:
        return None
    return Earlier(CheckoutResult(CustomerOrder.objects.get(pk=earlier[0]), replayed=True), fingerprint=earlier[1])


_EARLIER_ORDER = (
    f"SELECT id, request_hash FROM {CustomerOrder._meta.db_table} WHERE owner_key = %s AND idempotency_key = %s"
)
_EARLIER_ORDER_OF_USER = f"""{_EARLIER_ORDER}
    UNION ALL SELECT id, request_hash FROM {CustomerOrder._meta.db_table} WHERE user_id = %s AND idempotency_key = %s
    LIMIT 1"""


def checkout_place(*, shopper: Shopper, idempotency_key: str | None, request: CheckoutRequest) -> CheckoutResult:
    """Place the shopper's whole cart. Same key and body again (also in parallel) → the same order, `replayed`;
    same key with another body → KEY_REUSED (409); no key → KEY_MISSING (400). Raises OUT_OF_STOCK (409, `lines`),
    PRICES_CHANGED (409, `lines`; the new prices count as seen, so a second try goes through), CART_EMPTY,
    GROUP_UNKNOWN, FULFILMENT_UNAVAILABLE, ADDRESS_REQUIRED, ADDRESS_UNKNOWN, SCHEDULE_INVALID,
    PAYMENT_METHOD_INVALID or PHONE_INVALID (400), SHOP_CLOSED (409, `details`: the group, why, its next opening) —
    and then nothing was reserved or written. A fresh order comes back with its parts and payment loaded."""
    key = _key(idempotency_key)
    fingerprint = request.fingerprint()
    find = partial(_earlier_order, shopper)

    def replay() -> CheckoutResult | None:
        return idempotent_replay(key=key, fingerprint=fingerprint, find=find, conflict=_key_reused)

    if shopper.user_id is not None:  # signed in: the key may belong to an order placed as a guest, then claimed
        earlier = replay()
        if earlier is not None:
            return earlier
    priced = None
    try:
        items = _cart_lines(shopper)
        delivery = _delivery_address(shopper, request)
        priced = cart_price(items, lat=delivery.latitude, lng=delivery.longitude)
        choices = _validate(shopper, request, priced, delivery)
        timings = checkout_timings(priced, choices, now=timezone.now())
        quotes = _quotes(shopper, priced, choices, delivery)
    except DomainError as exc:
        earlier = replay()  # this key's order, placed earlier or by a twin meanwhile
        if earlier is not None:
            return earlier
        if isinstance(exc, CheckoutError) and exc.code == CheckoutErrorCode.PRICES_CHANGED and priced is not None:
            cart_prices_seen(priced)
        raise
    place = partial(_place, shopper, key, fingerprint, request, items, priced, choices, delivery, timings, quotes)
    return idempotent_write(key=key, fingerprint=fingerprint, find=find, write=place, conflict=_key_reused).result


def _delivery_address(shopper: Shopper, request: CheckoutRequest) -> DeliveryAddress:
    """The address the request names: a saved one (ADDRESS_UNKNOWN unless it is the signed-in shopper's), or the
    fields sent with it."""
    if request.address_id is not None:
        saved = None
        if shopper.user_id is not None:
            saved = Address.objects.filter(pk=request.address_id, user_id=shopper.user_id).first()
        if saved is None:
            raise CheckoutError(CheckoutErrorCode.ADDRESS_UNKNOWN, field="address_id")
        return DeliveryAddress(
            text=saved.one_line[:255],
            notes=saved.notes,
            latitude=float(saved.latitude),
            longitude=float(saved.longitude),
            label=saved.label,
            address_id=saved.pk,
        )
    parts = (request.address.strip(), request.address_area.strip(), request.address_city.strip())
    return DeliveryAddress(
        text=", ".join(part for part in parts if part)[:255],
        notes=request.address_notes.strip()[:255],
        latitude=request.lat,
        longitude=request.lng,
        label=request.address_label.strip()[:40],
    )


# ---- the partner courier's price ------------------------------------------------------------------------------------
# Partner delivery is charged at the courier's own quote, never at an estimate: the page (or an API client) asks for
# a quote per shop group (checkout_quote_ask → a worker calls the courier), reads it back (checkout_quote), shows it,
# and checkout_place charges exactly that quote's fee — refusing a missing, foreign, pending or expired one.

QUOTE_ASK_CACHE = "checkout:quote-ask:{}"
# Longer than a quote lives (15 min): an expired quote is told apart from a key that was never given.
QUOTE_ASK_SECONDS = 2 * 60 * 60
PIN_PLACES = 5  # ~1 m: a quote holds for the pin it was asked for, not for another address
_QUOTE_KEY = re.compile(r"[0-9a-f]{32}")


class QuoteStatus(StrEnum):
    PENDING = "pending"  # the worker has not answered yet
    READY = "ready"
    EXPIRED = "expired"  # past the courier's validity (or its answer was lost): ask again


@dataclass(frozen=True)
class CheckoutQuote:
    key: str
    group: str
    status: QuoteStatus
    pin: str  # the delivery pin it was asked for
    quote: Quote | None = None


def quote_pin(lat: float | None, lng: float | None) -> str:
    return "" if lat is None or lng is None else f"{round(lat, PIN_PLACES)},{round(lng, PIN_PLACES)}"


def _degrees(value: float) -> Decimal:
    return Decimal(str(round(value, 6)))


def checkout_quote_ask(
    *,
    shopper: Shopper,
    group: str,
    address_id: int | None = None,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
) -> str:
    """Ask the partner courier (in a worker) what carrying `group`'s part from its branch to the delivery address
    (a saved one of the signed-in shopper, or a new address's pin) costs. Returns the quote's key for
    checkout_quote and for the checkout's group choice. Raises GROUP_UNKNOWN, FULFILMENT_UNAVAILABLE (the branch
    offers no partner delivery there), ADDRESS_UNKNOWN, ADDRESS_REQUIRED (no pin) — and then nothing was asked."""
    asked = CheckoutRequest(payment_method="", contact_phone="", address=address, lat=lat, lng=lng)
    delivery = _delivery_address(shopper, replace(asked, address_id=address_id))
    if delivery.latitude is None or delivery.longitude is None:
        raise CheckoutError(CheckoutErrorCode.ADDRESS_REQUIRED, _("Put the pin on the delivery address."), field="lat")
    priced = cart_price(_cart_lines(shopper), lat=delivery.latitude, lng=delivery.longitude)
    found = next((g for g in priced.groups if g.key == group), None)
    if found is None or found.terms is None:
        raise CheckoutError(CheckoutErrorCode.GROUP_UNKNOWN, field="group")
    option = found.option(Fulfilment.PARTNER)
    if option is None or not option.available:
        why = option.reason if option else "not_offered"
        raise CheckoutError(
            CheckoutErrorCode.FULFILMENT_UNAVAILABLE, field="group", extra={"group": group, "reason": why}
        )
    terms = found.terms
    pickup = Stop(
        name=terms.store_name,
        phone=terms.phone,
        address=f"{terms.store_name}, {terms.branch_name}",
        latitude=_degrees(terms.latitude),
        longitude=_degrees(terms.longitude),
    )
    dropoff = Stop(
        name=_("Customer"),
        phone="",
        address=delivery.text or _("The pin on the map"),
        latitude=_degrees(delivery.latitude),
        longitude=_degrees(delivery.longitude),
        notes=delivery.notes,
    )
    key = courier_quote_request(provider=settings.CHECKOUT_COURIER, pickup=pickup, dropoff=dropoff)
    ask = {"owner": shopper.key, "group": group, "pin": quote_pin(delivery.latitude, delivery.longitude)}
    cache.set(QUOTE_ASK_CACHE.format(key), ask | {"asked_at": timezone.now().isoformat()}, QUOTE_ASK_SECONDS)
    return key


def checkout_quote(*, shopper: Shopper, key: str) -> CheckoutQuote:
    """The quote asked for under `key`: pending, ready (with the courier's fee and validity) or expired. Raises
    QUOTE_NOT_FOUND (never asked, or by another shopper), LogisticsError (the courier refused: UNDELIVERABLE,
    QUOTE_UNAVAILABLE, REJECTED)."""
    ask = cache.get(QUOTE_ASK_CACHE.format(key)) if _QUOTE_KEY.fullmatch(key or "") else None
    if ask is None or ask.get("owner") != shopper.key:
        raise CheckoutError(CheckoutErrorCode.QUOTE_NOT_FOUND, field="key")
    kept = ask.get("quote")
    quote = _quote_from(kept) if kept else courier_quote_reply(reply_key=key)
    now = timezone.now()
    if quote is None:
        asked_at = parse_datetime(ask["asked_at"])
        lost = asked_at is None or now - asked_at > timedelta(seconds=QUOTE_REPLY_SECONDS)
        status = QuoteStatus.EXPIRED if lost else QuoteStatus.PENDING
        return CheckoutQuote(key, ask["group"], status, ask["pin"])
    if not kept:  # the worker's answer lives as long as the quote: keep it to tell "expired" later
        ask["quote"] = {name: None if value is None else str(value) for name, value in asdict(quote).items()}
        cache.set(QUOTE_ASK_CACHE.format(key), ask, QUOTE_ASK_SECONDS)
    expired = quote.expires_at is not None and quote.expires_at <= now
    return CheckoutQuote(key, ask["group"], QuoteStatus.EXPIRED if expired else QuoteStatus.READY, ask["pin"], quote)


def _quote_from(kept: dict) -> Quote:
    return Quote(
        id=kept["id"] or "",
        fee=Decimal(kept["fee"]),
        currency=kept["currency"],
        expires_at=parse_datetime(kept["expires_at"]) if kept["expires_at"] else None,
        eta=parse_datetime(kept["eta"]) if kept["eta"] else None,
    )


def _quotes(
    shopper: Shopper, priced: PricedCart, choices: dict[str, GroupChoice], delivery: DeliveryAddress
) -> dict[str, Quote]:
    """The accepted quote of each partner-delivered group: the one the customer was shown, for this shop and this
    pin, still valid. Raises QUOTE_REQUIRED, QUOTE_UNKNOWN (400), QUOTE_PENDING, QUOTE_EXPIRED (409, `details`:
    the group and the fee it had), FULFILMENT_UNAVAILABLE (the courier does not deliver there)."""
    quotes = {}
    names = {group.key: _shop_name(group) for group in priced.groups}
    for key, choice in choices.items():
        if choice.fulfilment != Fulfilment.PARTNER:
            continue
        details = {"group": key}
        if not choice.quote:
            raise CheckoutError(CheckoutErrorCode.QUOTE_REQUIRED, field="groups", extra=details)
        try:
            state = checkout_quote(shopper=shopper, key=choice.quote)
        except CheckoutError as error:
            raise CheckoutError(CheckoutErrorCode.QUOTE_UNKNOWN, field="groups", extra=details) from error
        except LogisticsError as error:
            raise CheckoutError(
                CheckoutErrorCode.FULFILMENT_UNAVAILABLE,
                str(error.message),
                field="groups",
                extra={"group": key, "reason": str(error.code)},
            ) from error
        if state.group != key or state.pin != quote_pin(delivery.latitude, delivery.longitude):
            raise CheckoutError(CheckoutErrorCode.QUOTE_UNKNOWN, field="groups", extra=details)
        if state.status == QuoteStatus.PENDING:
            raise CheckoutError(CheckoutErrorCode.QUOTE_PENDING, field="groups", extra=details)
        if state.status == QuoteStatus.EXPIRED or state.quote is None:
            message = _("The courier's price for %(shop)s has expired. Check the new price, then confirm again.") % {
                "shop": names.get(key, key)
            }
            details["fee"] = str(state.quote.fee) if state.quote else None
            raise CheckoutError(CheckoutErrorCode.QUOTE_EXPIRED, message, field="groups", extra=details)
        quotes[key] = state.quote
    return quotes


def _validate(
    shopper: Shopper, request: CheckoutRequest, priced: PricedCart, delivery: DeliveryAddress
) -> dict[str, GroupChoice]:
    if request.payment_method not in PaymentMethod.values:
        raise CheckoutError(CheckoutErrorCode.PAYMENT_METHOD_INVALID, field="payment_method")
    phone_normalize(request.contact_phone, field="contact_phone")
    if not priced.groups:
        raise CheckoutError(CheckoutErrorCode.CART_EMPTY)
    problems = [_line_problem(line) for line in priced.lines if line.problem]
    if problems:
        raise CheckoutError(CheckoutErrorCode.OUT_OF_STOCK, extra={"lines": problems})
    changed = [_line_change(line) for line in priced.lines if line.price_changed]
    if changed:
        raise CheckoutError(CheckoutErrorCode.PRICES_CHANGED, extra={"lines": changed})
    keys = {group.key for group in priced.groups}
    choices = {}
    for choice in request.groups:
        if choice.group not in keys:
            raise CheckoutError(CheckoutErrorCode.GROUP_UNKNOWN, f"{choice.group} is not in your cart.", field="groups")
        choices[choice.group] = choice
    for group in priced.groups:
        choice = choices.setdefault(group.key, GroupChoice(group.key))
        option = group.option(choice.fulfilment)
        if option is None or not option.available:
            why = option.reason if option else "not_offered"
            raise CheckoutError(
                CheckoutErrorCode.FULFILMENT_UNAVAILABLE,
                f"{group.terms.store_name if group.terms else group.key} cannot do {choice.fulfilment}: {why}.",
                field="groups",
                extra={"group": group.key, "reason": why},
            )
        if choice.fulfilment != Fulfilment.PICKUP and not (choice.address.strip() or delivery.text):
            raise CheckoutError(CheckoutErrorCode.ADDRESS_REQUIRED, field="address", extra={"group": group.key})
    return choices


def checkout_timings(priced: PricedCart, choices: dict[str, GroupChoice], *, now: datetime) -> dict[str, GroupTiming]:
    """Each group's wanted and promised time. A branch closed now needs a scheduled time within its hours: without
    one, SHOP_CLOSED (409) names the group and its next opening; a time it is not open at is SCHEDULE_INVALID (400).
    A scheduled time that has come while the branch opened is as soon as possible."""
    timings = {}
    for group in priced.groups:
        choice = choices[group.key]
        terms = group.terms
        hours, exceptions = (terms.opening_hours, terms.hours_exceptions) if terms else ({}, {})
        schedule = branch_schedule(hours, exceptions, now=now)
        wanted = _scheduled_time(choice.scheduled_for, group.key)
        if wanted is None or (wanted <= now and schedule.open_now):
            if not schedule.open_now:
                raise _closed(group, schedule)
            start, scheduled = now, None
        elif schedule.accepts(wanted):
            start, scheduled = wanted, wanted
        elif not schedule.open_now and schedule.next_opening is None:
            raise _closed(group, schedule)
        else:
            raise _schedule_invalid(group, schedule)
        promised = group_promised_at(
            terms=terms, fulfilment=choice.fulfilment, start=start, distance_km=group.distance_km
        )
        timings[group.key] = GroupTiming(scheduled_for=scheduled, promised_at=promised)
    return timings


def _scheduled_time(value: str, group_key: str) -> datetime | None:
    if not value:
        return None
    try:
        wanted = parse_datetime(value)
    except ValueError:
        wanted = None
    if wanted is None:
        raise CheckoutError(CheckoutErrorCode.SCHEDULE_INVALID, field="groups", extra={"group": group_key})
    return wanted if timezone.is_aware(wanted) else timezone.make_aware(wanted)


def _shop_name(group: PricedGroup) -> str:
    return group.terms.store_name if group.terms else group.key


def _closed(group: PricedGroup, schedule: BranchSchedule) -> CheckoutError:
    opening = schedule.next_opening
    details = {"group": group.key, "next_opening": opening.isoformat() if opening else None}
    if opening is not None:
        message = _("%(shop)s is closed now. It opens %(when)s: order for then, or for a later time.") % {
            "shop": _shop_name(group),
            "when": when_label(opening, now=schedule.now),
        }
        details["reason"] = "closed_now"
    else:
        terms = group.terms
        later = first_opening_after(
            terms.opening_hours if terms else {}, terms.hours_exceptions if terms else {}, after=schedule.horizon_end
        )
        message = _("%(shop)s is closed and does not open in the next %(days)s days, so it cannot take this order.") % {
            "shop": _shop_name(group),
            "days": (schedule.horizon_end - schedule.now).days,
        }
        if later is not None:
            message += " " + _("It opens %(when)s.") % {"when": when_label(later, now=schedule.now)}
            details["next_opening"] = later.isoformat()
        details["reason"] = "closed_beyond_horizon"
    return CheckoutError(CheckoutErrorCode.SHOP_CLOSED, message, field="groups", extra=details)


def _schedule_invalid(group: PricedGroup, schedule: BranchSchedule) -> CheckoutError:
    slots = schedule.slots()
    message = _("%(shop)s is not open at that time.") % {"shop": _shop_name(group)}
    if slots:
        message += " " + _("The first time it can take is %(when)s.") % {"when": when_label(slots[0], now=schedule.now)}
    details = {"group": group.key, "next_opening": slots[0].isoformat() if slots else None, "reason": "not_open_then"}
    return CheckoutError(CheckoutErrorCode.SCHEDULE_INVALID, message, field="groups", extra=details)


def _line_problem(line) -> dict:
    available = line.offer.available if line.offer and line.offer.sellable else 0
    return {"id": line.item.pk, "problem": line.problem, "available": available, "quantity": line.item.quantity}


def _lost_line(line, offer) -> dict:
    available = offer.available if offer is not None and offer.sellable else 0
    return {
        "id": line.item.pk,
        "problem": "out_of_stock" if available == 0 else "insufficient_stock",
        "available": available,
        "quantity": line.item.quantity,
    }


def _line_change(line) -> dict:
    return {"id": line.item.pk, "was": str(line.item.unit_price), "now": str(line.unit_price)}


def _place(
    shopper: Shopper,
    key: str,
    fingerprint: str,
    request: CheckoutRequest,
    items: list[CartItem],
    priced: PricedCart,
    choices: dict[str, GroupChoice],
    delivery: DeliveryAddress,
    timings: dict[str, GroupTiming],
    quotes: dict[str, Quote],
) -> CheckoutResult:
    phone = phone_normalize(request.contact_phone, field="contact_phone")
    delivered = any(choice.fulfilment != Fulfilment.PICKUP for choice in choices.values())
    if delivered and not delivery.text:
        # only a group's own address was sent (the API's older form): the order page's "Deliver to" was left empty
        texts = [c.address.strip() for c in choices.values() if c.fulfilment != Fulfilment.PICKUP and c.address.strip()]
        if texts:
            delivery = replace(delivery, text=texts[0][:255])
    fees = {  # partner delivery: the courier's quoted fee, the one the customer was shown
        g.key: quotes[g.key].fee if g.key in quotes else g.option(choices[g.key].fulfilment).fee for g in priced.groups
    }
    subtotal, delivery_total = priced.subtotal, sum(fees.values(), Decimal("0.00"))
    paid_online = request.payment_method in ONLINE
    order = CustomerOrder.objects.create(
        number=_order_number(),
        **shopper.owner_fields(),
        status=CustomerOrderStatus.PENDING_PAYMENT if paid_online else CustomerOrderStatus.PLACED,
        contact_name=request.contact_name.strip()[:120],
        contact_phone=phone,
        currency=priced.currency,
        subtotal=subtotal,
        delivery_total=delivery_total,
        total=subtotal + delivery_total,
        payment_method=request.payment_method,
        delivery_address=delivery.snapshot() if delivered else {},
        owner_key=shopper.key,
        idempotency_key=key,
        request_hash=fingerprint,
    )  # a twin with the same key blocks here until this transaction ends
    _cart_lines_delete(items)
    if delivered and request.save_address and shopper.user_id is not None and delivery.address_id is None:
        _address_save(shopper.user_id, request)
    actor = Actor(CUSTOMER, user_id=shopper.user_id)
    planned = [
        (
            group,
            _spec(
                order,
                group,
                n,
                choices[group.key],
                request,
                fees[group.key],
                paid_online,
                delivery,
                timings[group.key],
                quotes.get(group.key),
            ),
        )
        for n, group in enumerate(priced.groups, start=1)  # merchants in id order (cart_price's order)
    ]
    merchant_orders = {}
    for schema, merchant_groups in _by_merchant(planned):  # one visit per schema
        with schema_context(schema):
            for group, spec in merchant_groups:
                merchant_orders[group.key] = merchant_order_create(spec=spec, actor=actor)
    parts = CustomerOrderPart.objects.bulk_create(
        [_part(order, group, spec, merchant_orders[group.key], timings[group.key]) for group, spec in planned]
    )
    payment_intent_create(
        customer_order=order, method=request.payment_method, amount=order.total, currency=order.currency, parts=parts
    )
    failed = []
    locking_order = sorted(planned, key=lambda gs: (gs[0].merchant.pk, gs[0].branch_id))
    for schema, merchant_groups in _by_merchant(locking_order):  # locks last: merchant, branch, variant id
        with schema_context(schema):
            for group, spec in merchant_groups:
                failed_variants = merchant_order_reserve(
                    order=merchant_orders[group.key], lines=spec.lines, actor=actor
                )
                lost = [line for line in group.lines if line.item.variant_id in failed_variants]
                if lost:  # someone bought them since pricing: say how many are left now, not what we read then
                    now = branch_offers((line.item.branch_id, line.item.variant_id) for line in lost)
                    failed += [_lost_line(line, now.get((line.item.branch_id, line.item.variant_id))) for line in lost]
    if failed:
        raise CheckoutError(CheckoutErrorCode.OUT_OF_STOCK, extra={"lines": failed})
    return CheckoutResult(order, replayed=False, parts=parts)


def _address_save(user_id: int, request: CheckoutRequest) -> None:
    """The new address into the customer's account, as asked. One they cannot save (the limit reached) does not
    stop the order: it keeps its own copy either way."""
    fields = AddressFields(
        street=request.address,
        latitude=request.lat,
        longitude=request.lng,
        label=request.address_label,
        area=request.address_area,
        city=request.address_city,
        notes=request.address_notes,
    )
    with suppress(AccountsError):  # raised before its row is written: the transaction goes on unharmed
        address_create(user=User(pk=user_id), fields=fields)


def _by_merchant(planned):
    return ((schema, list(groups)) for schema, groups in groupby(planned, key=lambda gs: gs[0].merchant.schema_name))


def _cart_lines_delete(items: list[CartItem]) -> None:
    """One DELETE. (QuerySet.delete() would SELECT the rows first: django-tenants listens to post_delete of every
    model, which rules out Django's fast delete; cart lines have no dependants and no receivers of their own.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CartItem._meta.db_table} WHERE id = ANY(%s::bigint[])", [[item.pk for item in items]]
        )


_CART_LINE_FIELDS = (
    "id",
    "cart_id",
    "merchant_id",
    "branch_id",
    "variant_id",
    "listing_id",
    "quantity",
    "unit_price",
    "currency",
    "added_at",
)
_CART_LINES = f"""
    SELECT {", ".join(f"i.{name}" for name in _CART_LINE_FIELDS)}, m.schema_name, m.name, m.slug
    FROM {CartItem._meta.db_table} i
    JOIN {Cart._meta.db_table} c ON c.id = i.cart_id
    JOIN {Merchant._meta.db_table} m ON m.id = i.merchant_id
    WHERE c.{{owner}} = %s
    ORDER BY i.id
"""


def _cart_lines(shopper: Shopper) -> list[CartItem]:
    """The shopper's cart lines (in the order added) with their merchants' id, schema, name and slug loaded — the
    fields pricing and checkout use. Hand-written because every checkout, refused or not, starts here: building
    `CartItem.objects.filter(...).select_related("merchant")` costs ~10x the CPU of this statement."""
    owner, value = ("user_id", shopper.user_id) if shopper.user_id is not None else ("guest_id", shopper.guest_id)
    with connection.cursor() as cursor:
        cursor.execute(_CART_LINES.format(owner=owner), [value])
        rows = cursor.fetchall()
    merchants: dict[int, Merchant] = {}
    items = []
    for row in rows:
        item = CartItem.from_db(connection.alias, _CART_LINE_FIELDS, row[: len(_CART_LINE_FIELDS)])
        merchant = merchants.get(item.merchant_id)
        if merchant is None:
            merchant = merchants[item.merchant_id] = Merchant.from_db(
                connection.alias, ("id", "schema_name", "name", "slug"), (item.merchant_id, *row[-3:])
            )  # the other fields load on access, like .only()
        CartItem.merchant.field.set_cached_value(item, merchant)
        items.append(item)
    return items


def _spec(
    order,
    group: PricedGroup,
    n: int,
    choice: GroupChoice,
    request: CheckoutRequest,
    fee: Decimal,
    paid_online: bool,
    delivery: DeliveryAddress,
    timing: GroupTiming,
    quote: Quote | None = None,
) -> OrderSpec:
    delivered = choice.fulfilment != Fulfilment.PICKUP
    lat, lng = delivery.latitude, delivery.longitude
    return OrderSpec(
        number=f"{order.number}-{n}",
        customer_order_id=order.pk,
        customer_order_number=order.number,
        branch_id=group.branch_id,
        fulfilment=choice.fulfilment,
        payment_method=request.payment_method,
        paid_online=paid_online,
        customer_name=order.contact_name,
        customer_phone=order.contact_phone,
        address=(choice.address.strip() or delivery.text)[:255] if delivered else "",
        address_notes=delivery.notes if delivered else "",
        latitude=Decimal(str(round(lat, 6))) if delivered and lat is not None else None,
        longitude=Decimal(str(round(lng, 6))) if delivered and lng is not None else None,
        scheduled_for=timing.scheduled_for,
        promised_at=timing.promised_at,
        courier_quote_id=quote.id if quote else "",
        courier_fee=quote.fee if quote else None,
        courier_quote_expires_at=quote.expires_at if quote else None,
        note=request.note.strip()[:500],
        currency=order.currency,
        delivery_fee=fee,
        lines=tuple(
            LineSpec(
                variant_id=line.offer.variant_id,
                product_id=line.offer.product_id,
                title=line.offer.title,
                variant_name=line.offer.variant_name,
                sku=line.offer.sku,
                quantity=line.item.quantity,
                unit_price=line.offer.price,
                regular_price=line.offer.regular_price,
            )
            for line in group.lines
        ),
    )


def _part(
    order: CustomerOrder, group: PricedGroup, spec: OrderSpec, merchant_order, timing: GroupTiming
) -> CustomerOrderPart:
    return CustomerOrderPart(
        order=order,
        merchant=group.merchant,
        merchant_order_id=merchant_order.pk,
        number=merchant_order.number,
        branch_id=group.branch_id,
        merchant_slug=group.merchant.slug,
        store_name=group.terms.store_name,
        branch_name=group.terms.branch_name,
        branch_phone=group.terms.phone,
        status=merchant_order.status,
        fulfilment=spec.fulfilment,
        scheduled_for=timing.scheduled_for,
        promised_at=timing.promised_at,
        courier_quote_id=spec.courier_quote_id,
        courier_fee=spec.courier_fee,
        courier_quote_expires_at=spec.courier_quote_expires_at,
        subtotal=merchant_order.subtotal,
        delivery_fee=merchant_order.delivery_fee,
        total=merchant_order.total,
        lines=[
            {
                "title": line.title,
                "variant_name": line.variant_name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "line_total": str(line.unit_price * line.quantity),
                "listing_id": item.listing_id,
            }
            for line, item in zip(spec.lines, (pl.item for pl in group.lines), strict=True)
        ],
        timeline=[timeline_entry(merchant_order.status)],
    )
