import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo superuser and print its login. Development only: "
        "refuses to run with debug off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("demo_admin is for local development only (DJANGO_DEBUG is off).")
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo admin login (new password each run):"))
        self.stdout.write("  URL:      http://127.0.0.1:8000/admin/")
        self.stdout.write(f"  user:     {username}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write("")
