"""Training benchmark (a script, not a timed test): one training on the defaults, both CV
designs, with its time and every method's metrics per design, in one run.

    DATABASE_URL=postgres://... python benchmarks/training_bench.py [--target stunting_u5_pct]
        [--year 2022] [--loss huber|mse] [--inputs department_level,...] [--designs department,province]

Prints the seconds of the whole training and of each design's cross-validation (Keras and
each baseline, from the run's log), then the table of wMAE, RMSE, R², CRPS, coverage
50/80/95 and the 80% interval score of every method for each design, and the held-out
check of the small-area estimate. Writes a model version into the database it is pointed
at (the real data loaded with ``load_peru_data``): use a scratch database.
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthplanner.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

KEYS = ("wmae", "rmse", "r2", "crps", "coverage50", "coverage80", "coverage95", "winkler80")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="stunting_u5_pct")
    parser.add_argument("--level", default="district")
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--loss", choices=("huber", "mse"), default=None)
    parser.add_argument("--inputs", default=None)
    parser.add_argument("--designs", default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from modeling.services.evaluation import METHODS
    from modeling.services.runs import run_now

    params = {"target": args.target, "level": args.level, "year": args.year}
    if args.loss:
        params["config"] = {"loss": args.loss}
    if args.inputs is not None:
        params["inputs"] = [i for i in args.inputs.split(",") if i]
    if args.designs:
        params["designs"] = args.designs.split(",")
    started = time.perf_counter()
    run = run_now(kind="train", params=params)
    seconds = time.perf_counter() - started
    if run.status != "succeeded":
        sys.exit(run.error)
    version = run.model_version
    print(f"{args.target} {args.level} {args.year}: {version.n_rows} rows, training {seconds:.1f} s "
          f"(version {version.pk}, {version.get_status_display()}, beats baselines: {version.beats_baselines})")
    for line in run.log:
        if "seconds per method" in line:
            print("  " + line.split(" ", 1)[1])
    for design, result in version.evaluation.items():
        print(f"\n{design}-grouped CV")
        print(f"{'method':<20}" + "".join(f"{k:>11}" for k in KEYS))
        for method in METHODS:
            m = result["metrics"][method]
            print(f"{method:<20}" + "".join(f"{m[k]:>11.3f}" for k in KEYS))
        keras, best = result["metrics"]["keras"]["wmae"], min(
            result["metrics"][m]["wmae"] for m in METHODS if m != "keras")
        print(f"keras / best baseline wMAE: {keras / best:.3f}")
        check = result["estimate_check"]
        print(f"small-area estimate held out: {check}")


if __name__ == "__main__":
    main()
