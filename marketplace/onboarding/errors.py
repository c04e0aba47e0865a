from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class OnboardingErrorCode(ErrorCode):
    BUSINESS_NAME_INVALID = ("business_name_invalid", 400, _("Give your shop a name of 2-120 characters."))
    CATEGORY_INVALID = ("category_invalid", 400, _("Choose what your shop sells."))
    AREA_INVALID = ("area_invalid", 400, _("Write the area your shop is in (2-80 characters)."))
    OWNER_NAME_INVALID = ("owner_name_invalid", 400, _("Write your name (2-80 characters)."))
    SHOP_EXISTS = ("shop_exists", 409, _("You already have a shop with this name. Open its console instead."))
    PHONE_NOT_VERIFIED = ("phone_not_verified", 401, _("Confirm your phone number first."))


class OnboardingError(DomainError):
    pass
