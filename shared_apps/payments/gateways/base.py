"""The one protocol every online payment gateway adapter implements, and the values that cross it.

Services (shared_apps/payments/services.py) never speak a provider's dialect: they hand an adapter a PaymentRequest
and get back typed results. A notification or a customer's return is only a *hint* (`Notice`): before any money
moves, services confirm it with `query_status`, whatever the provider's signature says.

Errors: `GatewayError` with a kind —
REJECTED: the provider refused the request (bad field, bad credentials, not refundable); retrying unchanged fails again;
UNAVAILABLE: no usable answer (connection error, timeout, 5xx): the outcome is unknown, reconcile later;
INVALID: an incoming message failed verification (bad hash, malformed body): ignore it, change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class GatewayStatus(StrEnum):
    PENDING = "pending"  # created, the customer has not paid yet (or a voucher waits to be paid over the counter)
    SUCCEEDED = "succeeded"  # money taken (also when the provider says it was refunded since: it was paid once)
    FAILED = "failed"
    CANCELLED = "cancelled"  # the customer cancelled on the provider's page
    EXPIRED = "expired"  # the provider's deadline passed unpaid


class GatewayErrorKind(StrEnum):
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"
    INVALID = "invalid"


class GatewayError(Exception):
    def __init__(self, kind: GatewayErrorKind, *, code: str = "", message: str = "", raw: dict | None = None) -> None:
        self.kind = kind
        self.code = code  # the provider's code when it gave one, e.g. JazzCash "115"
        self.message = message
        self.raw = raw or {}  # redacted
        super().__init__(f"{kind}: {code} {message}".strip())


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # our unique attempt reference: JazzCash pp_TxnRefNo, Foree crn (alphanumeric, ≤20 chars)
    amount: Decimal  # in `currency`, 2 decimal places
    currency: str
    order_number: str
    description: str
    customer_name: str
    customer_phone: str
    customer_email: str
    return_url: str  # where the provider sends the customer's browser back (absolute)
    expires_at: datetime  # the provider must refuse payment after this (aware datetime)


@dataclass(frozen=True)
class Redirect:
    """Where to send the customer: a GET to `url`, or (method POST) an auto-submitted form of `fields` to `url`."""

    url: str
    method: str = "GET"
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Initiated:
    provider_reference: str  # Foree: the bill's reference_number; JazzCash: pp_TxnRefNo (= our reference)
    redirect: Redirect
    request: dict[str, Any]  # as sent, redacted
    response: dict[str, Any]  # as received, redacted


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider's status query says about one payment: the truth services act on."""

    status: GatewayStatus
    provider_txn_id: str = ""  # the provider's transaction id once paid
    amount: Decimal | None = None  # what was paid, when the provider says
    code: str = ""
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # redacted


@dataclass(frozen=True)
class Notice:
    """What a notification (webhook) or a customer's return claims. Verified where the provider signs it, but a hint
    all the same: services confirm with query_status before applying anything."""

    reference: str  # our attempt reference when the provider echoes it ("" when not)
    provider_reference: str  # the provider's reference of the payment (Foree bill reference_number)
    provider_txn_id: str  # the provider's transaction id ("" when the message has none)
    status: GatewayStatus  # as claimed
    raw: dict[str, Any] = field(default_factory=dict)  # redacted

    @property
    def dedupe_key(self) -> str:
        """One key per distinct fact: the same transaction reported in the same state twice is a duplicate."""
        return f"{self.provider_txn_id or self.provider_reference or self.reference}:{self.status}"


@dataclass(frozen=True)
class RefundOutcome:
    status: GatewayStatus  # SUCCEEDED, FAILED, or PENDING (the provider will finish it later)
    provider_reference: str = ""
    code: str = ""
    message: str = ""
    request: dict[str, Any] = field(default_factory=dict)  # redacted
    response: dict[str, Any] = field(default_factory=dict)  # redacted


class Gateway(Protocol):
    name: str  # "foree", "jazzcash": PaymentMethod values

    def initiate(self, request: PaymentRequest) -> Initiated:
        """Create the payment at the provider and say where to send the customer. Raises GatewayError."""
        ...

    def parse_notification(self, *, body: bytes, content_type: str) -> Notice:
        """Read (and, where the provider signs, verify) an incoming notification or return. Raises
        GatewayError(INVALID) for a bad signature or a body that is not this provider's notification."""
        ...

    def notification_reply(self, *, accepted: bool) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body the provider expects in answer to its notification."""
        ...

    def query_status(self, *, reference: str, provider_reference: str) -> ProviderStatus:
        """Ask the provider what happened to one payment. Raises GatewayError (UNAVAILABLE: try again later)."""
        ...

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
        """Give `amount` of one succeeded payment back. Raises GatewayError (REJECTED: the provider refused)."""
        ...
