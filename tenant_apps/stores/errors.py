"""What store and branch writes refuse, with the message a shopkeeper reads and the field it is about."""

from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class StoresErrorCode(ErrorCode):
    NAME_INVALID = ("name_invalid", 400, _("Give it a name of 2-120 characters."))
    SLUG_TAKEN = ("store_slug_taken", 409, _("Another store already has this name."))
    TEXT_TOO_LONG = ("text_too_long", 400, _("This is too long."))
    LOCATION_INVALID = ("location_invalid", 400, _("Latitude must be -90..90 and longitude -180..180."))
    LOCATION_MISSING = ("location_missing", 400, _("Place the pin on the map where the branch is."))
    LOCATION_OUTSIDE_CITY = (
        "location_outside_city",
        400,
        _("This place is outside the cities Planckly serves. Move the pin to the branch's street."),
    )
    ADDRESS_INVALID = ("address_invalid", 400, _("Give the street address (up to 255 characters)."))
    PHONE_INVALID = ("phone_invalid", 400, _("A phone number has 7 to 20 digits, spaces, dashes or a leading +."))
    HOURS_INVALID = (
        "hours_invalid",
        400,
        _('Hours look like {"mon": [["09:00", "21:00"]]}; times HH:MM, open < close.'),
    )
    HOURS_OVERLAP = ("hours_overlap", 400, _("Two opening times of the same day overlap."))
    DELIVERY_INVALID = ("delivery_invalid", 400, _("Delivery radius, fee and minimum order are zero or more."))
    DELIVERY_RADIUS_MISSING = (
        "delivery_radius_missing",
        400,
        _("Own delivery needs a radius: how far from the branch do your riders go?"),
    )
    DELIVERY_RADIUS_TOO_FAR = ("delivery_radius_too_far", 400, _("A delivery radius is at most 50 km."))
    NOTHING_OFFERED = (
        "nothing_offered",
        400,
        _("Offer at least one way to get an order: pickup, your own delivery or a partner courier."),
    )
    STORE_REQUIRED = ("store_required", 400, _("Choose which store this branch belongs to."))
    STORE_CLOSED = ("store_closed", 409, _("This store is closed. Reopen it first."))
    LOGO_INVALID = ("logo_invalid", 400, _("That logo is not one of this merchant's uploaded images."))


class StoresError(DomainError):
    pass
