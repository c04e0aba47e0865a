from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class FulfilmentErrorCode(ErrorCode):
    CODE_WRONG = ("delivery_code_wrong", 400, _("That code does not match this order. Ask the customer again."))
    CODE_LOCKED = ("delivery_code_locked", 429, _("Too many wrong codes. Wait a few minutes and try again."))
    PROOF_REQUIRED = ("delivery_proof_required", 400, _("Enter the customer's 4-digit code, or add a photo."))
    NOT_READY = ("delivery_not_ready", 409, _("The order is not ready to leave the shop yet."))
    STEP_INVALID = ("delivery_step_invalid", 409, _("This delivery cannot take that step from where it is."))
    NOT_RIDER = ("delivery_not_rider", 403, _("Only a rider of this branch can carry it."))
    RIDER_INVALID = ("delivery_rider_invalid", 400, _("Choose a rider of this branch."))
    ALREADY_TAKEN = ("delivery_already_taken", 409, _("Another rider took this delivery just now."))
    NOTHING_READY = ("delivery_nothing_ready", 404, _("No order is waiting for a rider right now."))
    NOT_ACTIVE = ("delivery_not_active", 409, _("This delivery is not on the road: its position is not shared."))
    POSITION_INVALID = ("delivery_position_invalid", 400, _("That position is not a place on Earth."))
    TOO_OFTEN = ("delivery_position_too_often", 429, _("Positions are taken every 2 seconds at most."))
    WRONG_METHOD = ("delivery_wrong_method", 409, _("This order does not leave the shop that way."))
    COURIER_NOT_NOW = (
        "delivery_courier_not_now",
        409,
        _("A courier can be called only while the order is accepted, preparing or waiting to leave, not after."),
    )
    COURIER_BOOKED = ("delivery_courier_booked", 409, _("A courier is already booked for this order."))
    COURIER_NO_ADDRESS = (
        "delivery_courier_no_address",
        409,
        _("The customer's address has no map position: a courier cannot be booked. Call the customer."),
    )
    COURIER_UNAVAILABLE = (
        "delivery_courier_unavailable",
        503,
        _("The courier service is not set up. Try again later."),
    )


class FulfilmentError(DomainError):
    pass
