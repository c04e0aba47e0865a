from kernel.errors import DomainError, ErrorCode


class InventoryErrorCode(ErrorCode):
    OUT_OF_STOCK = ("out_of_stock", 409, "Not enough stock available.")
    BELOW_RESERVED = ("below_reserved", 409, "Stock cannot go below what is reserved for open orders.")
    QUANTITY_INVALID = ("quantity_invalid", 400, "Enter a whole number of units greater than zero.")
    REASON_INVALID = ("reason_invalid", 400, "Use adjustment, return or count for manual changes.")
    IDEMPOTENCY_CONFLICT = ("idempotency_conflict", 409, "This Idempotency-Key was used for a different change.")


class InventoryError(DomainError):
    pass
