import os

from django.core.management.base import BaseCommand, CommandError

from healthplanner.reporting import create_grafana_role


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL role Grafana connects as: it can SELECT from the "
        "reporting views and nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", default=os.environ.get("GRAFANA_DB_USER", "grafana_reader"),
            help="role name (default $GRAFANA_DB_USER or grafana_reader)",
        )
        parser.add_argument(
            "--password", default=os.environ.get("GRAFANA_DB_PASSWORD", ""),
            help="its password (default $GRAFANA_DB_PASSWORD; prefer the variable, "
                 "arguments show up in the process list)",
        )

    def handle(self, *args, role, password, **options):
        try:
            result = create_grafana_role(role=role, password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        action = "Created" if result.created else "Updated"
        self.stdout.write(
            f"{action} role {result.role}: it can read the reporting views of "
            f"{result.database} and nothing else."
        )
