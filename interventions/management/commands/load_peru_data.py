import time

from django.core.management.base import BaseCommand, CommandError

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
        rows = [("source", "file", "status", "read", "written", "rejected", "seconds")]
        for step in steps:
            b = step.batch
            if b is None:
                rows.append((step.source, step.relpath.split("/")[-1], "missing", "", "", "", ""))
            else:
                rows.append((step.source, b.file_name, b.status, str(b.rows_read), str(b.rows_written),
                             str(b.rows_rejected), f"{b.summary.get('seconds', 0):.1f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for i, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        suffix = " (dry run: nothing written)" if dry_run else ""
        self.stdout.write(f"Total: {time.monotonic() - started:.1f} s" + suffix)
        failed = [s for s in steps if s.batch is not None and s.batch.status == ImportStatus.FAILED]
        for step in failed:
            for error in step.batch.errors[:20]:
                self.stderr.write(error["message"])
        if failed or any(s.missing for s in steps):
            raise CommandError(
                f"{len(failed)} file(s) refused, {sum(s.missing for s in steps)} missing; "
                "nothing was written from those files."
            )
