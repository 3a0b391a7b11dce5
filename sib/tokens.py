"""API tokens: issued for API_TOKEN_TTL_DAYS, revoked on request and on a password change.

A user holds at most one token (DRF's authtoken model). It is valid for
API_TOKEN_TTL_DAYS from its issue; asking again returns it while valid and replaces it
once expired. Any change of the password hash deletes it: a database trigger on
`sib_user` (migration 0005), so that the admin, `changepassword`, the portal and any
future code path revoke it alike, as Django already ends the user's sessions then.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from sib.models import User


def _now() -> datetime.datetime:
    return timezone.now()


def token_expires_at(token: Token) -> datetime.datetime:
    """Return when a token stops being accepted."""
    return token.created + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_issue(*, user: User) -> Token:
    """Return the user's API token, creating it, or replacing it if it has expired."""
    with transaction.atomic():
        # Two logins at once would both find no token and both insert one: the second
        # would fail on the one-token-per-user key. Locking the user orders them.
        User.objects.select_for_update().filter(pk=user.pk).first()
        token = Token.objects.filter(user=user).first()
        if token is not None and token_expires_at(token) > _now():
            return token
        if token is not None:
            token.delete()
        return Token.objects.create(user=user)


def token_revoke(*, user: User) -> int:
    """Delete the user's API token; return how many were deleted (0 or 1)."""
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token older than API_TOKEN_TTL_DAYS."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= _now():
            raise AuthenticationFailed(_("Token expired: ask for a new one."))
        return user, token
