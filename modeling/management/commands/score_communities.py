from django.core.management.base import BaseCommand, CommandError

from modeling.models import ModelVersion, TaskKind, TaskStatus
from modeling.services.runs import run_now


class Command(BaseCommand):
    help = "Score every community with a model version (default: every active version)."

    def add_arguments(self, parser):
        parser.add_argument("--model-version", type=int, default=None, help="model version id")
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, model_version: int | None = None, year=None, **options):
        version = model_version
        model_version = None
        if version is not None:
            model_version = ModelVersion.objects.filter(pk=version).first()
            if model_version is None:
                raise CommandError(f"There is no model version {version}.")
        run = run_now(kind=TaskKind.SCORE, model_version=model_version, params={"year": year} if year else {})
        for line in run.log_text:
            self.stdout.write(line)
        if run.status != TaskStatus.SUCCEEDED:
            raise CommandError(run.error.splitlines()[0] if run.error else run.status)
