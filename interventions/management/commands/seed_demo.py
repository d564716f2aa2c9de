from django.core.management.base import BaseCommand, CommandError

from interventions.seed.demo import seed_demo
from interventions.services.demo import RealDataPresent, real_data_check


class Command(BaseCommand):
    help = ("Build the deterministic synthetic demo dataset shaped like Peru (idempotent). Refuses, writing "
            "nothing, where real data were imported: the demo and real data never mix.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
        parser.add_argument(
            "--departments", type=int, default=None,
            help="only the first N departments (for quick trials); default all 25",
        )

    def handle(self, *args, seed, departments, **options):
        try:
            real_data_check()
        except RealDataPresent as exc:
            raise CommandError(str(exc)) from None
        summary = seed_demo(seed=seed, departments=departments)
        self.stdout.write(
            f"Demo data (seed {seed}): communities {summary.communities_created} created, "
            f"{summary.communities_updated} updated; values {summary.values_created} created, "
            f"{summary.values_updated} updated; interventions {summary.interventions_created} created."
        )
        if not summary.changed:
            self.stdout.write("Nothing changed: the demo data were already up to date.")
