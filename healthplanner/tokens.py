"""API tokens: issuing, finding and revoking them (django-rest-knox's table).

Only a SHA-512 digest of a key is stored (with the key's first 15 characters, to find the
row), so a key cannot be read back: ``api_token_create`` returns it once, and whoever issued
it hands it to the partner. Every token expires, after ``API_TOKEN_TTL_DAYS`` unless told
otherwise; a partner rotates by asking for a new token before the old one expires, then the
old one is revoked. An expired token's row stays ``API_TOKEN_PURGE_AFTER_DAYS`` (30) days, so
its key is told "expired" rather than "invalid"; then ``api_tokens_purge_expired`` (a daily
django-q2 schedule, and the command ``purge_api_tokens``) deletes it. The admin
(``healthplanner/admin.py``), the commands ``create_api_token`` / ``revoke_api_tokens`` and
the API's authentication
(``healthplanner/api/authentication.py``) all call these functions.
"""
import binascii
from dataclasses import dataclass
from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from .models import ApiToken

__all__ = [
    "MAX_TTL_DAYS",
    "MSG_BAD_TTL",
    "MSG_INACTIVE_USER",
    "MSG_INVALID_TOKEN",
    "MSG_TOKEN_EXPIRED",
    "IssuedToken",
    "TokenError",
    "InvalidToken",
    "ExpiredToken",
    "api_token_create",
    "api_token_for_key",
    "api_tokens_purge_expired",
    "api_tokens_revoke",
]

MAX_TTL_DAYS = 3650

MSG_BAD_TTL = _("A token lasts from 1 to %(max)s days.")
MSG_INACTIVE_USER = _("“%(user)s” is not an active user: no token can be issued for it.")
MSG_INVALID_TOKEN = _("Invalid token.")
MSG_TOKEN_EXPIRED = _("This token has expired: ask the administrator for a new one.")
MSG_BAD_GRACE = _("The days an expired token is kept cannot be negative.")


class TokenError(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class InvalidToken(TokenError):
    """No token has this key, or its user is inactive."""


class ExpiredToken(TokenError):
    """The key is right, but its token has expired."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only time the key exists outside the partner's hands


def api_token_create(*, user, ttl_days: int | None = None) -> IssuedToken:
    """Issue a token for ``user`` that expires in ``ttl_days`` (default
    ``API_TOKEN_TTL_DAYS``). Raises :class:`TokenError` for an inactive user or a
    lifetime out of range."""
    ttl_days = settings.API_TOKEN_TTL_DAYS if ttl_days is None else ttl_days
    if not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise TokenError(MSG_BAD_TTL % {"max": MAX_TTL_DAYS})
    if not user.is_active:
        raise TokenError(MSG_INACTIVE_USER % {"user": user.get_username()})
    with transaction.atomic():
        token, key = ApiToken.objects.create(user=user, expiry=timedelta(days=ttl_days))
    return IssuedToken(token=token, key=key)


def api_token_for_key(key: str) -> ApiToken:
    """The live token whose key is ``key`` (one query, with its user). Raises
    :class:`ExpiredToken` for a right key past its expiry (the row stays, so the answer
    stays the same until it is revoked) and :class:`InvalidToken` otherwise."""
    try:
        digest = hash_token(key)
    except (TypeError, ValueError, binascii.Error) as exc:
        raise InvalidToken(MSG_INVALID_TOKEN) from exc
    candidates = ApiToken.objects.filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
    for token in candidates:
        if not compare_digest(digest, token.digest):
            continue
        if not token.user.is_active:
            raise InvalidToken(MSG_INVALID_TOKEN)
        if token.is_expired:
            raise ExpiredToken(MSG_TOKEN_EXPIRED)
        return token
    raise InvalidToken(MSG_INVALID_TOKEN)


def api_tokens_revoke(*, user=None, tokens=None) -> int:
    """Revoke (delete) every token of ``user``, or the tokens of the queryset ``tokens``;
    the number revoked. A revoked key answers 401 from the next request on."""
    if (user is None) == (tokens is None):
        raise TypeError("api_tokens_revoke needs exactly one of user= or tokens=")
    queryset = ApiToken.objects.filter(user=user) if user is not None else tokens
    with transaction.atomic():
        count, _per_model = queryset.delete()
    return count


def api_tokens_purge_expired(*, grace_days: int | None = None) -> int:
    """Delete the tokens that expired more than ``grace_days`` days ago (default
    ``API_TOKEN_PURGE_AFTER_DAYS``); the number deleted. Until then an expired key is told
    that it expired; afterwards it is an unknown key like any other."""
    grace_days = settings.API_TOKEN_PURGE_AFTER_DAYS if grace_days is None else int(grace_days)
    if grace_days < 0:
        raise TokenError(MSG_BAD_GRACE)
    with transaction.atomic():
        count, _per_model = ApiToken.objects.filter(expiry__lt=timezone.now() - timedelta(days=grace_days)).delete()
    return count
