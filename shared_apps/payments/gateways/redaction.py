"""What we keep of a provider request or response: everything except secrets, with phone numbers and e-mail
addresses masked to their last digits. Applied by every adapter before a payload is returned to services (which
store it on the attempt)."""

from __future__ import annotations

from typing import Any

SECRET = "[redacted]"  # noqa: S105 - the placeholder, not a secret
_SECRET_KEYS = {
    "pp_password",
    "pp_merchantmpin",
    "x-api-key",
    "api_key",
    "password",
    "mpin",
    "integrity_salt",
    "authorization",
}
_PERSONAL_KEYS = {
    "customer_phone_number",
    "pp_mobilenumber",
    "phone",
    "msisdn",
    "customer_email_address",
    "email",
    "pp_cnic",
    "cnic",
    "consumer_name",
    "customer_name",
    "ppmpf_1",
}


def mask(value: Any) -> str:
    text = str(value)
    return "*" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "*" * len(text)


def redact(payload: Any) -> Any:
    """A copy of `payload` (dicts and lists, any depth) with secret values replaced and personal values masked."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            lowered = str(key).lower()
            if lowered in _SECRET_KEYS:
                out[key] = SECRET if value not in (None, "") else value
            elif lowered in _PERSONAL_KEYS and isinstance(value, (str, int)) and value != "":
                out[key] = mask(value)
            else:
                out[key] = redact(value)
        return out
    if isinstance(payload, list):
        return [redact(item) for item in payload]
    return payload
