from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from healthplanner.tokens import api_tokens_revoke


class Command(BaseCommand):
    help = "Revoke every API token of a user: their keys answer 401 from the next request on."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(_("No user is called “%(username)s”.") % {"username": username})
        count = api_tokens_revoke(user=user)
        self.stdout.write(
            ngettext("%(count)d token of %(user)s revoked.", "%(count)d tokens of %(user)s revoked.", count)
            % {"count": count, "user": user.get_username()}
        )
