"""The real INEI / MINSA / ENDES files, loaded once for this module by load_peru_data.

The load is committed outside the per-test transactions (it takes about 20 s), then
removed when the module ends so that later test modules start from an empty database.
"""
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Sum

from interventions.choices import NATIONAL_CODE, ImportStatus, Level
from interventions.importers import PERU_ADAPTERS, InputFile, run_import
from interventions.models import Community, ImportBatch, IndicatorValue

from .importing import empty_import_tables, fingerprint

pytestmark = [pytest.mark.realdata, pytest.mark.django_db]

CENSUS_SHARES = ("water_public_network_pct", "sewer_public_network_pct", "electricity_pct",
                 "firewood_cooking_pct", "sis_affiliation_pct", "urban_pct")


@pytest.fixture(scope="module")
def peru(request, django_db_setup, django_db_blocker):
    """The whole real dataset, loaded once; yields the seconds the load took."""
    from django.conf import settings

    from tests.conftest import REAL_DATA_DIR

    # A worktree outside the project folder can point at the data explicitly.
    REAL_DATA_DIR = Path(os.environ.get("HEALTHPLANNER_PERU_DATA", REAL_DATA_DIR))
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real data folder {REAL_DATA_DIR} is absent: real-data tests need ../shared/data/peru")
    with django_db_blocker.unblock():
        started = time.monotonic()
        call_command("load_peru_data", str(REAL_DATA_DIR), "--no-progress", stdout=open("/dev/null", "w"))
        seconds = time.monotonic() - started
        try:
            yield {"dir": REAL_DATA_DIR, "seconds": seconds, "settings": settings}
        finally:
            empty_import_tables()


def _value(code, indicator, year, source):
    return IndicatorValue.objects.get(community__code=code, indicator__code=indicator, year=year, source=source)


def test_every_file_succeeded(peru):
    batches = ImportBatch.objects.all()
    assert batches.count() == sum(len(a.files) for a in PERU_ADAPTERS.values())
    assert set(batches.values_list("status", flat=True)) == {ImportStatus.SUCCEEDED}
    assert peru["seconds"] < 120


def test_communities_at_every_level(peru):
    counts = dict(Community.objects.values_list("level").annotate(n=Count("id")))
    assert counts[Level.COUNTRY] == 1
    assert counts[Level.DEPARTMENT] == 25
    assert counts[Level.PROVINCE] == 196
    assert counts[Level.DISTRICT] >= 1874
    lima = Community.objects.get(code="150101")
    assert lima.parent.code == "1501" and lima.parent.parent.code == "15"
    assert lima.altitude_m is not None and lima.latitude is not None and lima.area_km2 > 0
    assert Community.objects.get(code="010101").population == 29171  # "29,171" in the file


def test_poverty_map_2018(peru):
    values = IndicatorValue.objects.filter(indicator__code="poverty_pct", year=2018, source="inei-poverty-2018")
    assert values.filter(community__level=Level.DISTRICT).count() == 1874
    chachapoyas = values.get(community__code="010101")
    assert (chachapoyas.value, chachapoyas.lower, chachapoyas.upper) == pytest.approx((9.034625, 5.773728, 12.295522))


def test_endes_national_figures_equal_inei(peru):
    assert _value(NATIONAL_CODE, "stunting_u5_pct", 2018, "endes").value == 12.2
    assert _value(NATIONAL_CODE, "stunting_u5_pct", 2017, "endes").value == 12.9
    anaemia = _value(NATIONAL_CODE, "anaemia_6_35m_pct", 2018, "endes")
    assert anaemia.value == 43.5
    assert anaemia.sample_size > 1000
    departments = IndicatorValue.objects.filter(source="endes", community__level=Level.DEPARTMENT,
                                                indicator__code="stunting_u5_pct")
    assert departments.values("community").distinct().count() == 25
    assert departments.aggregate(y0=Min("year"), y1=Max("year")) == {"y0": 2009, "y1": 2025}


def test_sien_2022_by_district(peru):
    stunting = IndicatorValue.objects.filter(source="minsa-sien-2022", indicator__code="stunting_u5_pct", year=2022)
    assert stunting.filter(community__level=Level.DISTRICT).count() >= 1830
    assert not stunting.filter(sample_size__isnull=True).exists()
    assert IndicatorValue.objects.filter(source="minsa-sien-2022", indicator__code="anaemia_6_35m_pct").count() >= 1830


def test_census_shares_and_population(peru):
    shares = IndicatorValue.objects.filter(source="inei-census-2017", indicator__code__in=CENSUS_SHARES)
    assert shares.values("indicator").distinct().count() == len(CENSUS_SHARES)
    bounds = shares.aggregate(lo=Min("value"), hi=Max("value"))
    assert 0 <= bounds["lo"] and bounds["hi"] <= 100
    # Every level has its aggregate.
    assert shares.filter(community__code=NATIONAL_CODE).count() == len(CENSUS_SHARES)
    grid = pd.read_excel(peru["dir"] / "census2017" / "C5P2.xlsx", header=None)
    total_row = grid[grid[1].astype(str).str.strip() == "TOTAL"].iloc[0]
    file_total = int(total_row[3]) + int(total_row[4])
    population = IndicatorValue.objects.filter(source="inei-census-2017", indicator__code="population")
    assert population.get(community__code=NATIONAL_CODE).value == file_total
    assert population.filter(community__level=Level.DISTRICT).aggregate(s=Sum("value"))["s"] == file_total
    assert population.filter(community__level=Level.DEPARTMENT).aggregate(s=Sum("value"))["s"] == file_total


def test_boundaries_with_inherited_districts(peru):
    assert not Community.objects.filter(level__in=[Level.DEPARTMENT, Level.PROVINCE], geometry__isnull=True).exists()
    assert Community.objects.filter(level=Level.DISTRICT, geometry__isnull=False).count() == 1874
    created_after_2007 = Community.objects.get(code="070107")  # Mi Perú, from Ventanilla (070106)
    assert created_after_2007.geometry_inherited
    assert created_after_2007.geometry == Community.objects.get(code="070106").geometry
    putumayo = Community.objects.get(code="160801")  # 2007 code 160109, reassigned
    assert putumayo.geometry is not None and not putumayo.geometry_inherited


def test_reimporting_the_same_files_changes_nothing(peru):
    before = fingerprint()
    for name in ("poverty-2018", "endes-departments", "ubigeo"):
        adapter = PERU_ADAPTERS[name]
        for relpath in adapter.files:
            batch = run_import(adapter=adapter, file=InputFile.from_location(str(peru["dir"]), relpath))
            assert batch.status == ImportStatus.SUCCEEDED
            assert batch.rows_written == 0
    assert fingerprint() == before
