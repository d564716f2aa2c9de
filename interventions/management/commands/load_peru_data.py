import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from healthplanner.formatting import number
from interventions.choices import ImportStatus
from interventions.importers.loader import load_peru_data, planned_files
from interventions.importers.peru import LOAD_ORDER
from interventions.management.options import user_by_name
from interventions.services.demo import DemoDataPresent


class Command(BaseCommand):
    help = (
        "Load every built-in Peruvian source (ubigeo, boundaries, poverty-2018, census-2017, "
        "endes-departments, sien-2022) from a folder or base URL laid out like ../shared/data/peru/."
    )

    def add_arguments(self, parser):
        parser.add_argument("base", help="folder (or http(s) base URL) with ubigeo/, poverty/, census2017/, …")
        parser.add_argument("--user", help="username recorded on the import batches")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--only", action="append", choices=LOAD_ORDER, help="only this source (repeatable)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--replace-demo", action="store_true",
                            help="remove the synthetic demo data (and the models, scores and plans computed from "
                                 "them) first; without it the command refuses while they are present")

    def handle(self, *args, user=None, base, dry_run, only, no_progress, replace_demo=False, **options):
        from tqdm import tqdm

        started = time.monotonic()
        total = len(planned_files(only))
        bar = tqdm(total=total, unit="file", disable=no_progress, file=self.stderr._out)

        def progress(step):
            bar.set_postfix_str(step.relpath.split("/")[-1])
            bar.update(1)

        try:
            steps = load_peru_data(base=base, dry_run=dry_run, only=only, progress=progress, user=user_by_name(user),
                                   replace_demo=replace_demo,
                                   on_demo_removed=lambda removal: self.stdout.write(removal.message))
        except DemoDataPresent as exc:
            bar.close()
            raise CommandError(str(exc)) from None
        bar.close()
        # The table in the active language (Spanish by default), numbers as Peru reads them;
        # the source codes and file names stay as they are named on disk.
        rows = [(_("source"), _("file"), _("status"), _("rows read"), _("written"), _("rejected"), _("seconds"))]
        for step in steps:
            b = step.batch
            if b is None:
                rows.append((step.source, step.relpath.split("/")[-1], _("missing"), "", "", "", ""))
            else:
                rows.append((step.source, b.file_name, str(ImportStatus(b.status).label), number(b.rows_read),
                             number(b.rows_written), number(b.rows_rejected), number(b.summary.get("seconds", 0), 1)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        numeric = range(3, len(rows[0]))
        for i, row in enumerate(rows):
            self.stdout.write("  ".join(cell.rjust(w) if k in numeric and i else cell.ljust(w)
                                        for k, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        total = _("Total: %(seconds)s s") % {"seconds": number(time.monotonic() - started, 1)}
        self.stdout.write(total + (_(" (dry run: nothing written)") if dry_run else ""))
        failed = [s for s in steps if s.batch is not None and s.batch.status == ImportStatus.FAILED]
        for step in failed:
            for error in step.batch.errors[:20]:
                self.stderr.write(error["message"])
        missing = sum(s.missing for s in steps)
        if failed or missing:
            raise CommandError(
                ngettext("%(count)s file refused", "%(count)s files refused", len(failed)) % {"count": len(failed)}
                + ", " + ngettext("%(count)s missing", "%(count)s missing", missing) % {"count": missing}
                + "; " + _("nothing was written from those files.")
            )
