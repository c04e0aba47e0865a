from config.errors import DomainError, ErrorCode


class AccountsErrorCode(ErrorCode):
    PHONE_INVALID = ("phone_invalid", 400, "Enter a valid phone number in international format, e.g. +923001234567.")


class AccountsError(DomainError):
    pass
