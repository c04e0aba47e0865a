"""Provider notifications: POST /api/v1/payments/webhooks/foree and /api/v1/payments/webhooks/jazzcash.

Answered fast: the body is verified (where the provider signs), stored raw and deduplicated in one statement; a new
fact is handed to a worker that confirms it with the provider's status query before applying anything. A broker
outage only delays it: reconciliation processes stored notifications that were not confirmed."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from shared_apps.payments.gateways import gateway_for
from shared_apps.payments.models import WebhookStatus
from shared_apps.payments.services import payment_notification_receive
from shared_apps.payments.tasks import webhook_process_task

logger = logging.getLogger(__name__)
router = Router(tags=["payments"])

MAX_BODY = 64 * 1024  # a notification is a few hundred bytes; anything far larger is not one


class ForeeReply(Schema):
    """Foree's acknowledgement: code "00" taken, "01" refused (not a bill notification)."""

    code: str
    status: bool
    message: str


class JazzCashReply(Schema):
    """JazzCash's acknowledgement: pp_ResponseCode "000" taken, "115" refused (failed verification)."""

    pp_ResponseCode: str
    pp_ResponseMessage: str


# The bodies are read raw (stored as sent, verified before parsing), so they are described here, not by a Schema.
_FOREE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "Foree's bill notification (unsigned: confirmed with the bill status API).",
                "required": ["response_data"],
                "properties": {
                    "response_data": {
                        "type": "object",
                        "required": ["bill"],
                        "properties": {
                            "bill": {
                                "type": "object",
                                "required": ["reference_number"],
                                "properties": {
                                    "reference_number": {
                                        "type": ["string", "integer"],
                                        "minLength": 1,
                                        "description": "Foree's bill.",
                                    },
                                    # The rest are hints (the bill status API is asked before anything
                                    # counts), read leniently whatever their type: described, not typed.
                                    "crn": {"description": "Our payment attempt's reference."},
                                    "bill_status": {"description": "Foree's status of the bill."},
                                    "transaction_ref_id": {"description": "Foree's transaction."},
                                    "paid_amount": {"description": "The amount paid."},
                                },
                            }
                        },
                    }
                },
            }
        }
    },
}
_JAZZCASH_FIELDS = {
    "type": "object",
    "description": "JazzCash's pp_* fields, signed by pp_SecureHash (HMAC-SHA256 with the integrity salt).",
    "required": ["pp_TxnRefNo", "pp_ResponseCode", "pp_MerchantID", "pp_SecureHash"],
    "properties": {
        name: {"type": "string"}
        for name in (
            "pp_TxnRefNo",
            "pp_ResponseCode",
            "pp_ResponseMessage",
            "pp_MerchantID",
            "pp_Amount",
            "pp_RetreivalReferenceNo",
            "pp_SecureHash",
        )
    },
    "additionalProperties": {"type": "string"},
}
_JAZZCASH_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": _JAZZCASH_FIELDS},
        "application/json": {"schema": _JAZZCASH_FIELDS},
    },
}


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


@router.post(
    "/payments/webhooks/foree",
    auth=None,
    response={200: ForeeReply, 400: ForeeReply},
    openapi_extra={"requestBody": _FOREE_BODY},
    summary="Foree Pay notification",
)
def foree_notification(request: HttpRequest):
    """Foree's bill notification (unsigned: confirmed with the bill status API before it counts)."""
    return _notification(request, "foree")


@router.post(
    "/payments/webhooks/jazzcash",
    auth=None,
    response={200: JazzCashReply, 400: JazzCashReply},
    openapi_extra={"requestBody": _JAZZCASH_BODY},
    summary="JazzCash IPN",
)
def jazzcash_notification(request: HttpRequest):
    """JazzCash's payment notification (pp_SecureHash verified, then confirmed with the inquiry API)."""
    return _notification(request, "jazzcash")
