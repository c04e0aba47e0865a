"""Identity writes: users by phone, one-time codes, guests. Every function states what it guarantees."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import Address, Guest, PhoneOTPDevice, User
from shared_apps.accounts.phones import phone_normalize
from shared_apps.accounts.ratelimit import phone_prefix, rate_limit_hit
from shared_apps.sms.tasks import sms_send_on_commit

# Sent after a guest is claimed into a user (cart and orders move over): receivers get guest=…, user=….
guest_claimed = Signal()


def user_get_or_create_by_phone(*, phone: str, name: str = "") -> User:
    """The same phone always maps to the same user; unknown phones become new customers. Safe under concurrency."""
    normalized = phone_normalize(phone)
    user, created = User.objects.get_or_create(phone=normalized, defaults={"name": name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass(frozen=True)
class OtpChallenge:
    phone: str
    code: str  # handed to the SMS only; never returned by the API
    expires_in: int
    resend_in: int


def _code_hash(device: PhoneOTPDevice, code: str) -> str:
    message = f"{device.pk}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _otp_request_limits(*, phone: str, device: str | None) -> None:
    """The brakes on texting codes, cheapest refusal first; a refused request is not counted by the later ones, so
    one pumped phone or number block cannot spend the global budget. None of them is per client IP (carrier NAT)."""
    rate_limit_hit(scope="otp-request-phone", key=phone, limit=settings.OTP_REQUEST_LIMIT_PER_PHONE)
    rate_limit_hit(scope="otp-request-prefix", key=phone_prefix(phone), limit=settings.OTP_REQUEST_LIMIT_PER_PREFIX)
    if device:
        rate_limit_hit(scope="otp-request-device", key=device, limit=settings.OTP_REQUEST_LIMIT_PER_DEVICE)
    else:  # a client that drops its cookie lands here with every other such client
        rate_limit_hit(scope="otp-request-deviceless", key="all", limit=settings.OTP_REQUEST_LIMIT_DEVICELESS)
    rate_limit_hit(scope="otp-request-global", key="all", limit=settings.OTP_REQUEST_GLOBAL_BUDGET)


def otp_request(*, phone: str, device: str | None = None) -> OtpChallenge:
    """Send a fresh 6-digit code by SMS (after commit). `device` is the client's device id (devices.py), None when it
    sent none. Raises PHONE_INVALID, RATE_LIMITED (per phone, per number block, per device, global budget) or
    RESEND_COOLDOWN, each 429 with retry_after; RATE_LIMIT_UNAVAILABLE (503) when the limits cannot be counted.
    A new code replaces the previous one."""
    normalized = phone_normalize(phone)
    _otp_request_limits(phone=normalized, device=device)
    with transaction.atomic():
        user = user_get_or_create_by_phone(phone=normalized)
        device, _ = PhoneOTPDevice.objects.get_or_create(user=user, defaults={"name": "sms"})
        device = PhoneOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, data = device.generate_is_allowed()
        if not allowed:
            wait = int((data["next_generation_at"] - timezone.now()).total_seconds()) + 1
            raise AccountsError(AccountsErrorCode.RESEND_COOLDOWN, retry_after=max(wait, 1))
        code = f"{secrets.randbelow(10**6):06d}"
        device.token_hash = _code_hash(device, code)
        device.valid_until = timezone.now() + timedelta(seconds=settings.OTP_CODE_TTL_SECONDS)
        device.failed_attempts = 0
        device.cooldown_set(commit=False)
        device.save()
        minutes = settings.OTP_CODE_TTL_SECONDS // 60
        sms_send_on_commit(
            to=normalized, body=f"{code} is your Planckly code. It expires in {minutes} minutes. Never share it."
        )
    return OtpChallenge(normalized, code, settings.OTP_CODE_TTL_SECONDS, settings.OTP_RESEND_COOLDOWN_SECONDS)


def otp_verify(*, phone: str, code: str, device: str | None = None) -> User:
    """Check `code` for `phone` and return the user. Single use: a right code is consumed; OTP_MAX_ATTEMPTS wrong
    codes kill it (the counter persists even though the call raises). Two parallel verifications of one code
    cannot both succeed (row lock). Raises CODE_MISSING, CODE_EXPIRED, CODE_LOCKED, CODE_INVALID, RATE_LIMITED
    (per phone, per device), RATE_LIMIT_UNAVAILABLE."""
    normalized = phone_normalize(phone)
    rate_limit_hit(scope="otp-verify-phone", key=normalized, limit=settings.OTP_VERIFY_LIMIT_PER_PHONE)
    if device:
        rate_limit_hit(scope="otp-verify-device", key=device, limit=settings.OTP_VERIFY_LIMIT_PER_DEVICE)
    code = (code or "").strip()
    failure: AccountsErrorCode | None = None
    with transaction.atomic():
        device = (
            PhoneOTPDevice.objects.select_for_update().select_related("user").filter(user__phone=normalized).first()
        )
        if device is None or not device.token_hash:
            failure = AccountsErrorCode.CODE_MISSING
        elif device.valid_until is None or device.valid_until <= timezone.now():
            failure = AccountsErrorCode.CODE_EXPIRED
        elif device.failed_attempts >= settings.OTP_MAX_ATTEMPTS:
            failure = AccountsErrorCode.CODE_LOCKED
        elif not (
            len(code) == 6 and code.isdigit() and hmac.compare_digest(device.token_hash, _code_hash(device, code))
        ):
            device.failed_attempts += 1
            device.save(update_fields=["failed_attempts"])
            failure = AccountsErrorCode.CODE_INVALID
        else:
            device.token_hash, device.valid_until, device.failed_attempts = "", None, 0
            device.cooldown_reset(commit=False)
            device.save()
            user = device.user
            if user.phone_verified_at is None:
                user.phone_verified_at = timezone.now()
                user.save(update_fields=["phone_verified_at"])
    if failure is not None:  # raised after commit: the wrong-try counter must stick
        raise AccountsError(failure, field="code")
    if not user.is_active:
        raise AccountsError(AccountsErrorCode.ACCOUNT_DISABLED)
    return user


def guest_create() -> Guest:
    """A new guest, unlimited: for callers that spend a limited resource per guest already (a page's session)."""
    return Guest.objects.create()


def guest_start(*, device: str | None) -> Guest:
    """A new guest for a client that asked for a guest token. Each is a row and a token a bot could mint by the
    million, so they are limited per device (`device` from devices.py; clients without one share one bucket) and by
    a global budget — never per client IP (carrier NAT). Raises RATE_LIMITED (429) or RATE_LIMIT_UNAVAILABLE (503)
    before writing anything."""
    if device:
        rate_limit_hit(scope="guest-device", key=device, limit=settings.GUEST_CREATE_LIMIT_PER_DEVICE)
    else:
        rate_limit_hit(scope="guest-deviceless", key="all", limit=settings.GUEST_CREATE_LIMIT_DEVICELESS)
    rate_limit_hit(scope="guest-global", key="all", limit=settings.GUEST_CREATE_GLOBAL_BUDGET)
    return guest_create()


def guest_claim(*, guest_id: str, user: User) -> bool:
    """Move a guest's cart and orders into `user` (receivers of `guest_claimed`). Idempotent; a guest claimed by
    someone else stays theirs. Returns whether this call claimed it."""
    with transaction.atomic():
        guest = Guest.objects.select_for_update().filter(pk=guest_id).first()
        if guest is None or (guest.claimed_by_id and guest.claimed_by_id != user.pk):
            return False
        if guest.claimed_by_id == user.pk:
            return False
        guest.claimed_by, guest.claimed_at = user, timezone.now()
        guest.save(update_fields=["claimed_by", "claimed_at"])
        guest_claimed.send(sender=Guest, guest=guest, user=user)
    return True


def user_name_set(*, user: User, name: str) -> User:
    """Set the name a person goes by (shown to staff and merchants). Idempotent; the caller validated `name`."""
    name = (name or "").strip()
    if user.name != name:
        User.objects.filter(pk=user.pk).update(name=name)
        user.name = name
    return user


# ── Delivery addresses ────────────────────────────────────────────────────────────────────────────────────────────
ADDRESS_LIMIT = 20  # more than anyone delivers to; keeps the checkout's address list short
_ADDRESS_TEXT_FIELDS = {"label": 40, "street": 255, "area": 80, "city": 80, "notes": 255}


@dataclass(frozen=True)
class AddressFields:
    """What a customer gives for an address. The pin comes from the map picker, never typed."""

    street: str
    latitude: Decimal | float | str | None
    longitude: Decimal | float | str | None
    label: str = ""
    area: str = ""
    city: str = ""
    notes: str = ""


def _coordinate(value: object, low: int, high: int, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise AccountsError(AccountsErrorCode.ADDRESS_PIN_REQUIRED, field=field) from exc
    if not number.is_finite() or not low <= number <= high:
        raise AccountsError(AccountsErrorCode.ADDRESS_PIN_REQUIRED, field=field)
    return number.quantize(Decimal("0.000001"))


def address_clean(fields: AddressFields) -> dict[str, object]:
    """The model's values for `fields`, trimmed; raises ADDRESS_INVALID (no street) or ADDRESS_PIN_REQUIRED."""
    clean: dict[str, object] = {
        name: (getattr(fields, name) or "").strip()[:limit] for name, limit in _ADDRESS_TEXT_FIELDS.items()
    }
    if not clean["street"]:
        raise AccountsError(AccountsErrorCode.ADDRESS_INVALID, field="street")
    clean["label"] = clean["label"] or str(_("Home"))
    clean["city"] = clean["city"] or settings.DEFAULT_CITY
    if fields.latitude in (None, "") or fields.longitude in (None, ""):
        raise AccountsError(AccountsErrorCode.ADDRESS_PIN_REQUIRED, field="latitude")
    clean["latitude"] = _coordinate(fields.latitude, -90, 90, "latitude")
    clean["longitude"] = _coordinate(fields.longitude, -180, 180, "longitude")
    return clean


def _user_locked(user: User) -> None:
    """Serialises one user's address writes: "one default per user" is then kept without a unique-index race."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _default_set(address: Address) -> None:
    Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        Address.objects.filter(pk=address.pk).update(is_default=True)


@transaction.atomic
def address_create(*, user: User, fields: AddressFields, make_default: bool = False) -> Address:
    """A new saved address for `user`; the first one, or `make_default`, becomes the default (the only one).
    Raises ADDRESS_INVALID, ADDRESS_PIN_REQUIRED or ADDRESS_LIMIT (409) and then writes nothing."""
    clean = address_clean(fields)
    _user_locked(user)
    count = Address.objects.filter(user=user).count()
    if count >= ADDRESS_LIMIT:
        raise AccountsError(AccountsErrorCode.ADDRESS_LIMIT)
    address = Address.objects.create(user=user, **clean)
    if make_default or count == 0:
        _default_set(address)
    return address


_ADDRESS_EDITABLE = ("label", "street", "area", "city", "notes", "latitude", "longitude")


@transaction.atomic
def address_update(*, address: Address, changes: dict[str, object], make_default: bool = False) -> Address:
    """Change some of `address`'s fields (the names of AddressFields; others are ignored) and, with `make_default`,
    make it the default. Validated as a whole, like a new one: raises ADDRESS_INVALID or ADDRESS_PIN_REQUIRED."""
    current = {name: getattr(address, name) for name in _ADDRESS_EDITABLE}
    current.update({k: v for k, v in changes.items() if k in _ADDRESS_EDITABLE})
    clean = address_clean(AddressFields(**current))
    _user_locked(address.user)
    for name, value in clean.items():
        setattr(address, name, value)
    address.save(update_fields=[*clean, "updated_at"])
    if make_default:
        _default_set(address)
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete `address`. When it was the default, the oldest remaining address becomes the default. Orders keep
    their own copy of the address, so none changes."""
    _user_locked(address.user)
    was_default = address.is_default
    user_id = address.user_id
    Address.objects.filter(pk=address.pk).delete()
    if was_default:
        oldest = Address.objects.filter(user_id=user_id).order_by("id").first()
        if oldest is not None:
            _default_set(oldest)
