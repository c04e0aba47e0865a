from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class AccountsErrorCode(ErrorCode):
    PHONE_INVALID = ("phone_invalid", 400, "Enter a valid phone number in international format, e.g. +923001234567.")
    CODE_INVALID = ("otp_invalid", 400, "That code is not right. Check the SMS and try again.")
    CODE_EXPIRED = ("otp_expired", 400, "That code has expired. Ask for a new one.")
    CODE_MISSING = ("otp_not_requested", 400, "Ask for a code first.")
    CODE_LOCKED = ("otp_locked", 400, "Too many wrong codes. Ask for a new one.")
    RESEND_COOLDOWN = ("otp_resend_cooldown", 429, "A code was just sent. Wait a moment before asking again.")
    RATE_LIMITED = ("rate_limited", 429, "Too many attempts. Try again later.")
    RATE_LIMIT_UNAVAILABLE = ("rate_limit_unavailable", 503, _("Signing in is paused for a moment. Try again shortly."))
    TOKEN_INVALID = ("token_invalid", 401, "Your session is not valid. Sign in again.")
    TOKEN_EXPIRED = ("token_expired", 401, "Your session has expired. Sign in again.")
    TOKEN_REVOKED = ("token_revoked", 401, "You have been signed out. Sign in again.")
    ACCOUNT_DISABLED = ("account_disabled", 403, "This account is disabled.")
    ADDRESS_NOT_FOUND = ("address_not_found", 404, _("No such address."))
    ADDRESS_INVALID = ("address_invalid", 400, _("Give the house and street of the address."))
    ADDRESS_PIN_REQUIRED = ("address_pin_required", 400, _("Put the pin on the map where the door is."))
    ADDRESS_LIMIT = ("address_limit", 409, _("You have saved as many addresses as we keep. Delete one first."))


class AccountsError(DomainError):
    pass
