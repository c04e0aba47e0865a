"""What "my orders" and an order's page show: status words a customer reads (a merchant's "New" is the customer's
"Placed"), a tone per status for the badge, money and times formatted, and whether the page should keep polling."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kernel.money import money
from marketplace.cart.page_context import FULFILMENT_LABELS
from marketplace.orders.api import order_out
from marketplace.orders.models import CustomerOrder, CustomerOrderStatus, PartTracking
from marketplace.orders.tracking import tracking_view
from shared_apps.live.selectors import live_last_event_id
from shared_apps.live.services import channel_order
from shared_apps.payments.selectors import payment_can_pay
from tenant_apps.orders.models import Fulfilment, OrderStatus
from tenant_apps.stores.promise import when_label

ORDERS_SHOWN = 50
PART_LABELS = {**{s.value: s.label for s in OrderStatus}, OrderStatus.PLACED: "Placed"}
_TONES = {
    "pending_payment": "wait",
    "placed": "new",
    "accepted": "moving",
    "preparing": "moving",
    "in_progress": "moving",
    "ready_for_pickup": "ready",
    "out_for_delivery": "ready",
    "picked_up": "done",
    "delivered": "done",
    "completed": "done",
    "rejected": "ended",
    "cancelled": "ended",
    "refunded": "ended",
}
# Nothing more happens to an order in these states: its page stops asking for news.
SETTLED = {CustomerOrderStatus.COMPLETED, CustomerOrderStatus.CANCELLED, CustomerOrderStatus.REFUNDED}
# A part in these states has kept (or no longer has) its promise: the page stops showing the time.
_PROMISE_ENDED = {"picked_up", "delivered", "rejected", "cancelled", "refunded"}


def _badge(status: str, label: str) -> dict[str, str]:
    return {"status": status, "label": label, "tone": _TONES.get(status, "new")}


def _promise(part: dict[str, Any], eta: datetime | None = None) -> dict[str, str]:
    """The part's promised (and, scheduled, wanted) time in words; empty once it is handed over or ended. Once its
    delivery keeps an estimate of its own (`eta`, kept current as the order moves), that is the time shown: one time
    on the page, never two."""
    when = eta or part.get("promised_at")
    if part["status"] in _PROMISE_ENDED or when is None:
        return {}
    kind = "ready" if part["fulfilment"] == Fulfilment.PICKUP else "arrives"
    template = _("Ready %(when)s") if kind == "ready" else _("Arrives %(when)s")
    promise = {"kind": kind, "label": template % {"when": when_label(when)}}
    if part.get("scheduled_for"):
        promise["scheduled"] = _("Scheduled for %(when)s") % {"when": when_label(part["scheduled_for"])}
    return promise


def _part_tracked(part: dict[str, Any], currency: str, tracking: dict[str, Any] | None) -> dict[str, Any]:
    return {**_part(part, currency, (tracking or {}).get("eta")), "tracking": tracking}


def _part(part: dict[str, Any], currency: str, eta: datetime | None = None) -> dict[str, Any]:
    return {
        "promise": _promise(part, eta),
        "number": part["number"],
        "store_name": part["store_name"],
        "branch_name": part["branch_name"],
        "badge": _badge(part["status"], PART_LABELS.get(part["status"], part["status"])),
        "fulfilment_label": FULFILMENT_LABELS.get(part["fulfilment"], part["fulfilment"]),
        "lines": [
            {
                "title": line["title"],
                "variant_name": line["variant_name"],
                "quantity": line["quantity"],
                "unit_price_label": money(Decimal(str(line["unit_price"])), currency),
                "line_total_label": money(Decimal(str(line["line_total"])), currency),
            }
            for line in part["lines"]
        ],
        "subtotal_label": money(part["subtotal"], currency),
        "delivery_label": money(part["delivery_fee"], currency) if part["delivery_fee"] else "Free",
        "total_label": money(part["total"], currency),
        "timeline": [
            {
                "label": PART_LABELS.get(entry["status"], entry.get("label", entry["status"])),
                "at": parse_datetime(entry["at"]) if isinstance(entry["at"], str) else entry["at"],
                "note": entry.get("note", ""),
                "tone": _TONES.get(entry["status"], "new"),
            }
            for entry in part["timeline"]
        ],
    }


def order_view(order: CustomerOrder) -> dict[str, Any]:
    """One order as its page shows it: what orders_of prefetched, and each part's tracking (one query)."""
    out = order_out(order)
    payment = out["payment"]
    numbers = [part["number"] for part in out["parts"]]
    trackings = {t.number: t for t in PartTracking.objects.filter(number__in=numbers)}
    return {
        "number": order.number,
        "created_at": order.created_at,
        "badge": _badge(order.status, order.get_status_display()),
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "payment_label": payment.get_method_display() if payment else order.payment_method,
        "subtotal_label": money(order.subtotal, order.currency),
        "delivery_label": money(order.delivery_total, order.currency) if order.delivery_total else "Free",
        "total_label": money(order.total, order.currency),
        "parts": [
            _part_tracked(part, order.currency, tracking_view(trackings.get(part["number"]))) for part in out["parts"]
        ],
        "delivery": order.delivery_address or None,
        "can_cancel": out["can_cancel"],
        "can_pay": bool(payment) and payment_can_pay(payment),
        "payment_status": payment.get_status_display() if payment else "",
        "live": order.status not in SETTLED,
    }


def order_card(order: CustomerOrder) -> dict[str, Any]:
    """An order in the list: number, when, status, the shops, total."""
    parts = list(order.parts.all())
    return {
        "number": order.number,
        "created_at": order.created_at,
        "badge": _badge(order.status, order.get_status_display()),
        "shops": ", ".join(p.store_name for p in parts),
        "items": sum(line["quantity"] for p in parts for line in p.lines),
        "total_label": money(order.total, order.currency),
    }


def order_live_view(order: CustomerOrder) -> dict[str, Any]:
    """What the order's page needs to go live: its stream and the last event it was rendered with (the stream
    replays anything after it). The maps are each part's (tracking_view: shop, destination, rider). One read."""
    return {
        "src": f"/api/v1/orders/{order.pk}/events",
        "last_id": live_last_event_id(channels=[channel_order(order.pk)]) if order.status not in SETTLED else 0,
    }
