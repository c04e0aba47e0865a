"""Console API for merchant orders: /api/v1/console/orders (the queue, scoped to the caller's membership), one
order with its lines and history, and the staff's moves. Out of scope is 404, in scope without the permission 403,
a move the state machine refuses 409 with its code (order_transition_invalid, order_status_changed)."""

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from shared_apps.accounts.auth import user_auth
from shared_apps.live.services import channel_branch
from shared_apps.live.streams import live_stream_response
from tenant_apps.orders.actions import merchant_order_act, staff_actions
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.selectors import order_detail, orders_list
from tenant_apps.staff.access import (
    access_branch_by_id,
    access_console,
    access_console_membership,
    access_order_by_id,
)
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["orders"])


class OrderSummaryOut(Schema):
    id: int
    number: str
    customer_order_number: str
    branch_id: int
    branch_name: str
    store_name: str
    status: str
    status_label: str
    fulfilment: str
    payment_method: str
    customer_name: str
    customer_phone: str
    items: int
    total: Decimal
    currency: str
    created_at: datetime
    placed_at: datetime | None
    actions: list[str] = Field(
        description="Moves a staff member may make now: accept, reject, prepare, ready, handover."
    )

    @staticmethod
    def resolve_branch_name(order: MerchantOrder) -> str:
        return order.branch.name

    @staticmethod
    def resolve_store_name(order: MerchantOrder) -> str:
        return order.branch.store.name

    @staticmethod
    def resolve_status_label(order: MerchantOrder) -> str:
        return order.get_status_display()

    @staticmethod
    def resolve_items(order: MerchantOrder) -> int:
        items = getattr(order, "items", None)
        return items if items is not None else sum(line.quantity for line in order.lines.all())

    @staticmethod
    def resolve_actions(order: MerchantOrder) -> list[str]:
        return staff_actions(order)


class OrderLineOut(Schema):
    id: int
    variant_id: int
    product_id: int
    title: str
    variant_name: str
    sku: str
    quantity: int
    unit_price: Decimal
    regular_price: Decimal
    line_total: Decimal


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor_id: int | None
    actor_name: str
    actor_role: str
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_actor_name(transition) -> str:
        return str(transition.actor) if transition.actor_id else ""


class OrderOut(OrderSummaryOut):
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    note: str
    subtotal: Decimal
    delivery_fee: Decimal
    reason: str
    stock_state: str
    paid_at: datetime | None
    lines: list[OrderLineOut]
    transitions: list[TransitionOut]


class RejectIn(Schema):
    reason: str = Field(max_length=255, description="Why; the customer sees it.")


@router.get("/orders", response=list[OrderSummaryOut])
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def order_list(
    request: HttpRequest, branch_id: int | None = None, status: OrderStatus | None = None, open: bool = False
):
    """Orders in the caller's scope, newest first, paginated (`?limit=&offset=`); `open=true` keeps those still
    waiting for staff (new, in progress, ready). A `branch_id` outside the scope is 404."""
    actor = access_console(user=request.user, perm=Perm.ORDERS_VIEW)
    if branch_id is not None:
        access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.ORDERS_VIEW)
    return orders_list(actor=actor, branch_id=branch_id, status=status, open_only=open)


@router.get(
    "/branches/{branch_id}/events",
    summary="The branch board's live events (text/event-stream)",
    openapi_extra={
        "responses": {
            200: {
                "description": (
                    "Server-Sent Events: `retry:`, the events after `Last-Event-ID` (header) or `last_event_id` "
                    "(query), then each new one as it is committed (`id:`, `event: order` with id, number, status, "
                    "from_status), and a `: heartbeat` comment every ~15 s."
                ),
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def branch_events(request: HttpRequest, branch_id: int, last_event_id: int | None = None):
    """The branch's order board, live: a new order, or any staff member's move. Who may listen is decided once, at
    connect: a membership whose scope holds the branch and may view orders (anyone else: 404 before any stream)."""
    actor = access_console(user=request.user, perm=Perm.ORDERS_VIEW)
    branch = access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.ORDERS_VIEW)
    return live_stream_response(request, channels=[channel_branch(connection.schema_name, branch.pk)])


@router.get("/orders/{order_id}", response=OrderOut)
def order_get(request: HttpRequest, order_id: int):
    actor = access_console_membership(user=request.user)
    return order_detail(access_order_by_id(actor=actor, order_id=order_id))


def _act(request: HttpRequest, order_id: int, action: str, reason: str = "") -> MerchantOrder:
    actor = access_console_membership(user=request.user)
    order = access_order_by_id(actor=actor, order_id=order_id, perm=Perm.ORDERS_PROCESS)
    return order_detail(merchant_order_act(order=order, action=action, membership=actor, reason=reason))


@router.post("/orders/{order_id}/accept", response=OrderOut)
def order_accept(request: HttpRequest, order_id: int):
    """New → accepted."""
    return _act(request, order_id, "accept")


@router.post("/orders/{order_id}/reject", response=OrderOut)
def order_reject(request: HttpRequest, order_id: int, payload: RejectIn):
    """New, accepted or preparing → rejected; a reason is required (400 reason_required). Reserved stock is released,
    sold stock is returned to the branch."""
    return _act(request, order_id, "reject", payload.reason)


@router.post("/orders/{order_id}/prepare", response=OrderOut)
def order_prepare(request: HttpRequest, order_id: int):
    """Accepted → preparing."""
    return _act(request, order_id, "prepare")


@router.post("/orders/{order_id}/ready", response=OrderOut)
def order_ready(request: HttpRequest, order_id: int):
    """Preparing → ready_for_pickup (pickup orders) or out_for_delivery (delivered orders)."""
    return _act(request, order_id, "ready")


@router.post("/orders/{order_id}/handover", response=OrderOut)
def order_handover(request: HttpRequest, order_id: int):
    """Ready for pickup → picked_up, out for delivery → delivered; the reservation becomes a sale if unpaid."""
    return _act(request, order_id, "handover")
