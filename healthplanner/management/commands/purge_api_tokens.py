from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from healthplanner.tokens import TokenError, api_tokens_purge_expired


class Command(BaseCommand):
    help = ("Delete the API tokens that expired more than API_TOKEN_PURGE_AFTER_DAYS days ago (also done daily by "
            "the django-q2 schedule “healthplanner: purge expired API tokens”).")

    def add_arguments(self, parser):
        parser.add_argument("--grace-days", type=int, default=None,
                            help="days an expired token is kept (default API_TOKEN_PURGE_AFTER_DAYS)")

    def handle(self, *args, grace_days=None, **options):
        try:
            count = api_tokens_purge_expired(grace_days=grace_days)
        except TokenError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(ngettext("%(count)d expired token deleted.", "%(count)d expired tokens deleted.", count)
                          % {"count": count})
