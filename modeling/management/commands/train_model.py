import json

from django.core.management.base import BaseCommand, CommandError

from modeling.models import TaskKind, TaskStatus
from modeling.services.evaluation import METHODS
from modeling.services.runs import run_now


class Command(BaseCommand):
    help = (
        "Train a Keras model version with department-grouped CV against the baselines; "
        "prints a table of every method (with --json, stdout carries one JSON document and the table goes to "
        "stderr)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--target", default="stunting_u5_pct")
        parser.add_argument("--level", default="district")
        parser.add_argument("--year", type=int, required=True, help="target year")
        parser.add_argument("--features", default=None, help="comma-separated feature indicator codes")
        parser.add_argument("--feature-years", default=None, help="FIRST-LAST years features are read from")
        parser.add_argument("--min-sample-size", type=int, default=None)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--fast", action="store_true", help="a small quick ensemble (tests, trials)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        params = {"target": o["target"], "level": o["level"], "year": o["year"], "fast": o["fast"],
                  "min_sample_size": o["min_sample_size"], "n_splits": o["folds"]}
        if o["features"]:
            params["features"] = [f.strip() for f in o["features"].split(",") if f.strip()]
        if o["feature_years"]:
            first, _, last = o["feature_years"].partition("-")
            params["feature_years"] = [int(first), int(last or first)]
        if o["seed"] is not None:
            params["config"] = {"seed": o["seed"]}
        run = run_now(kind=TaskKind.TRAIN, params=params)
        if run.status != TaskStatus.SUCCEEDED:
            raise CommandError(run.error.splitlines()[0] if run.error else run.status)
        version = run.model_version
        table = {"keras": version.metrics, **version.baselines}
        out = self.stderr if o["json"] else self.stdout
        out.write(f"Version {version.pk} ({version.get_status_display()}), {version.n_rows} rows, "
                          f"{version.training_seconds} s, fingerprint {version.fingerprint[:12]}")
        out.write(f"{'method':<20}{'wMAE':>9}{'RMSE':>9}{'R²':>9}{'cov80':>9}")
        for name in METHODS:
            m = table[name]
            out.write(f"{name:<20}{m['wmae']:>9.3f}{m['rmse']:>9.3f}{m['r2']:>9.3f}{m['coverage80']:>9.3f}")
        if o["json"]:
            self.stdout.write(json.dumps({
                "version": version.pk, "status": version.status, "n_rows": version.n_rows,
                "beats_baselines": version.beats_baselines,
                "metrics": {
                    name: {k: table[name][k] for k in ("wmae", "rmse", "r2", "coverage80")} for name in METHODS
                },
            }))
