"""Creating a merchant's part of an order, inside checkout's transaction and the merchant's schema. Status changes
after creation go through orders.states only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from tenant_apps.inventory.errors import InventoryError
from tenant_apps.inventory.services import stock_reserve
from tenant_apps.orders.models import MerchantOrder, MerchantOrderLine, OrderStatus, OrderTransition
from tenant_apps.orders.states import Actor, merchant_order_changed


@dataclass(frozen=True)
class LineSpec:
    variant_id: int
    product_id: int
    title: str
    variant_name: str
    sku: str
    quantity: int
    unit_price: Decimal
    regular_price: Decimal


@dataclass(frozen=True)
class OrderSpec:
    number: str
    customer_order_id: int
    customer_order_number: str
    branch_id: int
    fulfilment: str
    payment_method: str
    paid_online: bool  # True: waits in pending_payment; False (cash on delivery): placed at once
    customer_name: str
    customer_phone: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    note: str
    currency: str
    delivery_fee: Decimal
    lines: tuple[LineSpec, ...]
    address_notes: str = ""  # for the rider: gate, floor, landmark
    scheduled_for: datetime | None = None  # the customer asked for this time (the branch was closed, or later)
    promised_at: datetime | None = None  # when checkout told the customer to expect it
    courier_quote_id: str = ""  # partner delivery: the courier's quote the customer accepted (its fee is the fee)
    courier_fee: Decimal | None = None
    courier_quote_expires_at: datetime | None = None


def merchant_order_create(*, spec: OrderSpec, actor: Actor) -> MerchantOrder:
    """Create the order, its lines and its first history row (no stock is touched: see merchant_order_reserve).
    Call inside the caller's transaction, in the merchant's schema."""
    subtotal = sum((line.unit_price * line.quantity for line in spec.lines), Decimal("0.00"))
    status = OrderStatus.PENDING_PAYMENT if spec.paid_online else OrderStatus.PLACED
    order = MerchantOrder.objects.create(
        number=spec.number,
        customer_order_id=spec.customer_order_id,
        customer_order_number=spec.customer_order_number,
        branch_id=spec.branch_id,
        status=status,
        fulfilment=spec.fulfilment,
        payment_method=spec.payment_method,
        customer_name=spec.customer_name,
        customer_phone=spec.customer_phone,
        address=spec.address,
        address_notes=spec.address_notes,
        scheduled_for=spec.scheduled_for,
        promised_at=spec.promised_at,
        courier_quote_id=spec.courier_quote_id,
        courier_fee=spec.courier_fee,
        courier_quote_expires_at=spec.courier_quote_expires_at,
        latitude=spec.latitude,
        longitude=spec.longitude,
        note=spec.note,
        currency=spec.currency,
        subtotal=subtotal,
        delivery_fee=spec.delivery_fee,
        total=subtotal + spec.delivery_fee,
        placed_at=None if spec.paid_online else timezone.now(),
    )
    MerchantOrderLine.objects.bulk_create(
        MerchantOrderLine(
            order=order,
            variant_id=line.variant_id,
            product_id=line.product_id,
            title=line.title,
            variant_name=line.variant_name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            regular_price=line.regular_price,
            line_total=line.unit_price * line.quantity,
        )
        for line in spec.lines
    )
    OrderTransition.objects.create(
        order=order, from_status="", to_status=status, actor_id=actor.user_id, actor_role=actor.label
    )
    merchant_order_changed.send(sender=MerchantOrder, order=order, from_status="", to_status=status, reason="")
    return order


def merchant_order_reserve(*, order: MerchantOrder, lines: tuple[LineSpec, ...], actor: Actor) -> list[int]:
    """Reserve every line at the order's branch, variants in id order (checkout's fixed lock order), each with a
    conditional atomic UPDATE. Returns the variant ids that could not be reserved (the caller rolls back)."""
    failed: list[int] = []
    for line in sorted(lines, key=lambda line: line.variant_id):
        try:
            stock_reserve(
                branch_id=order.branch_id,
                variant_id=line.variant_id,
                quantity=line.quantity,
                reference=order.number,
                actor_id=actor.user_id,
            )
        except InventoryError:
            failed.append(line.variant_id)
    return failed
