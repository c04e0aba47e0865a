from kernel.errors import DomainError, ErrorCode


class PaymentErrorCode(ErrorCode):
    GATEWAY_INVALID = ("gateway_invalid", 400, "Choose Foree Pay or JazzCash.")
    NOT_ONLINE = ("payment_not_online", 409, "This order is paid in cash on delivery.")
    ALREADY_PAID = ("payment_already_paid", 409, "This order has already been paid.")
    EXPIRED = ("payment_expired", 409, "The time to pay for this order has passed; its items went back on sale.")
    CANCELLED = ("payment_cancelled", 409, "This order was cancelled, so there is nothing to pay.")
    KEY_REUSED = (
        "idempotency_key_reused",
        409,
        "This Idempotency-Key was used for a different payment attempt. Use a new key for a new attempt.",
    )
    GATEWAY_UNAVAILABLE = ("gateway_unavailable", 503, "The payment provider is not answering. Try again shortly.")
    GATEWAY_REJECTED = ("gateway_rejected", 502, "The payment provider refused the payment.")
    REFUND_AMOUNT_INVALID = ("refund_amount_invalid", 400, "Enter an amount above zero with at most 2 decimals.")
    REFUND_TOO_LARGE = ("refund_too_large", 409, "That is more than what is left to refund.")
    NOTHING_TO_REFUND = ("refund_nothing_captured", 409, "No money has been taken for this order yet.")
    REFUND_REJECTED = ("refund_rejected", 502, "The payment provider refused the refund.")
    REFUND_PENDING = (
        "refund_pending",
        503,
        "The payment provider did not answer. The refund is recorded as pending and an "
        "operator confirms it with the provider: do not refund again.",
    )
    WEBHOOK_INVALID = ("webhook_invalid", 400, "The notification could not be verified.")
    NOT_FOUND = ("not_found", 404, "Not found.")


class PaymentError(DomainError):
    pass
