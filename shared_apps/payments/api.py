"""Provider notifications: POST /api/v1/payments/webhooks/foree and /api/v1/payments/webhooks/jazzcash.

Answered fast: the body is verified (where the provider signs), stored raw and deduplicated in one statement; a new
fact is handed to a worker that confirms it with the provider's status query before applying anything. A broker
outage only delays it: reconciliation processes stored notifications that were not confirmed."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from ninja import Router

from shared_apps.payments.gateways import gateway_for
from shared_apps.payments.models import WebhookStatus
from shared_apps.payments.services import payment_notification_receive
from shared_apps.payments.tasks import webhook_process_task

logger = logging.getLogger(__name__)
router = Router(tags=["payments"])

MAX_BODY = 64 * 1024  # a notification is a few hundred bytes; anything far larger is not one


def _notification(request: HttpRequest, gateway: str) -> JsonResponse:
    adapter = gateway_for(gateway)
    if len(request.body) > MAX_BODY:
        status, body = adapter.notification_reply(accepted=False)
        return JsonResponse(body, status=status)
    event, new = payment_notification_receive(gateway=gateway, body=request.body, content_type=request.content_type)
    if event is not None and (new or event.status == WebhookStatus.RETRY):
        try:
            webhook_process_task.delay(event.pk)
        except Exception:  # stored: reconciliation confirms it within a minute or two
            logger.exception("webhook event %s: could not queue", event.pk)
    status, body = adapter.notification_reply(accepted=event is not None)
    return JsonResponse(body, status=status)


@router.post("/payments/webhooks/foree", auth=None, include_in_schema=True, summary="Foree Pay notification")
def foree_notification(request: HttpRequest):
    """Foree's bill notification (unsigned: confirmed with the bill status API before it counts)."""
    return _notification(request, "foree")


@router.post("/payments/webhooks/jazzcash", auth=None, summary="JazzCash IPN")
def jazzcash_notification(request: HttpRequest):
    """JazzCash's payment notification (pp_SecureHash verified, then confirmed with the inquiry API)."""
    return _notification(request, "jazzcash")
