from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class CheckoutErrorCode(ErrorCode):
    KEY_MISSING = ("idempotency_key_missing", 400, "Send an Idempotency-Key header (1-80 printable characters).")
    KEY_REUSED = (
        "idempotency_key_reused",
        409,
        "This Idempotency-Key was used for a different checkout. Use a new key for a new checkout.",
    )
    CART_EMPTY = ("cart_empty", 400, "Your cart is empty.")
    OUT_OF_STOCK = ("out_of_stock", 409, "Some items are no longer available in the quantity you chose.")
    PRICES_CHANGED = ("prices_changed", 409, "Some prices changed since you last saw them. Review your cart.")
    GROUP_UNKNOWN = ("group_unknown", 400, "That shop is not in your cart.")
    FULFILMENT_UNAVAILABLE = ("fulfilment_unavailable", 400, "This shop cannot fulfil the order that way.")
    ADDRESS_REQUIRED = ("address_required", 400, "Give a delivery address.")
    PAYMENT_METHOD_INVALID = ("payment_method_invalid", 400, "Choose cash on delivery, Foree Pay or JazzCash.")
    ADDRESS_UNKNOWN = ("address_unknown", 400, _("That address is not in your saved addresses."))
    SHOP_CLOSED = ("shop_closed", 409, _("This shop is closed now."))
    SCHEDULE_INVALID = ("schedule_invalid", 400, _("The shop is not open at that time. Choose one of its times."))
    QUOTE_REQUIRED = (
        "quote_required",
        400,
        _("Partner delivery needs the courier's price first: ask for a quote (POST /api/v1/checkout/quotes)."),
    )
    QUOTE_UNKNOWN = ("quote_unknown", 400, _("That courier's price is not for this shop and address. Get a new one."))
    QUOTE_NOT_FOUND = ("quote_not_found", 404, _("No such courier quote."))
    QUOTE_PENDING = ("quote_pending", 409, _("The courier's price is still on its way. Try again in a moment."))
    QUOTE_EXPIRED = ("quote_expired", 409, _("The courier's price has expired. Get a new price, then confirm again."))


class CheckoutError(DomainError):
    pass
