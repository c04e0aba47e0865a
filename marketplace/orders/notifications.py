"""Texts to the customer as their order moves (Celery, through the SMS adapter, after commit). A failure to send is
logged by the task and never reaches the order (shared_apps/sms/tasks.py)."""

from __future__ import annotations

from kernel.money import money
from shared_apps.sms.tasks import sms_send_on_commit
from tenant_apps.orders.models import OrderStatus as S

_TEXTS = {
    S.PLACED: "Planckly: your order {number} at {store} is placed. Total {total}.",
    S.ACCEPTED: "Planckly: {store} accepted your order {number}.",
    S.READY_FOR_PICKUP: "Planckly: your order {number} is ready for pickup at {store}, {branch}.",
    S.OUT_FOR_DELIVERY: "Planckly: your order {number} from {store} is on its way.",
    S.DELIVERED: "Planckly: your order {number} from {store} was delivered. Thank you!",
    S.PICKED_UP: "Planckly: you picked up order {number} from {store}. Thank you!",
    S.REJECTED: "Planckly: {store} could not take your order {number}: {reason}",
    S.CANCELLED: "Planckly: your order {number} at {store} was cancelled. {reason}",
}
NOTIFIED = frozenset(_TEXTS)


def order_text(*, status: str, number: str, store: str, branch: str, total: str, currency: str, reason: str) -> str:
    return (
        _TEXTS[status]
        .format(number=number, store=store, branch=branch, total=money(total, currency), reason=reason or "")
        .strip()
    )


def order_sms_on_commit(*, phone: str, status: str, **fields: str) -> bool:
    """Queue the text for `status` (if customers hear about it) once the transaction commits."""
    if status not in NOTIFIED or not phone:
        return False
    sms_send_on_commit(to=phone, body=order_text(status=status, **fields))
    return True
