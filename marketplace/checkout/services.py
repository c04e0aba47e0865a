"""Checkout: one cart → one CustomerOrder (public), one MerchantOrder per shop branch (in each merchant's schema),
one PaymentIntent — in one database transaction, exactly once per Idempotency-Key, never overselling.

The order of work keeps row locks short and deadlock-free:
1. price every line from the merchants' schemas (reads, no locks) and validate the whole request;
2. insert the CustomerOrder: its unique (shopper, Idempotency-Key) index makes a parallel twin wait here and then
   replay this order (or retry, if this one rolled back);
3. write the merchant orders, the customer's parts and the payment intent (no shared rows are touched);
4. reserve stock last, merchants in id order and variants in id order, each a conditional atomic UPDATE
   (`available >= n`); a hot product's row is locked only from its UPDATE to the commit right after.
Any line that cannot be reserved raises OUT_OF_STOCK listing every such line, and the whole transaction — orders,
reservations in the other merchants' schemas included — rolls back.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from marketplace.cart.models import Cart, CartItem
from marketplace.cart.pricing import FulfilmentKind, PricedCart, PricedGroup, cart_price
from marketplace.cart.services import cart_prices_seen
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.errors import CheckoutError, CheckoutErrorCode
from marketplace.orders.models import CustomerOrder, CustomerOrderPart, CustomerOrderStatus
from marketplace.orders.services import part_notify, timeline_entry
from shared_apps.accounts.phones import phone_normalize
from shared_apps.payments.models import PaymentMethod
from shared_apps.payments.services import ONLINE, payment_intent_create
from tenant_apps.orders.services import LineSpec, OrderSpec, merchant_order_create, merchant_order_reserve
from tenant_apps.orders.states import CUSTOMER, Actor

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


@dataclass(frozen=True)
class GroupChoice:
    group: str  # "<merchant slug>:<branch id>", as the cart shows it
    fulfilment: str = FulfilmentKind.PICKUP
    address: str = ""


@dataclass(frozen=True)
class CheckoutRequest:
    payment_method: str
    contact_phone: str
    contact_name: str = ""
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    note: str = ""
    groups: tuple[GroupChoice, ...] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        body = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class CheckoutResult:
    order: CustomerOrder
    replayed: bool


def _order_number() -> str:
    return "PK" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > 80 or not key.isprintable():
        raise CheckoutError(CheckoutErrorCode.KEY_MISSING, field="Idempotency-Key")
    return key


def _replay(shopper: Shopper, key: str, fingerprint: str) -> CheckoutResult | None:
    order = CustomerOrder.objects.filter(owner_key=shopper.key, idempotency_key=key).first()
    if order is None:
        return None
    if order.request_hash != fingerprint:
        raise CheckoutError(CheckoutErrorCode.KEY_REUSED, field="Idempotency-Key")
    return CheckoutResult(order, replayed=True)


def checkout_place(*, shopper: Shopper, idempotency_key: str | None, request: CheckoutRequest) -> CheckoutResult:
    """Place the shopper's whole cart. Same key and body again (also in parallel) → the same order, `replayed`;
    same key with another body → KEY_REUSED (409); no key → KEY_MISSING (400). Raises OUT_OF_STOCK (409, `lines`),
    PRICES_CHANGED (409, `lines`; the new prices count as seen, so a second try goes through), CART_EMPTY,
    GROUP_UNKNOWN, FULFILMENT_UNAVAILABLE, ADDRESS_REQUIRED, PAYMENT_METHOD_INVALID or PHONE_INVALID (400) —
    and then nothing was reserved or written."""
    key = _key(idempotency_key)
    fingerprint = request.fingerprint()
    replay = _replay(shopper, key, fingerprint)
    if replay:
        return replay
    try:
        with transaction.atomic():
            return CheckoutResult(_place(shopper, key, fingerprint, request), replayed=False)
    except IntegrityError:
        replay = _replay(shopper, key, fingerprint)  # a twin with this key committed first
        if replay is None:
            raise
        return replay
    except CheckoutError as exc:
        if exc.code == CheckoutErrorCode.PRICES_CHANGED:
            cart_prices_seen(exc.priced)  # type: ignore[attr-defined]
        raise


def _validate(shopper: Shopper, request: CheckoutRequest, priced: PricedCart) -> dict[str, GroupChoice]:
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
        error = CheckoutError(CheckoutErrorCode.PRICES_CHANGED, extra={"lines": changed})
        error.priced = priced  # type: ignore[attr-defined]
        raise error
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
        if choice.fulfilment != FulfilmentKind.PICKUP and not (choice.address or request.address).strip():
            raise CheckoutError(CheckoutErrorCode.ADDRESS_REQUIRED, field="address", extra={"group": group.key})
    return choices


def _line_problem(line) -> dict:
    available = line.offer.available if line.offer and line.offer.sellable else 0
    return {"id": line.item.pk, "problem": line.problem, "available": available, "quantity": line.item.quantity}


def _line_change(line) -> dict:
    return {"id": line.item.pk, "was": str(line.item.unit_price), "now": str(line.unit_price)}


def _place(shopper: Shopper, key: str, fingerprint: str, request: CheckoutRequest) -> CustomerOrder:
    items = list(CartItem.objects.filter(cart__in=_carts(shopper)).select_related("merchant").order_by("id"))
    priced = cart_price(items, lat=request.lat, lng=request.lng)
    choices = _validate(shopper, request, priced)
    phone = phone_normalize(request.contact_phone, field="contact_phone")
    fees = {g.key: g.option(choices[g.key].fulfilment).fee for g in priced.groups}
    subtotal, delivery = priced.subtotal, sum(fees.values(), Decimal("0.00"))
    paid_online = request.payment_method in ONLINE
    order = CustomerOrder.objects.create(
        number=_order_number(),
        **shopper.owner_fields(),
        status=CustomerOrderStatus.PENDING_PAYMENT if paid_online else CustomerOrderStatus.PLACED,
        contact_name=request.contact_name.strip()[:120],
        contact_phone=phone,
        currency=priced.currency,
        subtotal=subtotal,
        delivery_total=delivery,
        total=subtotal + delivery,
        payment_method=request.payment_method,
        owner_key=shopper.key,
        idempotency_key=key,
        request_hash=fingerprint,
    )  # a twin with the same key blocks here until this transaction ends
    actor = Actor(CUSTOMER, user_id=shopper.user_id)
    planned = []
    for n, group in enumerate(priced.groups, start=1):  # merchants in id order (cart_price's order)
        spec = _spec(order, group, n, choices[group.key], request, fees[group.key], paid_online)
        with schema_context(group.merchant.schema_name):
            merchant_order = merchant_order_create(spec=spec, actor=actor)
        planned.append((group, spec, merchant_order, _part(order, group, spec, merchant_order)))
    payment_intent_create(customer_order=order, method=request.payment_method, amount=order.total,
                          currency=order.currency)  # fmt: skip
    CartItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    failed = []
    for group, spec, merchant_order, _ in planned:  # locks last: merchant id, then variant id
        with schema_context(group.merchant.schema_name):
            failed_variants = merchant_order_reserve(order=merchant_order, lines=spec.lines, actor=actor)
        failed += [_line_problem(line) for line in group.lines if line.item.variant_id in failed_variants]
    if failed:
        for line in failed:
            line["problem"] = "out_of_stock"
        raise CheckoutError(CheckoutErrorCode.OUT_OF_STOCK, extra={"lines": failed})
    for *_, part in planned:
        part_notify(part, status=part.status)
    return order


def _carts(shopper: Shopper):
    return Cart.objects.filter(shopper.owns())


def _spec(order, group: PricedGroup, n: int, choice: GroupChoice, request: CheckoutRequest, fee: Decimal,
          paid_online: bool) -> OrderSpec:  # fmt: skip
    delivered = choice.fulfilment != FulfilmentKind.PICKUP
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
        address=(choice.address or request.address).strip()[:255] if delivered else "",
        latitude=Decimal(str(round(request.lat, 6))) if delivered and request.lat is not None else None,
        longitude=Decimal(str(round(request.lng, 6))) if delivered and request.lng is not None else None,
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


def _part(order: CustomerOrder, group: PricedGroup, spec: OrderSpec, merchant_order) -> CustomerOrderPart:
    return CustomerOrderPart.objects.create(
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
