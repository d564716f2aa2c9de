import re

from django.core.management.base import BaseCommand, CommandError

from interventions.choices import ImportStatus
from interventions.importers import PERU_ADAPTERS, Context, GenericAdapter, InputFile, run_import
from interventions.management.options import user_by_name

SOURCE_RE = r"^[a-z0-9][a-z0-9_.-]*$"


def _pairs(values, option, cast=str):
    out = {}
    for item in values or []:
        if "=" not in item:
            raise CommandError(f"{option} expects COLUMN=VALUE, got “{item}”.")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = cast(value.strip())
        except ValueError:
            raise CommandError(f"{option} {item}: “{value}” is not a number.") from None
    return out




class Command(BaseCommand):
    help = (
        "Import one indicator table (CSV, XLSX, XLS). Long format (columns ubigeo, indicator, year, value "
        "[, lower, upper, sample_size]) is recognised from the header; wide format needs --year, "
        "--ubigeo-column and one --column COL=indicator_code per value column. A --source that names a "
        f"built-in adapter ({', '.join(PERU_ADAPTERS)}) reads the file with that adapter."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--source", required=True, help="short name of the data source, e.g. diresa-cusco-2024")
        parser.add_argument("--year", type=int)
        parser.add_argument("--ubigeo-column")
        parser.add_argument("--column", action="append", metavar="COL=indicator_code")
        parser.add_argument("--scale", action="append", metavar="indicator_code=FACTOR")
        parser.add_argument("--sheet")
        parser.add_argument("--skip-rows", type=int, default=0)
        parser.add_argument("--user", help="username recorded on the import batches")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--create-indicators", action="store_true",
                            help="create unknown indicator codes instead of refusing the file")

    def handle(self, *args, user=None, path, source, year, ubigeo_column, column, scale, sheet, skip_rows, dry_run,
               create_indicators, **options):
        if not re.match(SOURCE_RE, source) or len(source) > 64:
            raise CommandError("--source: use lower-case letters, digits, dots, dashes and underscores.")
        columns = _pairs(column, "--column")
        scales = _pairs(scale, "--scale", float)
        if source in PERU_ADAPTERS and not columns:
            adapter = PERU_ADAPTERS[source]
        else:
            if columns and (year is None or not ubigeo_column):
                raise CommandError("The wide format (--column) needs --year and --ubigeo-column.")
            adapter = GenericAdapter(source=source, year=year, ubigeo_column=ubigeo_column, columns=columns,
                                     scale=scales, sheet=sheet, skip_rows=skip_rows)
        try:
            file = InputFile.from_path(path)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        batch = run_import(adapter=adapter, file=file, dry_run=dry_run, user=user_by_name(user),
                           context=Context(create_indicators=create_indicators))
        summary = batch.summary
        self.stdout.write(
            f"Import batch {batch.pk} ({batch.get_status_display()}): {batch.rows_read} rows read; "
            f"values {summary.get('values_created', 0)} new, {summary.get('values_updated', 0)} changed, "
            f"{summary.get('values_unchanged', 0)} unchanged"
            + (" — dry run, nothing written." if dry_run else ".")
        )
        if batch.status == ImportStatus.FAILED:
            for error in batch.errors:
                self.stderr.write(error["message"])
            raise CommandError(f"{len(batch.errors)} problem(s): nothing was written.")
