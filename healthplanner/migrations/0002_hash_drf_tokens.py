"""DRF's tokens (``authtoken_token``, the key stored as the live credential) become knox's
hashed tokens, then DRF's table goes.

Each key is hashed as knox hashes the keys it issues, so partners' current keys keep
working: until ``API_TOKEN_TTL_DAYS`` after this migration runs (their "created" date is
kept). The table is dropped (its plaintext keys with it), and the ``authtoken`` app's
migration records and permissions are removed, as if it had never been installed. On a
database that never had DRF's tokens this does nothing. Not reversible into plaintext keys:
going back leaves the hashed tokens as they are.
"""
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

DRF_TABLE = "authtoken_token"


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    ContentType = apps.get_model("contenttypes", "ContentType")
    quoted = schema_editor.quote_name(DRF_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, user_id, created FROM {quoted}")
        rows = cursor.fetchall()
    expiry = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    for key, user_id, created in rows:
        digest = hash_token(key)
        AuthToken(digest=digest, token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=user_id,
                  expiry=expiry).save(force_insert=True)
        AuthToken.objects.filter(digest=digest).update(created=created)  # auto_now_add set "now"
    schema_editor.execute(f"DROP TABLE {quoted}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    ContentType.objects.filter(app_label="authtoken").delete()  # and their permissions


class Migration(migrations.Migration):
    dependencies = [
        ("healthplanner", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),  # log entries that name a DRF token
    ]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
