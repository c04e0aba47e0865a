"""Phone numbers are identities: always stored as E.164, parsed with Pakistan as the default region."""

import phonenumbers

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode

DEFAULT_REGION = "PK"


def phone_normalize(raw: str, *, field: str = "phone") -> str:
    """Return `raw` as E.164 (+923001234567) or raise AccountsError(PHONE_INVALID)."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise AccountsError(AccountsErrorCode.PHONE_INVALID, field=field) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise AccountsError(AccountsErrorCode.PHONE_INVALID, field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
