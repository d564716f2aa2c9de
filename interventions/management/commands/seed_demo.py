from django.core.management.base import BaseCommand

from interventions.seed.demo import seed_demo


class Command(BaseCommand):
    help = "Build the deterministic synthetic demo dataset shaped like Peru (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
        parser.add_argument(
            "--departments", type=int, default=None,
            help="only the first N departments (for quick trials); default all 25",
        )

    def handle(self, *args, seed, departments, **options):
        summary = seed_demo(seed=seed, departments=departments)
        self.stdout.write(
            f"Demo data (seed {seed}): communities {summary.communities_created} created, "
            f"{summary.communities_updated} updated; values {summary.values_created} created, "
            f"{summary.values_updated} updated; interventions {summary.interventions_created} created."
        )
        if not summary.changed:
            self.stdout.write("Nothing changed: the demo data were already up to date.")
