"""The PostgreSQL role Grafana connects as: it reads the ``reporting`` views and nothing
else.

Views run with their owner's rights, so the role needs no right on the application's
tables; it gets SELECT on the reporting schema (now and for views added later by the
migrating user), loses what PUBLIC would otherwise give it (creating objects in
``public``, temporary tables), and its sessions default to read-only.
"""
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from psycopg2 import sql

__all__ = [
    "REPORTING_SCHEMA",
    "MSG_NOT_POSTGRES",
    "MSG_BAD_ROLE_NAME",
    "MSG_NO_PASSWORD",
    "MSG_ROLE_IS_APP_USER",
    "GrafanaRoleResult",
    "create_grafana_role",
]

REPORTING_SCHEMA = "reporting"
ROLE_NAME_REGEX = r"^[a-z_][a-z0-9_]{0,62}$"

MSG_NOT_POSTGRES = _(
    "The Grafana role needs PostgreSQL: this database is %(vendor)s. Point DATABASE_URL at "
    "the PostgreSQL database Grafana will read."
)
MSG_BAD_ROLE_NAME = _(
    "“%(role)s” is not a usable role name: use lower-case letters, digits and underscores, "
    "starting with a letter or underscore, at most 63 characters."
)
MSG_NO_PASSWORD = _(
    "No password for the Grafana role: pass --password or set GRAFANA_DB_PASSWORD."
)
MSG_ROLE_IS_APP_USER = _(
    "“%(role)s” is the role the application itself connects as; choose another name for "
    "Grafana's read-only role."
)


@dataclass(frozen=True)
class GrafanaRoleResult:
    role: str
    created: bool
    database: str


@transaction.atomic
def create_grafana_role(*, role: str, password: str) -> GrafanaRoleResult:
    """Create (or update) ``role`` so it can log in and SELECT from ``reporting`` only.
    Idempotent: running it again resets the password and the grants."""
    if connection.vendor != "postgresql":
        raise ValueError(MSG_NOT_POSTGRES % {"vendor": connection.vendor})
    if not re.match(ROLE_NAME_REGEX, role or ""):
        raise ValueError(MSG_BAD_ROLE_NAME % {"role": role})
    if not password:
        raise ValueError(MSG_NO_PASSWORD)
    ident = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user")
        database, app_user = cursor.fetchone()
        if role == app_user:
            raise ValueError(MSG_ROLE_IS_APP_USER % {"role": role})
        db = sql.Identifier(database)
        schema = sql.Identifier(REPORTING_SCHEMA)
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        created = cursor.fetchone() is None
        verb = sql.SQL("CREATE ROLE") if created else sql.SQL("ALTER ROLE")
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor

        def run(statement, params=None):
            cursor.execute(statement.as_string(raw), params)

        run(
            sql.SQL(
                "{} {} LOGIN PASSWORD %s NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
                "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20"
            ).format(verb, ident),
            [password],
        )
        # Sessions are read-only and look in reporting first.
        run(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        run(sql.SQL("ALTER ROLE {} SET search_path = {}").format(ident, schema))
        run(sql.SQL("ALTER ROLE {} SET statement_timeout = '30s'").format(ident))
        # Nothing in public, nothing anywhere else it may have been given before.
        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident))
        run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(ident))
        run(sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(ident))
        # What PUBLIC holds by default would let any role create objects in public (before
        # PostgreSQL 15) and temporary tables: take both away from PUBLIC. The owner of the
        # database and of the schema keep them (owners hold every right).
        run(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        run(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(db))
        run(sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(db, ident))
        run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, ident))
        # Read the reporting views, today's and those later migrations add.
        run(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        run(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, ident))
        run(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident))
        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, ident))
        run(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, ident))
        run(
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                schema, ident
            )
        )
    return GrafanaRoleResult(role=role, created=created, database=database)
