"""JWT (PyJWT, HS256): short-lived access tokens, rotating refresh tokens with reuse detection, guest tokens.

Every refresh token is recorded (RefreshToken). Refreshing marks it used and issues a new one in the same family;
presenting a used token again is treated as theft and revokes the whole family. Logout revokes the family. Revoked
families are also flagged in Redis for an access token's lifetime, so access tokens die with them immediately.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import Guest, RefreshToken, User

ALGORITHM = "HS256"
AUDIENCE = "planckly-api"
ACCESS, REFRESH, GUEST = "access", "refresh", "guest"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int


def _encode(claims: dict[str, Any], ttl: int) -> str:
    now = timezone.now()
    payload = {
        "iss": settings.JWT_ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(16),
        **claims,
    }
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def token_decode(token: str, *, expected_type: str | tuple[str, ...]) -> dict[str, Any]:
    """Verify signature (HS256 only: `alg=none` and other algorithms are refused), expiry, issuer, audience and type
    (`expected_type`, or one of several: the caller reads `typ`)."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AccountsError(AccountsErrorCode.TOKEN_EXPIRED) from exc
    except jwt.PyJWTError as exc:
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID) from exc
    expected = (expected_type,) if isinstance(expected_type, str) else expected_type
    if claims.get("typ") not in expected:
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
    if claims["typ"] == ACCESS and cache.get(_revoked_key(claims.get("fam", ""))):
        raise AccountsError(AccountsErrorCode.TOKEN_REVOKED)
    return claims


def _revoked_key(family: str) -> str:
    return f"jwt:revoked-family:{family}"


def _family_revoke(family: str) -> None:
    RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())
    cache.set(_revoked_key(family), 1, timeout=settings.JWT_ACCESS_TTL_SECONDS + 60)


def _pair(user: User, family: str) -> TokenPair:
    refresh = _encode({"sub": str(user.pk), "typ": REFRESH, "fam": family}, settings.JWT_REFRESH_TTL_SECONDS)
    claims = jwt.decode(refresh, options={"verify_signature": False})
    RefreshToken.objects.create(
        jti=claims["jti"],
        family=family,
        user=user,
        expires_at=timezone.now() + timedelta(seconds=settings.JWT_REFRESH_TTL_SECONDS),
    )
    access = _encode({"sub": str(user.pk), "typ": ACCESS, "fam": family}, settings.JWT_ACCESS_TTL_SECONDS)
    return TokenPair(access=access, refresh=refresh, access_expires_in=settings.JWT_ACCESS_TTL_SECONDS)


def token_pair_issue(*, user: User) -> TokenPair:
    """A new session (family) for `user`."""
    return _pair(user, family=uuid.uuid4().hex)


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is used up and a new pair is issued in its family.

    Raises TOKEN_INVALID / TOKEN_EXPIRED for bad tokens, TOKEN_REVOKED for a revoked family, and on reuse of an
    already-rotated token revokes the whole family (someone else holds a copy) and raises TOKEN_REVOKED.
    Safe under concurrency: the token row is locked, so two parallel refreshes of one token cannot both succeed.
    """
    claims = token_decode(refresh, expected_type=REFRESH)
    reused = False
    with transaction.atomic():
        record = RefreshToken.objects.select_for_update().select_related("user").filter(jti=claims["jti"]).first()
        if record is None or record.revoked_at is not None:
            raise AccountsError(AccountsErrorCode.TOKEN_REVOKED)
        if record.used_at is not None:
            _family_revoke(record.family)
            reused = True
        elif not record.user.is_active:
            raise AccountsError(AccountsErrorCode.ACCOUNT_DISABLED)
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            pair = _pair(record.user, record.family)
    if reused:  # raised after commit, so the family stays revoked
        raise AccountsError(AccountsErrorCode.TOKEN_REVOKED, "This session was used elsewhere. Sign in again.")
    return pair


def token_logout(*, refresh: str) -> None:
    """Revoke the session (family) the refresh token belongs to; its access tokens stop working at once. Idempotent."""
    try:
        claims = token_decode(refresh, expected_type=REFRESH)
    except AccountsError as exc:
        if exc.code != AccountsErrorCode.TOKEN_EXPIRED:
            raise
        claims = jwt.decode(refresh, options={"verify_signature": False})
    _family_revoke(claims["fam"])


def guest_token_issue(*, guest: Guest) -> str:
    return _encode({"sub": f"guest:{guest.pk}", "typ": GUEST}, settings.JWT_GUEST_TTL_SECONDS)
