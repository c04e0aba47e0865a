"""Sign-in handoff from one host to another: sessions are per host (a cookie of the marketplace is not sent to a
merchant's console), so a person who just signed up on the marketplace is carried into their console by a link.

The token is signed (Django signing: nobody can forge or alter it), names the one host it opens and the user, lives
HANDOFF_TTL_SECONDS, and is used once: redeeming it sets a used-marker in the cache with SET NX, so a second use
(a replay, a copy of the link) fails even within its lifetime. Nothing about it is stored before it is used.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import User

HANDOFF_TTL_SECONDS = 120  # the browser follows the redirect at once; a link found later in a history is dead
_SALT = "planckly.accounts.handoff"
_USED_KEY = "handoff-used:{nonce}"


def handoff_token_issue(*, user: User, host: str) -> str:
    """A token that signs `user` in on `host` (a hostname without port), once, within HANDOFF_TTL_SECONDS."""
    payload = {"u": user.pk, "h": host.lower(), "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=_SALT, compress=True)


def handoff_token_redeem(*, token: str, host: str) -> User:
    """The user the token was issued to, if it was issued for `host`, is fresh and was never redeemed before.

    Raises AccountsError TOKEN_EXPIRED (older than its lifetime) or TOKEN_INVALID (forged, altered, another host,
    already used, or its user disabled). A token for another host is not spent by the failed try."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=HANDOFF_TTL_SECONDS)
    except signing.SignatureExpired as exc:
        raise AccountsError(AccountsErrorCode.TOKEN_EXPIRED) from exc
    except signing.BadSignature as exc:
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID) from exc
    if not isinstance(payload, dict) or payload.get("h") != host.lower():
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
    # SET NX: of two concurrent redemptions exactly one sets the marker; it outlives the token's lifetime.
    if not cache.add(_USED_KEY.format(nonce=payload.get("n")), 1, timeout=HANDOFF_TTL_SECONDS + 60):
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
    return user
