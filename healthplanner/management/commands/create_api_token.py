from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from healthplanner.tokens import MAX_TTL_DAYS, TokenError, api_token_create


class Command(BaseCommand):
    help = "Issue an API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--ttl-days", type=int, default=None,
            help=f"days until it expires (default API_TOKEN_TTL_DAYS; 1 to {MAX_TTL_DAYS})",
        )

    def handle(self, *args, username, ttl_days, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(_("No user is called “%(username)s”.") % {"username": username})
        try:
            issued = api_token_create(user=user, ttl_days=ttl_days)
        except TokenError as exc:
            raise CommandError(str(exc.message)) from exc
        expiry = formats.date_format(timezone.localtime(issued.token.expiry), "DATETIME_FORMAT")
        self.stderr.write(
            _("Token for %(user)s, valid until %(expiry)s. Its key, shown only this once:")
            % {"user": user.get_username(), "expiry": expiry}
        )
        self.stdout.write(issued.key)
