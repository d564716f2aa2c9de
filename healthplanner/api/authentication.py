"""``Authorization: Token <key>`` against django-rest-knox's hashed, expiring tokens.

knox's header parsing, with the look-up of ``healthplanner.tokens.api_token_for_key``: one
query per request (knox's own class also deletes the user's expired tokens on every
request), an expired key answers 401 ``token_expired`` (every time, not just the first),
and a key that is not UTF-8 is a 401 like any wrong key.
"""
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from healthplanner.tokens import MSG_INVALID_TOKEN, ExpiredToken, InvalidToken, api_token_for_key

__all__ = ["ApiTokenAuthentication"]


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        try:
            key = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN) from exc
        try:
            auth_token = api_token_for_key(key)
        except ExpiredToken as exc:
            raise exceptions.AuthenticationFailed(exc.message, code="token_expired") from exc
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        return auth_token.user, auth_token
