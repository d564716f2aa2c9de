"""Helpers shared by the management commands."""
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_by_name(username):
    """The user a ``--user NAME`` option names (None when not given)."""
    if not username:
        return None
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"--user: there is no user “{username}”.") from None
