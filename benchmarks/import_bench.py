"""Import benchmark: N long-format rows (default 1,000,000) through the real import
service into PostgreSQL, against a naive row-by-row ORM ``save()`` loop on a sample,
measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/healthplanner \
        .venv/bin/python benchmarks/import_bench.py [--rows 1000000] [--naive-rows 2000]

It works in a scratch database of its own (``test_<name>``, created and dropped here),
never in the database DATABASE_URL names.
"""
import argparse
import io
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthplanner.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--orm-rows", type=int, default=50_000, help="rows for the bulk_create_with_history path")
    parser.add_argument("--skip-history-cost", action="store_true", help="skip the with/without history comparison")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.db import connection

    from interventions.choices import Level
    from interventions.importers import GenericAdapter, InputFile, run_import
    from interventions.models import Community, Indicator, IndicatorValue
    from interventions.seed.catalogue import ensure_indicators

    if connection.vendor != "postgresql":
        print("This benchmark measures PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    old_name = connection.settings_dict["NAME"]
    # A name of its own, so a test run on the same server cannot collide with it.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_import_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        ensure_indicators()
        indicators = list(Indicator.objects.order_by("code"))
        percent = [i for i in indicators if i.max_value == 100]
        years = list(range(2000, 2000 + args.years))
        districts_needed = math.ceil(args.rows / (len(percent) * len(years)))
        # Places: 25 departments, 10 provinces each, districts spread below them.
        Community.objects.bulk_create([Community(code="PE", level=Level.COUNTRY, name="Perú")])
        deps = Community.objects.bulk_create([Community(code=f"{d:02d}", level=Level.DEPARTMENT, name=f"D{d}")
                                              for d in range(1, 26)])
        provs = Community.objects.bulk_create([Community(code=f"{d.code}{p:02d}", level=Level.PROVINCE, parent=d,
                                                         name=f"P{d.code}{p:02d}") for d in deps for p in range(1, 11)])
        per_province = math.ceil(districts_needed / len(provs))
        if per_province > 99:
            raise SystemExit("too many rows for the synthetic layout: raise --years")
        districts = Community.objects.bulk_create([
            Community(code=f"{p.code}{k:02d}", level=Level.DISTRICT, parent=p, name=f"X{p.code}{k:02d}")
            for p in provs for k in range(1, per_province + 1)])
        codes = np.array([d.code for d in districts])
        rng = np.random.default_rng(1)
        grid = pd.MultiIndex.from_product([range(len(codes)), [i.code for i in percent], years]).to_frame(index=False)
        grid = grid.iloc[: args.rows]
        frame = pd.DataFrame({
            "ubigeo": codes[grid[0].to_numpy()], "indicator": grid[1].to_numpy(), "year": grid[2].to_numpy(),
            "value": np.round(rng.uniform(0, 100, len(grid)), 2),
        })
        data = frame.to_csv(index=False).encode()
        print(f"Generated {len(frame):,} rows ({len(data) / 1e6:.1f} MB CSV) over {len(codes):,} districts, "
              f"{len(percent)} indicators, {len(years)} years.")

        started = time.perf_counter()
        batch = run_import(adapter=GenericAdapter(source="bench"), file=InputFile(name="bench.csv", data=data))
        ours = time.perf_counter() - started
        assert batch.status == "succeeded", batch.errors[:5]
        assert batch.summary["values_created"] == len(frame)
        # The floor: a raw COPY of the same rows into the same table (no checks, no temporary
        # table, no history), committed, under a source of its own; removed afterwards.
        raw_seconds = _raw_copy(frame)
        started = time.perf_counter()
        again = run_import(adapter=GenericAdapter(source="bench"), file=InputFile(name="bench.csv", data=data))
        unchanged = time.perf_counter() - started
        assert again.rows_written == 0

        # Naive loop: read the CSV row by row and save() each value (the model's history
        # is recorded by simple-history's post_save signal, as for every ORM save).
        sample = frame.sample(min(args.naive_rows, len(frame)), random_state=2)
        sample_csv = sample.to_csv(index=False)
        community_ids = dict(Community.objects.values_list("code", "id"))
        indicator_ids = dict(Indicator.objects.values_list("code", "id"))
        import csv

        started = time.perf_counter()
        for row in csv.DictReader(io.StringIO(sample_csv)):
            IndicatorValue(community_id=community_ids[row["ubigeo"]], indicator_id=indicator_ids[row["indicator"]],
                           year=int(row["year"]), value=float(row["value"]), source="naive").save()
        naive = time.perf_counter() - started

        # The cost of history, and of the ORM path (SQLite fallback), on the write alone.
        from django.db import transaction

        from interventions.importers import writers
        from interventions.models import ImportBatch

        ids = frame.assign(community_id=frame["ubigeo"].map(community_ids),
                           indicator_id=frame["indicator"].map(indicator_ids), lower=np.nan, upper=np.nan,
                           sample_size=np.nan)
        write_costs = {}
        if not args.skip_history_cost:
            for history in (True, False):
                started = time.perf_counter()
                with transaction.atomic():
                    b = ImportBatch.objects.create(source=f"bench-history-{history}")
                    writers.write_values(frame=ids, source=b.source, batch=b, history=history)
                write_costs[history] = time.perf_counter() - started
        orm_sample = ids.iloc[: args.orm_rows]
        started = time.perf_counter()
        with transaction.atomic():
            b = ImportBatch.objects.create(source="bench-orm")
            writers._write_values_orm(writers._clean_frame(orm_sample), source=b.source, batch=b, user=None)
        orm = time.perf_counter() - started

        ours_rate = len(frame) / ours
        naive_rate = len(sample) / naive
        sm = batch.summary
        print(f"Our importer : {len(frame):,} rows in {ours:.2f} s = {ours_rate:,.0f} rows/s, history rows included "
              f"(read+parse {sm['read_seconds']:.2f} s, checks {sm['check_seconds']:.2f} s, "
              f"COPY+insert+history {sm['write_seconds']:.2f} s, "
              f"commit incl. deferred FK checks {sm['commit_seconds']:.2f} s)")
        print(f"Raw COPY     : the same {len(frame):,} rows straight into the value table in {raw_seconds:.2f} s = "
              f"{len(frame) / raw_seconds:,.0f} rows/s (committed; no checks, no history)")
        print(f"Ratio to COPY: our importer takes {ours / raw_seconds:.1f}x the raw COPY's time")
        print(f"Re-import of the identical file: {unchanged:.2f} s, 0 rows written")
        print(f"Naive save() : {len(sample):,} rows in {naive:.2f} s = {naive_rate:,.0f} rows/s")
        print(f"Ratio        : {ours_rate / naive_rate:.0f}x")
        if write_costs:
            print(f"History cost : write+commit of {len(ids):,} rows {write_costs[True]:.2f} s with history rows, "
                  f"{write_costs[False]:.2f} s without ({write_costs[True] - write_costs[False]:.2f} s for history)")
        print(f"ORM path     : bulk_create_with_history, {len(orm_sample):,} rows in {orm:.2f} s = "
              f"{len(orm_sample) / orm:,.0f} rows/s (the SQLite fallback)")
    finally:
        if not args.keep_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


def _raw_copy(frame) -> float:
    """Seconds for ``COPY … FROM STDIN`` of ``frame``'s rows into the value table, and the
    commit (where the deferred foreign-key checks run); the payload is built beforehand."""
    import io

    from django.db import connection, transaction

    from interventions.models import Community, Indicator, IndicatorValue

    table = IndicatorValue._meta.db_table
    community_ids = dict(Community.objects.values_list("code", "id"))
    indicator_ids = dict(Indicator.objects.values_list("code", "id"))
    rows = frame.assign(community_id=frame["ubigeo"].map(community_ids),
                        indicator_id=frame["indicator"].map(indicator_ids), source="bench-raw-copy")
    payload = rows[["community_id", "indicator_id", "year", "value", "source"]].to_csv(index=False, header=False)
    sql = f"COPY {table} (community_id, indicator_id, year, value, source) FROM STDIN WITH (FORMAT csv)"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(sql, io.StringIO(payload))
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE source = 'bench-raw-copy'")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
