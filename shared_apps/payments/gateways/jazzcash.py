"""JazzCash adapter: hosted checkout by "page redirection" (v1.1 `pp_*` form fields signed with `pp_SecureHash`), the
return post / IPN, the status inquiry API and the mobile-account refund API (../../../../shared/docs/providers.md).

The same code talks to the real gateway or to the local sandbox (sandboxes/jazzcash.py) depending on settings alone:
JAZZCASH_FORM_URL, JAZZCASH_API_BASE, JAZZCASH_MERCHANT_ID, JAZZCASH_PASSWORD, JAZZCASH_INTEGRITY_SALT, JAZZCASH_MPIN,
JAZZCASH_TXN_TYPE and PAYMENT_GATEWAY_TIMEOUT_SECONDS, read when `from_settings()` is called.

Decisions a reader may question:
- Inquiry answer 109 ("no such transaction") is PENDING, not FAILED: the customer's browser may simply not have
  reached JazzCash yet. Services expire the attempt at its deadline, so a payment that never started ends there.
- Every refund answer other than 000 raises GatewayError(REJECTED) with JazzCash's code and message (451 multiple
  partial refunds, 452 not eligible, 454, 455, 132, ...); 199 (system error) raises UNAVAILABLE.
- A reply to one of our API calls whose pp_SecureHash does not verify is *no usable answer*: UNAVAILABLE with code
  "115" (the money may have moved; reconcile later), never acted on. A signed 000 answer without a hash is the same.
- notification_reply: accepted → 200 {"pp_ResponseCode": "000"}; rejected → 400 {"pp_ResponseCode": "115"} (the
  only reason we reject a notification is that it failed verification: hash, merchant or missing fields).
- JazzCash has no idempotency key for refunds: a refund retried after UNAVAILABLE may be applied twice. Services
  should check the inquiry (the sandbox reports pp_RefundedAmount) before retrying one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

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
from shared_apps.payments.gateways.redaction import mask, redact

logger = logging.getLogger(__name__)

PAKISTAN = ZoneInfo("Asia/Karachi")  # JazzCash reads pp_TxnDateTime / pp_TxnExpiryDateTime as Pakistan time
VERSION = "1.1"
CURRENCY = "PKR"
INQUIRY_PATH = "/ApplicationAPI/API/PaymentInquiry/Inquire"
REFUND_PATH = "/ApplicationAPI/API/2.0/Purchase/Refund/MobileAccount"
DESCRIPTION_MAX = 200  # JazzCash's limit for pp_Description

# pp_ResponseCode / pp_PaymentResponseCode → what it means for the payment. Unknown codes are failures.
STATUS_BY_CODE: dict[str, GatewayStatus] = {
    "000": GatewayStatus.SUCCEEDED,
    "121": GatewayStatus.SUCCEEDED,  # confirmed by merchant
    "131": GatewayStatus.SUCCEEDED,  # refunded since: it was paid once
    "124": GatewayStatus.PENDING,  # voucher issued, awaiting payment over the counter
    "157": GatewayStatus.PENDING,  # wallet payment pending
    "112": GatewayStatus.CANCELLED,
    "116": GatewayStatus.EXPIRED,
    "134": GatewayStatus.EXPIRED,  # timed out
}
_NO_SUCH_TRANSACTION = "109"
_SYSTEM_ERROR = "199"  # JazzCash's own failure: the outcome is unknown, not a refusal
_INVALID_HASH = "115"


def secure_hash(fields: Mapping[str, Any], salt: str) -> str:
    """JazzCash's pp_SecureHash of `fields` (lowercase hex): the values of every field whose name starts with "pp"
    except pp_SecureHash, empty ones dropped, ordered by field name (ASCII), joined with "&" after "<salt>&",
    HMAC-SHA256 keyed with the salt. Compare with `hash_matches` (case-insensitive, constant time)."""
    values = [
        _text(fields[name])
        for name in sorted(fields)
        if name.startswith("pp") and name != "pp_SecureHash" and _text(fields[name]) != ""
    ]
    message = f"{salt}&" + "&".join(values)
    return hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest()


def hash_matches(fields: Mapping[str, Any], salt: str) -> bool:
    """Whether fields["pp_SecureHash"] is the hash of `fields` (JazzCash sends it uppercase, we send lowercase)."""
    given = _text(fields.get("pp_SecureHash")).strip().lower()
    # bytes: compare_digest refuses str with non-ASCII characters, and a forged hash may well contain some
    return bool(given) and hmac.compare_digest(given.encode(), secure_hash(fields, salt).encode())


def status_for_code(code: str) -> GatewayStatus:
    """The payment state a JazzCash response code stands for; any code not known to mean otherwise is FAILED."""
    return STATUS_BY_CODE.get(code.strip(), GatewayStatus.FAILED)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _paisa(amount: Decimal) -> str:
    """`amount` rupees as JazzCash's integer paisa string. Refuses amounts that are not whole paisa or not positive."""
    try:
        paisa = amount * 100
        if amount <= 0 or paisa != paisa.to_integral_value():
            raise InvalidOperation
    except (InvalidOperation, TypeError) as exc:
        raise GatewayError(GatewayErrorKind.REJECTED, code="110", message=f"Invalid amount {amount!r}.") from exc
    return str(int(paisa))


def _rupees(paisa: Any) -> Decimal | None:
    """Paisa (string or int) as rupees with two decimal places; None when absent or unreadable."""
    text = _text(paisa).strip()
    if not text.isdigit():
        return None
    return (Decimal(text) / 100).quantize(Decimal("0.01"))


def _pakistan_time(moment: datetime) -> str:
    return moment.astimezone(PAKISTAN).strftime("%Y%m%d%H%M%S")


def _kept(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What we store of a payload: secrets redacted; ppmpf_1 carries the customer's phone, so it is masked too
    (redaction.py does not know JazzCash's free fields)."""
    kept = redact(dict(payload))
    if kept.get("ppmpf_1"):
        kept["ppmpf_1"] = mask(kept["ppmpf_1"])
    return kept


@dataclass(frozen=True)
class JazzCashGateway:
    """base.Gateway for JazzCash. Stateless and thread-safe; build one per use with `from_settings()`."""

    form_url: str
    api_base: str
    merchant_id: str
    password: str
    integrity_salt: str
    mpin: str
    txn_type: str
    timeout_seconds: float
    name: str = "jazzcash"

    @classmethod
    def from_settings(cls) -> JazzCashGateway:
        """An adapter configured from the current Django settings (read now, so tests can override them)."""
        return cls(
            form_url=str(settings.JAZZCASH_FORM_URL),
            api_base=str(settings.JAZZCASH_API_BASE).rstrip("/"),
            merchant_id=str(settings.JAZZCASH_MERCHANT_ID),
            password=str(settings.JAZZCASH_PASSWORD),
            integrity_salt=str(settings.JAZZCASH_INTEGRITY_SALT),
            mpin=str(settings.JAZZCASH_MPIN),
            txn_type=str(settings.JAZZCASH_TXN_TYPE),
            timeout_seconds=float(settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS),
        )

    # ---- hosted checkout ------------------------------------------------------------------------------------------

    def initiate(self, request: PaymentRequest) -> Initiated:
        """The signed v1.1 form the customer's browser posts to JazzCash. No HTTP call: JazzCash learns of the payment
        when the browser arrives. The form necessarily carries pp_Password (JazzCash's design); the kept copy does
        not. Raises GatewayError(REJECTED) for a currency other than PKR or an amount that is not whole paisa."""
        if request.currency != CURRENCY:
            raise GatewayError(
                GatewayErrorKind.REJECTED, code="110", message=f"JazzCash takes PKR only, not {request.currency}."
            )
        fields = {
            "pp_Version": VERSION,
            "pp_TxnType": self.txn_type,
            "pp_Language": "EN",
            "pp_MerchantID": self.merchant_id,
            "pp_SubMerchantID": "",
            "pp_Password": self.password,
            "pp_BankID": "",
            "pp_ProductID": "",
            "pp_TxnRefNo": request.reference,
            "pp_Amount": _paisa(request.amount),
            "pp_TxnCurrency": CURRENCY,
            "pp_TxnDateTime": _pakistan_time(datetime.now(PAKISTAN)),
            "pp_TxnExpiryDateTime": _pakistan_time(request.expires_at),
            # JazzCash accepts letters and digits only here; the order number is for people, so dashes can go.
            "pp_BillReference": re.sub(r"[^A-Za-z0-9]", "", request.order_number) or request.reference,
            "pp_Description": request.description.strip()[:DESCRIPTION_MAX] or f"Order {request.order_number}",
            "pp_ReturnURL": request.return_url,
            "ppmpf_1": request.customer_phone,
        }
        fields["pp_SecureHash"] = secure_hash(fields, self.integrity_salt)
        return Initiated(
            provider_reference=request.reference,
            redirect=Redirect(url=self.form_url, method="POST", fields=fields),
            request=_kept(fields),
            response={},
        )

    # ---- return post and IPN --------------------------------------------------------------------------------------

    def parse_notification(self, *, body: bytes, content_type: str) -> Notice:
        """Read a return post or IPN (form-encoded or JSON pp_* fields). Raises GatewayError(INVALID, code "115") when
        the hash is missing or wrong, the merchant is not ours, or the body is not a JazzCash message."""
        fields = self._notification_fields(body, content_type)
        if not hash_matches(fields, self.integrity_salt):
            raise GatewayError(
                GatewayErrorKind.INVALID, code=_INVALID_HASH, message="pp_SecureHash does not match.", raw=_kept(fields)
            )
        if fields.get("pp_MerchantID", "") != self.merchant_id:
            raise GatewayError(
                GatewayErrorKind.INVALID, code=_INVALID_HASH, message="pp_MerchantID is not ours.", raw=_kept(fields)
            )
        reference = fields.get("pp_TxnRefNo", "")
        code = fields.get("pp_ResponseCode", "")
        if not reference or not code:
            raise GatewayError(
                GatewayErrorKind.INVALID,
                code=_INVALID_HASH,
                message="pp_TxnRefNo or pp_ResponseCode missing.",
                raw=_kept(fields),
            )
        # The return post spells it "Retreival" (sic); accept the inquiry's spelling too.
        txn_id = fields.get("pp_RetreivalReferenceNo") or fields.get("pp_RetrievalReferenceNo") or ""
        return Notice(
            reference=reference,
            provider_reference=reference,
            provider_txn_id=txn_id,
            status=status_for_code(code),
            raw=_kept(fields),
        )

    def notification_reply(self, *, accepted: bool) -> tuple[int, dict[str, Any]]:
        """200/000 when we took the notification; 400/115 when it failed verification (the only reason to refuse)."""
        if accepted:
            return 200, {"pp_ResponseCode": "000", "pp_ResponseMessage": "Received"}
        return 400, {"pp_ResponseCode": _INVALID_HASH, "pp_ResponseMessage": "Rejected: failed verification"}

    @staticmethod
    def _notification_fields(body: bytes, content_type: str) -> dict[str, str]:
        try:
            text = body.decode("utf-8")
            if "json" in content_type.lower():
                payload = json_loads(text)
                if not isinstance(payload, dict):
                    raise ValueError("not an object")
                fields = {str(k): _text(v) for k, v in payload.items()}
            else:
                fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise GatewayError(GatewayErrorKind.INVALID, code=_INVALID_HASH, message=f"Unreadable body: {exc}") from exc
        return fields

    # ---- inquiry --------------------------------------------------------------------------------------------------

    def query_status(self, *, reference: str, provider_reference: str) -> ProviderStatus:
        """JazzCash's answer about one payment. 109 (no such transaction) → PENDING (see the module docstring).
        Raises GatewayError: UNAVAILABLE (unreachable, timeout, 5xx, 199, unverifiable answer), REJECTED (the
        inquiry itself refused, e.g. 101 bad credentials, 110, 115)."""
        txn_ref = provider_reference or reference
        payload = self._signed(
            {
                "pp_TxnRefNo": txn_ref,
                "pp_MerchantID": self.merchant_id,
                "pp_Password": self.password,
                "pp_Version": VERSION,
            }
        )
        answer = self._post(INQUIRY_PATH, payload)
        code = _text(answer.get("pp_ResponseCode"))
        message = _text(answer.get("pp_ResponseMessage"))
        if code == _NO_SUCH_TRANSACTION:
            return ProviderStatus(status=GatewayStatus.PENDING, code=code, message=message, raw=_kept(answer))
        if code != "000":
            raise self._refusal(code, message, answer)
        payment_code = _text(answer.get("pp_PaymentResponseCode")).strip()
        status = status_for_code(payment_code) if payment_code else self._status_from_text(answer.get("pp_Status"))
        paid = status is GatewayStatus.SUCCEEDED
        return ProviderStatus(
            status=status,
            provider_txn_id=_text(answer.get("pp_RetrievalReferenceNo") or answer.get("pp_RetreivalReferenceNo")),
            amount=_rupees(answer.get("pp_Amount")) if paid else None,
            code=payment_code or code,
            message=_text(answer.get("pp_PaymentResponseMessage")) or message,
            raw=_kept(answer),
        )

    @staticmethod
    def _status_from_text(value: Any) -> GatewayStatus:
        """pp_Status when no pp_PaymentResponseCode came (JazzCash words it "Completed", "Pending", ...)."""
        text = _text(value).strip().lower()
        if text in {"completed", "success", "paid", "refunded"}:
            return GatewayStatus.SUCCEEDED
        if text in {"pending", "initiated"}:
            return GatewayStatus.PENDING
        if text in {"cancelled", "canceled"}:
            return GatewayStatus.CANCELLED
        if text in {"expired", "timed out", "timeout"}:
            return GatewayStatus.EXPIRED
        return GatewayStatus.FAILED

    # ---- refund ---------------------------------------------------------------------------------------------------

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
        """Refund `amount` of a paid mobile-account transaction. Returns SUCCEEDED on 000; raises GatewayError
        REJECTED with JazzCash's code and message for any other answer (451, 452, 454, 455, 132, 110, ...),
        UNAVAILABLE when the outcome is unknown (unreachable, timeout, 5xx, 199, unverifiable answer).
        JazzCash has no refund id of its own: `refund_reference` is ours and is not sent."""
        if currency != CURRENCY:
            raise GatewayError(
                GatewayErrorKind.REJECTED, code="110", message=f"JazzCash refunds PKR only, not {currency}."
            )
        txn_ref = provider_reference or reference
        payload = self._signed(
            {
                "pp_TxnRefNo": txn_ref,
                "pp_Amount": _paisa(amount),
                "pp_TxnCurrency": CURRENCY,
                "pp_MerchantID": self.merchant_id,
                "pp_Password": self.password,
                "pp_MerchantMPIN": self.mpin,
            }
        )
        answer = self._post(REFUND_PATH, payload)
        code = _text(answer.get("pp_ResponseCode"))
        message = _text(answer.get("pp_ResponseMessage"))
        if code != "000":
            raise self._refusal(code, message, answer)
        logger.info("jazzcash refund of %s on %s: %s", amount, txn_ref, code)
        return RefundOutcome(
            status=GatewayStatus.SUCCEEDED,
            provider_reference=txn_ref,
            code=code,
            message=message,
            request=_kept(payload),
            response=_kept(answer),
        )

    # ---- HTTP -----------------------------------------------------------------------------------------------------

    def _signed(self, fields: dict[str, str]) -> dict[str, str]:
        return {**fields, "pp_SecureHash": secure_hash(fields, self.integrity_salt)}

    def _post(self, path: str, payload: dict[str, str]) -> dict[str, Any]:
        """POST `payload` as JSON and return the verified JSON answer. Raises UNAVAILABLE for anything that is not a
        usable answer (transport error, timeout, 5xx, unreadable body, bad hash) and REJECTED for other HTTP 4xx."""
        url = f"{self.api_base}{path}"
        try:
            response = provider_http().post(
                url, json=payload, headers={"Accept": "application/json"}, timeout=httpx.Timeout(self.timeout_seconds)
            )
        except httpx.TransportError as exc:
            logger.warning("jazzcash %s: unreachable: %r", path, exc)
            raise GatewayError(GatewayErrorKind.UNAVAILABLE, message=f"JazzCash unreachable: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayError(
                GatewayErrorKind.UNAVAILABLE, code=str(response.status_code), message=response.text[:200]
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            kind = GatewayErrorKind.REJECTED if response.is_client_error else GatewayErrorKind.UNAVAILABLE
            raise GatewayError(
                kind, code=str(response.status_code), message=f"Unreadable answer: {response.text[:200]!r}"
            )
        if response.is_client_error:
            raise self._refusal(
                _text(answer.get("pp_ResponseCode")) or str(response.status_code),
                _text(answer.get("pp_ResponseMessage")),
                answer,
            )
        self._verify_answer(path, answer)
        return answer

    def _verify_answer(self, path: str, answer: dict[str, Any]) -> None:
        """A signed answer must verify; a success (000) answer must be signed. Error answers may come unsigned: we
        only report them, never act on them."""
        signed = bool(_text(answer.get("pp_SecureHash")))
        if (signed or _text(answer.get("pp_ResponseCode")) == "000") and not hash_matches(answer, self.integrity_salt):
            logger.warning("jazzcash %s: answer failed hash verification", path)
            raise GatewayError(
                GatewayErrorKind.UNAVAILABLE,
                code=_INVALID_HASH,
                message="JazzCash's answer failed pp_SecureHash verification.",
                raw=_kept(answer),
            )

    @staticmethod
    def _refusal(code: str, message: str, answer: Mapping[str, Any]) -> GatewayError:
        kind = GatewayErrorKind.UNAVAILABLE if code == _SYSTEM_ERROR else GatewayErrorKind.REJECTED
        return GatewayError(kind, code=code, message=message or "JazzCash refused the request.", raw=_kept(answer))
