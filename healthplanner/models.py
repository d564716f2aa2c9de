"""The project's one model: the API token, as django-rest-knox stores it.

``ApiToken`` is a proxy of ``knox.AuthToken`` (table ``knox_authtoken``): the row holds the
SHA-512 digest of the key and the key's first 15 characters (to find the row), never the key
itself; the key is shown once, when the token is issued (``healthplanner/tokens.py``).
"""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

__all__ = ["ApiToken"]


class ApiToken(AuthToken):
    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        created = timezone.localtime(self.created).strftime("%Y-%m-%d %H:%M") if self.created else "—"
        return f"{self.user} · {created}"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()

