"""The one error shape of the product: every app's errors.py defines an ErrorCode enum and one DomainError subclass.

The API turns a DomainError into `{"code", "message", "field"}` with the enum member's HTTP status (config/api.py);
pages render the same message. Codes are stable strings: clients switch on them, people read the message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Base for per-app enums. Members are declared as `NAME = ("code", http_status, "default message")`."""

    def __new__(cls, code: str, status: int = 400, message: str = "") -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status  # type: ignore[attr-defined]
        member.default_message = message or code.replace("_", " ").capitalize()  # type: ignore[attr-defined]
        return member


class DomainError(Exception):
    """Raised by services, selectors and access functions; never carries a stack trace to the client."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.default_message  # type: ignore[attr-defined]
        self.field = field
        self.retry_after = retry_after  # seconds; sent as Retry-After with 429s
        self.extra = extra or {}  # details a client acts on, e.g. which cart lines are out of stock
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> int:
        return self.code.status  # type: ignore[attr-defined]

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {**self.extra, "code": str(self.code), "message": self.message, "field": self.field}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body


class CommonErrorCode(ErrorCode):
    """Codes for failures that belong to no domain: request shape, routing, authentication."""

    INVALID = ("invalid", 400, "The request is not valid.")
    UNAUTHENTICATED = ("unauthenticated", 401, "Sign in to continue.")
    FORBIDDEN = ("forbidden", 403, "You are not allowed to do this.")
    NOT_FOUND = ("not_found", 404, "Not found.")
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405, "Method not allowed.")
    CONFLICT = ("conflict", 409, "The request conflicts with the current state.")
    RATE_LIMITED = ("rate_limited", 429, "Too many requests. Try again later.")
    INTERNAL = ("internal_error", 500, "Something went wrong on our side. Please try again.")
    UNAVAILABLE = ("unavailable", 503, "A service we depend on is not answering. Please try again in a moment.")
