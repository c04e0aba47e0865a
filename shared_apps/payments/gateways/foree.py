"""Foree Pay adapter: bills through Foree's bill API, paid by the customer on Foree's hosted page.

The same code talks to the real service or to the local sandbox (sandboxes/foree.py), by settings alone:
FOREE_API_BASE (https://api.foreebill.com; sandbox https://api-sandbox.foreebill.com), FOREE_API_KEY (sent as
`X-API-KEY`), FOREE_SUB_BILLER_NAME, PAYMENT_GATEWAY_TIMEOUT_SECONDS. Protocol: ../../shared/docs/providers.md.

Protocol, as far as it is known (there are no official public docs, only one public integration):
- `POST {base}/business/import_bill` creates a bill for our attempt: `crn` = our reference, amount as a string with
  two decimals, `due_date`/`expiry_date` in epoch milliseconds. The answer gives the bill's `reference_number`
  (our provider_reference) and the `payment_link` the customer is sent to.
- `POST {base}/checkout/bill_status {"reference_number"}` says what happened to the bill.
- Foree posts `{"response_data": {"bill": {...}}}` to our notification URL. It is NOT signed: `parse_notification`
  only checks its shape, and services must confirm it with `query_status` before acting on it.

Assumption, unverified: we also send `return_url` in import_bill so that Foree sends the browser back to our
return page (the sandbox honours it, appending `?crn=&reference_number=`). If the real service rejects unknown
keys, drop it in `_bill_body`; the return page then relies on the portal's configured redirect and on polling.

Refunds: Foree has no public refund API; the merchant refunds in the Foree Pay merchant portal. `refund` makes no
HTTP call: it records the refund as paid out (see its docstring).

Errors (base.GatewayError): connection errors, timeouts, HTTP 5xx and 429, unreadable answers → UNAVAILABLE (the
outcome is unknown); other HTTP 4xx and any non-zero `response_code` → REJECTED with Foree's code and message.
Money is Decimal throughout: JSON numbers are parsed with `parse_float=Decimal`, never as float.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings

from kernel.http import provider_http
from kernel.jsonparse import json_loads
from shared_apps.payments.gateways.base import (
    GatewayError,
    GatewayErrorKind,
    GatewayStatus,
    Initiated,
    Notice,
    PaymentRequest,
    ProviderStatus,
    Redirect,
    RefundOutcome,
)
from shared_apps.payments.gateways.redaction import redact

logger = logging.getLogger(__name__)

CURRENCY = "PKR"
_CENT = Decimal("0.01")

# Foree's bill_status values, lower-cased (Foree's case varies). Anything not listed maps to PENDING, never to
# FAILED: a status we cannot read says nothing about the money, and calling it failed would let the customer pay
# again for a bill that may already be paid. PENDING keeps the attempt open for reconciliation instead.
_STATUSES: dict[str, GatewayStatus] = {
    "paid": GatewayStatus.SUCCEEDED,
    "unpaid": GatewayStatus.PENDING,
    "pending": GatewayStatus.PENDING,
    "expired": GatewayStatus.EXPIRED,
    "cancelled": GatewayStatus.CANCELLED,
    "canceled": GatewayStatus.CANCELLED,
    "failed": GatewayStatus.FAILED,
}


def status_from_foree(value: Any) -> GatewayStatus:
    """Our status for a Foree `bill_status`, any case; unknown values are PENDING (see _STATUSES)."""
    return _STATUSES.get(str(value or "").strip().lower(), GatewayStatus.PENDING)


def _decimal(value: Any) -> Decimal | None:
    """A money value from Foree's JSON (number already parsed as Decimal, or a string); None when absent/unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise GatewayError(GatewayErrorKind.REJECTED, code="invalid_request", message="expires_at must be aware.")
    return int(moment.timestamp() * 1000)


def _stripped(body: dict[str, Any]) -> dict[str, Any]:
    """Foree's convention: keys with null or empty values are left out of the body."""
    return {key: value for key, value in body.items() if value is not None and value != ""}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ForeeGateway:
    """base.Gateway for Foree Pay. Stateless; build it with `from_settings()` (reads settings at call time)."""

    api_base: str
    api_key: str
    sub_biller_name: str
    timeout_seconds: float

    name = "foree"

    @classmethod
    def from_settings(cls) -> ForeeGateway:
        return cls(
            api_base=str(settings.FOREE_API_BASE).rstrip("/"),
            api_key=str(settings.FOREE_API_KEY),
            sub_biller_name=str(settings.FOREE_SUB_BILLER_NAME),
            timeout_seconds=float(settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS),
        )

    # ---- outgoing calls --------------------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to Foree and return its answer (response_code 0). One request, no retries.

        Raises GatewayError: UNAVAILABLE for no usable answer, REJECTED for a refusal (raw redacted)."""
        try:
            response = provider_http().post(
                f"{self.api_base}{path}",
                json=body,
                headers={"X-API-KEY": self.api_key, "Accept": "application/json"},
                timeout=httpx.Timeout(self.timeout_seconds),
            )
        except httpx.TransportError as exc:  # refused, reset, DNS, and every kind of timeout
            logger.warning("foree %s: unreachable: %r", path, exc)
            raise GatewayError(GatewayErrorKind.UNAVAILABLE, code="unreachable", message=repr(exc)) from exc

        payload = self._json(response)
        status = response.status_code
        if status == 429 or status >= 500:
            logger.warning("foree %s: HTTP %s", path, status)
            raise GatewayError(
                GatewayErrorKind.UNAVAILABLE,
                code=f"http_{status}",
                message=response.reason_phrase,
                raw=redact(payload or {}),
            )
        if payload is None:
            logger.warning("foree %s: HTTP %s with an unreadable body", path, status)
            kind = GatewayErrorKind.REJECTED if status >= 400 else GatewayErrorKind.UNAVAILABLE
            raise GatewayError(kind, code=f"http_{status}", message=response.text[:200])
        code = payload.get("response_code")
        if status >= 400 or str(code) != "0":
            message = _text(payload.get("response_message") or payload.get("message") or response.reason_phrase)
            logger.warning("foree %s: rejected: HTTP %s, code %s: %s", path, status, code, message)
            raise GatewayError(
                GatewayErrorKind.REJECTED,
                code=_text(code if code is not None else f"http_{status}"),
                message=message,
                raw=redact(payload),
            )
        return payload

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any] | None:
        try:
            payload = json_loads(response.content, parse_float=Decimal)
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _bill_body(self, request: PaymentRequest) -> dict[str, Any]:
        if request.currency != CURRENCY:
            raise GatewayError(GatewayErrorKind.REJECTED, code="currency", message="Foree Pay bills are in PKR.")
        amount = request.amount.quantize(_CENT)
        if amount != request.amount or amount <= 0:
            raise GatewayError(
                GatewayErrorKind.REJECTED, code="amount", message="The amount must be positive, with 2 decimals."
            )
        expires = _epoch_ms(request.expires_at)
        return _stripped(
            {
                "crn": request.reference,
                "sub_biller_name": self.sub_biller_name,
                "consumer_name": request.customer_name,
                "customer_email_address": request.customer_email,
                "customer_phone_number": request.customer_phone,
                "amount": f"{amount:f}",
                "late_amount": f"{amount:f}",  # no late fee: the bill expires at its due date
                "due_date": expires,
                "expiry_date": expires,
                "return_url": request.return_url,  # unverified extension, see the module docstring
            }
        )

    # ---- base.Gateway ----------------------------------------------------------------------------------------------

    def initiate(self, request: PaymentRequest) -> Initiated:
        """Create the Foree bill for `request` (crn = request.reference) and redirect (GET) to its payment_link.

        Not idempotent at Foree: the same crn twice is refused (REJECTED), so a retry needs a new reference. After
        UNAVAILABLE the bill may exist; it can only be found through its reference_number, which we did not get."""
        body = self._bill_body(request)
        payload = self._post("/business/import_bill", body)
        data = payload.get("response_data")
        reference_number = _text(data.get("reference_number")) if isinstance(data, dict) else ""
        payment_link = _text(data.get("payment_link")) if isinstance(data, dict) else ""
        if not reference_number or not payment_link:
            raise GatewayError(
                GatewayErrorKind.UNAVAILABLE,
                code="incomplete",
                message="No reference_number or payment_link.",
                raw=redact(payload),
            )
        return Initiated(
            provider_reference=reference_number,
            redirect=Redirect(url=payment_link, method="GET"),
            request=redact(body),
            response=redact(payload),
        )

    def query_status(self, *, reference: str, provider_reference: str) -> ProviderStatus:
        """Foree's bill_status for the bill `provider_reference` (its reference_number; Foree cannot look bills up
        by crn). A bill whose crn is not `reference` is REJECTED (code "crn_mismatch"): it is someone else's bill,
        as when a forged notification names it. `amount` is the paid amount once paid, else None."""
        if not provider_reference:
            raise GatewayError(
                GatewayErrorKind.REJECTED, code="no_reference", message="A Foree bill reference_number is needed."
            )
        payload = self._post("/checkout/bill_status", {"reference_number": provider_reference})
        data = payload.get("response_data")
        bill = data.get("bill") if isinstance(data, dict) else None
        if not isinstance(bill, dict) or "bill_status" not in bill:
            raise GatewayError(
                GatewayErrorKind.UNAVAILABLE, code="incomplete", message="No bill in the answer.", raw=redact(payload)
            )
        crn = _text(bill.get("crn") or bill.get("buisness_crn") or bill.get("business_crn"))
        if reference and crn and crn != reference:
            raise GatewayError(
                GatewayErrorKind.REJECTED,
                code="crn_mismatch",
                message=f"Bill {provider_reference} belongs to another reference.",
                raw=redact(payload),
            )
        status = status_from_foree(bill.get("bill_status"))
        return ProviderStatus(
            status=status,
            provider_txn_id=_text(bill.get("transaction_ref_id")),
            amount=_decimal(bill.get("paid_amount")) if status == GatewayStatus.SUCCEEDED else None,
            code=_text(bill.get("bill_status")),
            message=_text(payload.get("response_message")),
            raw=redact(payload),
        )

    def parse_notification(self, *, body: bytes, content_type: str) -> Notice:
        """The claim in a Foree notification. Foree does not sign them, so this checks the shape only (JSON with
        response_data.bill.reference_number); the result is a hint to confirm with query_status. `content_type` is
        not checked: Foree's is not documented. Raises GatewayError(INVALID) for anything else."""
        try:
            payload = json_loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GatewayError(GatewayErrorKind.INVALID, code="not_json", message="The body is not JSON.") from exc
        data = payload.get("response_data") if isinstance(payload, dict) else None
        bill = data.get("bill") if isinstance(data, dict) else None
        number = bill.get("reference_number") if isinstance(bill, dict) else None
        # a string (a number is taken too); an object or a list is no bill reference, whatever it stringifies to
        readable = isinstance(number, str | int) and not isinstance(number, bool)
        reference_number = _text(number).strip() if readable else ""
        if not isinstance(bill, dict) or not reference_number:
            raise GatewayError(
                GatewayErrorKind.INVALID,
                code="not_a_bill",
                message="No response_data.bill.reference_number.",
                raw=redact(payload) if isinstance(payload, dict) else {},
            )
        return Notice(
            reference=_text(bill.get("buisness_crn") or bill.get("business_crn") or bill.get("crn")),
            provider_reference=reference_number,
            provider_txn_id=_text(bill.get("transaction_ref_id")),
            status=status_from_foree(bill.get("bill_status")),
            raw=redact(payload),
        )

    def notification_reply(self, *, accepted: bool) -> tuple[int, dict[str, Any]]:
        """Foree's expected acknowledgement when accepted; a 400 otherwise, so a malformed message shows as refused
        in Foree's logs (it is not retried as far as we know, and a valid one never gets this answer)."""
        if accepted:
            return 200, {"code": "00", "status": True, "message": "Received"}
        return 400, {"code": "01", "status": False, "message": "Rejected"}

    def refund(
        self,
        *,
        reference: str,
        provider_reference: str,
        provider_txn_id: str,
        amount: Decimal,
        currency: str,
        refund_reference: str,
    ) -> RefundOutcome:
        """Record a refund the merchant pays out in the Foree Pay merchant portal: Foree has no public refund API.

        No HTTP call is made and it always returns SUCCEEDED with provider_reference "manual-{refund_reference}":
        the person issuing the refund in our admin is trusted to have done (or to do) it in the portal, the way
        Foree merchants refund today. Deterministic, so calling it twice for one refund records the same thing."""
        record = {
            "reference": reference,
            "provider_reference": provider_reference,
            "provider_txn_id": provider_txn_id,
            "amount": f"{amount:f}",
            "currency": currency,
            "refund_reference": refund_reference,
            "channel": "foree_merchant_portal",
        }
        return RefundOutcome(
            status=GatewayStatus.SUCCEEDED,
            provider_reference=f"manual-{refund_reference}",
            message="Recorded: refund paid out through the Foree Pay merchant portal",
            request=redact(record),
            response={},
        )
