import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from healthplanner.formatting import number
from modeling.features import OPTIONAL_INPUTS
from modeling.models import TaskKind, TaskStatus
from modeling.services.evaluation import DESIGNS, METHODS
from modeling.services.runs import run_now

KEYS = ("wmae", "rmse", "r2", "crps", "coverage50", "coverage80", "coverage95", "winkler80")
HEADERS = ("wMAE", "RMSE", "R²", "CRPS", "cov50", "cov80", "cov95", "Winkler")


def _design_title(design, folds):
    if design == "department":
        return _("department-grouped %(folds)s-fold CV") % {"folds": folds}
    return _("province-grouped %(folds)s-fold CV") % {"folds": folds}


class Command(BaseCommand):
    help = (
        "Train a Keras model version, cross-validated against the baselines on department-grouped and "
        "province-grouped folds; prints a table of every method per design (with --json, stdout carries exactly "
        "one JSON document and the tables and progress go to stderr)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--target", default="stunting_u5_pct")
        parser.add_argument("--level", default="district")
        parser.add_argument("--year", type=int, required=True, help="target year")
        parser.add_argument("--features", default=None, help="comma-separated feature indicator codes")
        parser.add_argument("--inputs", default=None,
                            help="comma-separated optional inputs (" + ", ".join(OPTIONAL_INPUTS) + "); "
                                 "'none' for none; default: the cross-validated choice (docs/modeling.md)")
        parser.add_argument("--designs", default=None,
                            help="comma-separated CV designs (" + ", ".join(DESIGNS) + "); default: both")
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
        if o["inputs"]:
            chosen = [f.strip() for f in o["inputs"].split(",") if f.strip() and f.strip() != "none"]
            unknown = sorted(set(chosen) - set(OPTIONAL_INPUTS))
            if unknown:
                raise CommandError(f"unknown inputs: {', '.join(unknown)} (choose among {', '.join(OPTIONAL_INPUTS)})")
            params["inputs"] = chosen
        if o["designs"]:
            designs = [d.strip() for d in o["designs"].split(",") if d.strip()]
            unknown = sorted(set(designs) - set(DESIGNS))
            if unknown or not designs:
                raise CommandError(f"unknown designs: {', '.join(unknown)} (choose among {', '.join(DESIGNS)})")
            params["designs"] = designs
        if o["feature_years"]:
            first, _sep, last = o["feature_years"].partition("-")
            params["feature_years"] = [int(first), int(last or first)]
        if o["seed"] is not None:
            params["config"] = {"seed": o["seed"]}
        out = self.stderr if o["json"] else self.stdout
        run = run_now(kind=TaskKind.TRAIN, params=params, echo=self.stderr.write)
        if run.status != TaskStatus.SUCCEEDED:
            raise CommandError(run.error.splitlines()[0] if run.error else run.status)
        version = run.model_version
        evaluation = version.evaluation or {"department": {"metrics": {"keras": version.metrics, **version.baselines}}}
        # In the active language (Spanish by default), numbers as Peru reads them; the method
        # codes stay the codes --json and the API use.
        out.write(_("Version %(id)s (%(status)s), %(rows)s rows, %(seconds)s s, fingerprint %(fingerprint)s") % {
            "id": version.pk, "status": version.get_status_display(), "rows": number(version.n_rows),
            "seconds": number(version.training_seconds, 1), "fingerprint": version.fingerprint[:12]})
        for design, result in evaluation.items():
            table = result["metrics"]
            out.write("\n" + _design_title(design, len(result.get("folds", []))))
            out.write(f"{_('method'):<20}" + "".join(f"{h:>9}" for h in HEADERS))
            for name in METHODS:
                m = table[name]
                out.write(f"{name:<20}" + "".join(
                    f"{number(m[k], 3):>9}" if m.get(k) is not None else f"{'—':>9}" for k in KEYS))
            check = result.get("estimate_check") or {}
            if check.get("n"):
                out.write(_("small-area estimate, held out (%(n)s districts): 80%% coverage %(coverage)s; wMAE "
                            "estimate %(estimate)s, model %(model)s, measurement %(direct)s") % {
                    "n": number(check["n"]), "coverage": number(check["coverage80"], 3),
                    "estimate": number(check["wmae_estimate"], 3), "model": number(check["wmae_model"], 3),
                    "direct": number(check["wmae_direct"], 3)})
        if o["json"]:
            def pick(table):
                return {name: {k: table[name].get(k) for k in KEYS} for name in METHODS}

            document = {
                "version": version.pk, "status": version.status, "n_rows": version.n_rows,
                "training_seconds": version.training_seconds,
                "beats_baselines": version.beats_baselines,
                "best_baseline": (version.best_baseline or (None,))[0],
                "inputs": version.hyperparameters.get("inputs", []),
                "metrics": pick(evaluation["department"]["metrics"]),
            }
            if "province" in evaluation:
                document["province_grouped"] = pick(evaluation["province"]["metrics"])
            document["estimate_check"] = {d: r.get("estimate_check") for d, r in evaluation.items()}
            self.stdout.write(json.dumps(document))
