from django.core.management.base import BaseCommand

from modeling.services.runs import pipeline_enqueue


class Command(BaseCommand):
    help = "Queue train → score → plan for the django-q2 worker (the demo's whole job)."

    def add_arguments(self, parser):
        parser.add_argument("--target", default="stunting_u5_pct")
        parser.add_argument("--level", default="district")
        parser.add_argument("--year", type=int, default=2022)
        parser.add_argument("--budget", default="2000000", help="plan budget in soles (PEN)")
        parser.add_argument("--fast", action="store_true")

    def handle(self, *args, **o):
        run = pipeline_enqueue(target=o["target"], level=o["level"], year=o["year"], budget_pen=o["budget"],
                               fast=o["fast"])
        self.stdout.write(f"Queued run {run.pk}: train {o['target']} ({o['level']}, {o['year']}), then score, "
                          f"then a plan of {o['budget']} PEN. The worker (manage.py qcluster) runs them.")
