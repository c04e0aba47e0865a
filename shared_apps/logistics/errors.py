from kernel.errors import DomainError, ErrorCode


class LogisticsErrorCode(ErrorCode):
    COURIER_UNKNOWN = ("courier_unknown", 400, "Choose a delivery partner we work with.")
    QUOTE_UNAVAILABLE = ("courier_quote_unavailable", 503, "The delivery partner is not answering. Try again shortly.")
    UNDELIVERABLE = ("courier_undeliverable", 422, "The delivery partner does not deliver to this address.")
    REJECTED = ("courier_rejected", 502, "The delivery partner refused the delivery.")
    NOT_CANCELABLE = ("courier_not_cancelable", 409, "The courier has already picked up this parcel.")
    ALREADY_ENDED = ("courier_delivery_ended", 409, "This delivery has already ended.")
    WEBHOOK_UNSIGNED = ("webhook_signature_invalid", 401, "The notification's signature could not be verified.")
    WEBHOOK_INVALID = ("webhook_invalid", 400, "The notification could not be read.")
    WEBHOOK_TOO_LARGE = ("webhook_too_large", 413, "The notification is too large.")
    NOT_FOUND = ("not_found", 404, "Not found.")


class LogisticsError(DomainError):
    pass
