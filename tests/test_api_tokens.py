"""API tokens (issue 13, row 12): hashed at rest, expiring, revocable from the admin and the
commands; DRF's old keys carried over by the data migration."""
import hashlib
import importlib
import io
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation

from healthplanner.models import ApiToken
from healthplanner.tokens import MSG_TOKEN_EXPIRED, TokenError, api_token_create, api_tokens_revoke
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for, make_partner_user

URL = "/api/v1/communities/"
ADMIN = "/admin/healthplanner/apitoken/"


def client_with(key):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def stored_row(token):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken WHERE digest = %s", [token.digest])
        return cursor.fetchone()


@pytest.fixture
def partner(django_user_model, api_data):
    return make_partner_user(django_user_model, "tok-partner", api_data.partner_a)


def test_the_stored_row_holds_a_digest_not_the_key(partner):
    issued = api_token_create(user=partner)
    row = stored_row(issued.token)
    assert len(issued.key) == 64
    assert issued.key not in [str(value) for value in row]
    assert issued.token.digest == hashlib.sha512(issued.key.encode()).hexdigest()
    assert issued.token.token_key == issued.key[:15]  # the look-up prefix only
    assert client_with(issued.key).get(URL).status_code == 200
    assert client_with(issued.token.digest).get(URL).status_code == 401  # the digest is no key


@override_settings(API_TOKEN_TTL_DAYS=7)
def test_tokens_expire_after_the_setting_or_the_given_days(partner):
    before = timezone.now()
    default = api_token_create(user=partner).token
    assert before + timedelta(days=7) <= default.expiry <= timezone.now() + timedelta(days=7)
    assert api_token_create(user=partner, ttl_days=2).token.expiry < before + timedelta(days=3)
    with pytest.raises(TokenError):
        api_token_create(user=partner, ttl_days=0)


def test_an_expired_token_is_refused_with_a_reason_in_spanish(partner):
    issued = api_token_create(user=partner, ttl_days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client = client_with(issued.key)
    for _attempt in range(2):  # the row stays: the second answer is the same
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        body = response.json()
        assert body["status"] == 401 and body["code"] == "token_expired"
        with translation.override("es"):
            assert body["detail"] == str(MSG_TOKEN_EXPIRED)
        assert body["detail"] != "This token has expired: ask the administrator for a new one."
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_an_inactive_users_token_and_a_malformed_key_are_refused(partner):
    issued = api_token_create(user=partner)
    assert client_with("\xff\xfe" + issued.key[2:]).get(URL).status_code == 401  # not UTF-8: not a 500
    partner.is_active = False
    partner.save()
    response = client_with(issued.key).get(URL)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_revoking_a_users_tokens_refuses_their_keys(partner, editor):
    keys = [api_token_create(user=partner).key for _ in range(2)]
    others = api_token_create(user=editor).key
    assert api_tokens_revoke(user=partner) == 2
    for key in keys:
        assert client_with(key).get(URL).status_code == 401
    assert client_with(others).get(URL).status_code == 200


def test_the_commands_issue_a_key_once_and_revoke_it(partner):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", partner.username, "--ttl-days", "5", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key) and key not in err.getvalue()
    token = ApiToken.objects.get(user=partner)
    assert token.expiry < timezone.now() + timedelta(days=5, minutes=1)
    assert client_with(key).get(URL).status_code == 200

    out = io.StringIO()
    call_command("revoke_api_tokens", partner.username, stdout=out)
    assert "1 token" in out.getvalue()
    assert client_with(key).get(URL).status_code == 401
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody-by-this-name")
    with pytest.raises(CommandError):
        call_command("create_api_token", partner.username, "--ttl-days", "0")


def test_the_admin_issues_lists_and_revokes_without_showing_keys(client, superuser, partner):
    client.force_login(superuser)
    response = client.post(f"{ADMIN}add/", {"user": partner.pk, "ttl_days": 30})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = re.search(r'id="api-token-key"[^>]*>([0-9a-f]{64})<', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=partner)
    assert token.expiry > timezone.now() + timedelta(days=29)
    assert key not in str(response.cookies)  # not carried by a message cookie

    expired = api_token_create(user=partner).token
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(days=1))
    page = client.get(ADMIN, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert partner.username in page and "Caduca" in page and "caducado" in page
    # Neither the key nor its look-up prefix; the digest (the row's primary key, in the
    # checkboxes' values) is no credential: test_the_stored_row_holds_a_digest_not_the_key.
    for secret in (key, token.token_key, expired.token_key):
        assert secret not in page
    assert f'<td class="field-owner">{partner.username}</td>' in page
    assert "delete_selected" not in page

    response = client.post(ADMIN, {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert list(ApiToken.objects.filter(user=partner)) == [expired]
    assert LogEntry.objects.filter(action_flag=DELETION, object_repr=str(token), user=superuser).exists()
    assert client_with(key).get(URL).status_code == 401


def test_the_admin_refuses_a_token_for_an_inactive_user(client, superuser, partner):
    partner.is_active = False
    partner.save()
    client.force_login(superuser)
    response = client.post(f"{ADMIN}add/", {"user": partner.pk, "ttl_days": 30})
    assert response.status_code == 200 and b"api-token-key" not in response.content
    assert not ApiToken.objects.exists()


DRF_TABLE_DDL = """
CREATE TABLE authtoken_token (
    key varchar(40) NOT NULL PRIMARY KEY,
    created timestamp with time zone NOT NULL,
    user_id integer NOT NULL UNIQUE REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED
)
"""


def test_the_migration_hashes_drf_tokens_and_old_keys_keep_working(partner, settings):
    """DRF's table as an older deployment has it (its DDL on PostgreSQL), then the data
    migration: the partner's old key authenticates, the plaintext is gone."""
    if connection.vendor != "postgresql":
        pytest.skip("the DRF table's DDL is PostgreSQL's")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    created = timezone.now() - timedelta(days=400)
    with connection.cursor() as cursor:
        cursor.execute(DRF_TABLE_DDL)
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, created, partner.pk])
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', now())")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration = importlib.import_module("healthplanner.migrations.0002_hash_drf_tokens")
    from django.apps import apps

    with connection.schema_editor() as schema_editor:
        migration.hash_drf_tokens(apps, schema_editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    token = ApiToken.objects.get(user=partner)
    assert token.created == created
    assert timedelta(days=settings.API_TOKEN_TTL_DAYS - 1) < token.expiry - timezone.now()
    assert old_key not in [str(value) for value in stored_row(token)]
    assert client_with(old_key).get(URL).status_code == 200
    assert client_with(old_key[:-1] + "8").get(URL).status_code == 401


def test_tokens_expired_past_the_grace_period_are_purged_daily(partner):
    from django_q.models import Schedule

    from healthplanner.tasks import purge_expired_api_tokens

    live = api_token_create(user=partner).token
    recent = api_token_create(user=partner, ttl_days=1).token
    old = api_token_create(user=partner, ttl_days=1).token
    ApiToken.objects.filter(pk=recent.pk).update(expiry=timezone.now() - timedelta(days=29))
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(days=31))
    assert purge_expired_api_tokens() == 1  # API_TOKEN_PURGE_AFTER_DAYS: 30
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {live.pk, recent.pk}
    out = io.StringIO()
    with translation.override("es"):
        call_command("purge_api_tokens", "--grace-days", "0", stdout=out)
    assert out.getvalue().strip() == "1 token vencido eliminado."
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]
    with pytest.raises(CommandError):
        call_command("purge_api_tokens", "--grace-days", "-1", stdout=io.StringIO())
    schedule = Schedule.objects.get(name="healthplanner: purge expired API tokens")
    assert schedule.func == "healthplanner.tasks.purge_expired_api_tokens" and schedule.schedule_type == Schedule.DAILY
