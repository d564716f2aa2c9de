"""Modeling benchmark (a script, not a timed test).

Prints: training seconds; seconds to score all districts × all intervention types,
writes included; seconds to score 100,000 synthetic communities, writes included; and
the speed-up over a naive loop calling ``model.predict`` once per community (timed on a
sample, extrapolated), all measured in this run.

    DATABASE_URL=postgres://... python benchmarks/modeling_bench.py [--seed-demo] [--fast]

Uses the real data when SIEN 2022 district stunting is loaded (``load_peru_data``),
otherwise the synthetic demo (``--seed-demo`` seeds it first). Writes into the database
it is pointed at: use a scratch database.
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthplanner.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-demo", action="store_true", help="seed the full synthetic demo first")
    parser.add_argument("--fast", action="store_true", help="train the small quick ensemble")
    parser.add_argument("--synthetic", type=int, default=100_000, help="synthetic communities to score")
    parser.add_argument("--naive-sample", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="reuse the active version instead of training")
    args = parser.parse_args()

    import django

    django.setup()

    from interventions.choices import Level
    from interventions.models import Community, IndicatorValue
    from interventions.seed.demo import seed_demo
    from modeling import keras_model
    from modeling.features import build_frame
    from modeling.models import CommunityScore, ModelVersion
    from modeling.services import scoring
    from modeling.services.training import model_version_train

    if args.seed_demo:
        t = time.perf_counter()
        seed_demo(seed=2017)
        print(f"seeded the demo in {time.perf_counter() - t:.1f} s")
    real = IndicatorValue.objects.filter(
        indicator__code="stunting_u5_pct", year=2022, community__level=Level.DISTRICT
    ).exclude(source="synthetic-demo").exists()
    train_kwargs = dict(target="stunting_u5_pct", level=Level.DISTRICT, target_year=2022)
    if real:
        train_kwargs.update(feature_years=(2017, 2018), min_sample_size=30)
    config = keras_model.FAST_CONFIG if args.fast else keras_model.TrainConfig()
    data = "real data (SIEN 2022, 2017–2018 features)" if real else "synthetic demo"
    version = None
    if args.reuse:
        version = ModelVersion.objects.filter(status="active", target__code="stunting_u5_pct").first()
    if version is None:
        t = time.perf_counter()
        version = model_version_train(**train_kwargs, config=config)
        train_seconds = time.perf_counter() - t
        print(f"training on {data}: {version.n_rows} rows, {train_seconds:.1f} s "
              f"(CV with 5 baselines and the final ensemble of {config.members})")
    else:
        print(f"reusing version {version.pk} ({data}), trained in {version.training_seconds} s")
    print(f"  keras wMAE {version.metrics['wmae']}, " + ", ".join(
        f"{k} {v['wmae']}" for k, v in version.baselines.items()))

    # Warm the per-process cache (TensorFlow import and model load), reported apart.
    t = time.perf_counter()
    keras_model.load_cached(version.pk, version.file_path)
    print(f"first model load (TF import included): {time.perf_counter() - t:.2f} s")

    n_districts = Community.objects.filter(level=Level.DISTRICT).count()
    n_types = len(scoring._types_for(version))
    t = time.perf_counter()
    scoring.score_version(version=version)
    all_seconds = time.perf_counter() - t
    print(f"score all {n_districts} districts × {n_types} intervention types, written: {all_seconds:.2f} s")

    # 100,000 synthetic communities: district rows resampled with noise; real Community
    # rows are created once (not timed) so the scores can be written.
    frame = build_frame(target="stunting_u5_pct", level=Level.DISTRICT, target_year=2024,
                        features=list(dict.fromkeys([*version.features, "water_public_network_pct",
                                                     "sewer_public_network_pct"]))).frame
    codes = _synthetic_communities(args.synthetic)
    try:
        _score_synthetic(args, version, frame, codes, n_districts, all_seconds)
    finally:
        CommunityScore.objects.filter(version=version).delete()
        Community.objects.filter(name__startswith="Synthetic ", level=Level.DISTRICT).delete()
        Community.objects.filter(name__startswith="Synthetic ", level=Level.PROVINCE).delete()


def _score_synthetic(args, version, frame, codes, n_districts, all_seconds):
    import numpy as np
    import pandas as pd

    from interventions.models import Community
    from modeling import keras_model
    from modeling.services import scoring

    rng = np.random.default_rng(1)
    sample = frame.iloc[rng.integers(len(frame), size=len(codes))].copy()
    numeric = [c for c in version.hyperparameters["numeric_inputs"] if not c.endswith("__missing")]
    sample[numeric] = sample[numeric] * rng.normal(1.0, 0.05, size=(len(sample), len(numeric)))
    sample.index = pd.Index(codes, name="code")
    sample["department"] = [c[:2] for c in codes]
    ids = dict(Community.objects.filter(code__in=codes).values_list("code", "id"))
    types = scoring._types_for(version)
    t = time.perf_counter()
    predicted, lower, upper = scoring.predict_frame(version, sample)
    t_pred = time.perf_counter() - t
    scores = scoring.compute_scores(sample, predicted, lower, upper, types, indicator="stunting_u5_pct")
    t_comp = time.perf_counter() - t - t_pred
    scoring._write(version, 2024, scores, ids)
    big_seconds = time.perf_counter() - t
    print(f"score {len(codes):,} synthetic communities × {len(types)} types, written: {big_seconds:.2f} s "
          f"(predict {t_pred:.2f}, LiST and priority {t_comp:.2f}, write {big_seconds - t_pred - t_comp:.2f})")

    # The naive loop: model.predict once per community, on a sample, extrapolated.
    model = keras_model.load_cached(version.pk, version.file_path)
    rows = frame.iloc[: args.naive_sample]
    x = rows[version.hyperparameters["numeric_inputs"]].to_numpy(dtype="float32")
    deps = rows["department"].to_numpy()
    import tensorflow as tf

    t = time.perf_counter()
    for i in range(len(rows)):
        model.predict({"numeric": x[i:i + 1], "department": tf.constant([[deps[i]]])}, verbose=0)
    per_row = (time.perf_counter() - t) / len(rows)
    naive_all = per_row * n_districts
    naive_big = per_row * len(codes)
    print(f"naive model.predict per community: {per_row * 1000:.1f} ms/row → all districts ≈ {naive_all:.1f} s "
          f"(×{naive_all / all_seconds:.0f} slower than ours, writes included in ours); "
          f"100k ≈ {naive_big:.0f} s (×{naive_big / big_seconds:.0f})")


def _synthetic_communities(n):
    """n district communities under made-up provinces (codes DD50–DD99), created once."""
    from interventions.choices import Level
    from interventions.models import Community

    departments = list(Community.objects.filter(level=Level.DEPARTMENT).order_by("code"))
    per_province = 99
    codes, provinces, districts = [], [], []
    existing = set(Community.objects.filter(code__regex=r"^[0-9]{2}(5[0-9]|[6-9][0-9])").values_list("code", flat=True))
    k = 0
    for p in range(50, 100):
        for dep in departments:
            if len(codes) >= n:
                break
            pcode = f"{dep.code}{p:02d}"
            if pcode not in existing:
                provinces.append(Community(code=pcode, level=Level.PROVINCE, parent=dep, name=f"Synthetic {pcode}"))
            for d in range(1, per_province + 1):
                if len(codes) >= n:
                    break
                code = f"{pcode}{d:02d}"
                codes.append(code)
                if code not in existing:
                    districts.append((code, pcode))
                k += 1
    Community.objects.bulk_create(provinces, batch_size=5000)
    parents = dict(Community.objects.filter(code__in={p for _c, p in districts}).values_list("code", "id"))
    Community.objects.bulk_create(
        [Community(code=c, level=Level.DISTRICT, parent_id=parents[p], name=f"Synthetic {c}", population=5000,
                   altitude_m=2000) for c, p in districts], batch_size=5000,
    )
    return codes


if __name__ == "__main__":
    main()
