"""What the checkout page shows and posts: the form's values (prefilled for a signed-in customer, a fresh
Idempotency-Key per rendering), the CheckoutRequest built from them, and a checkout error placed next to the field
it is about."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from kernel.errors import DomainError
from kernel.money import money
from marketplace.cart.page_context import cart_context, pricing_point
from marketplace.cart.pricing import PricedCart
from marketplace.checkout.errors import CheckoutError, CheckoutErrorCode
from marketplace.checkout.services import CheckoutRequest, GroupChoice
from marketplace.discovery.location import Location
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


@dataclass
class CheckoutForm:
    idempotency_key: str
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    note: str = ""
    payment_method: str = PaymentMethod.COD
    fulfilment: dict[str, str] = field(default_factory=dict)  # group key → pickup | delivery | partner


def checkout_form_initial(user: Any) -> CheckoutForm:
    """A new form: a fresh key (one order per rendering, however often it is submitted), the account's name/phone."""
    form = CheckoutForm(idempotency_key=uuid.uuid4().hex)
    if user.is_authenticated:
        form.contact_name, form.contact_phone = user.name, user.phone
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
    )


def checkout_request(form: CheckoutForm, location: Location) -> CheckoutRequest:
    """What checkout_place is asked for. Raises PAYMENT_METHOD_INVALID for a method the page does not offer."""
    if form.payment_method not in ENABLED_METHODS:
        raise CheckoutError(CheckoutErrorCode.PAYMENT_METHOD_INVALID, "Choose how to pay.", field="payment_method")
    lat, lng = pricing_point(location)
    return CheckoutRequest(
        payment_method=form.payment_method,
        contact_phone=form.contact_phone,
        contact_name=form.contact_name,
        address=form.address,
        lat=lat,
        lng=lng,
        note=form.note,
        groups=tuple(GroupChoice(key, kind) for key, kind in sorted(form.fulfilment.items())),
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


def checkout_context(
    priced: PricedCart,
    location: Location,
    form: CheckoutForm,
    *,
    errors: dict[str, str] | None = None,
    line_errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    context = cart_context(priced, location, line_errors=line_errors)
    delivery = Decimal("0")
    needs_address = False
    for group in context["groups"]:
        group["chosen"] = _chosen(group, form.fulfilment.get(group["key"]))
        group["field"] = FULFILMENT_FIELD + group["key"]
        group["error"] = (errors or {}).get(f"group:{group['key']}", "")
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
    )
    return context
