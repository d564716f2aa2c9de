import math

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.models import Community, Indicator, IndicatorValue
from modeling.features import DEFAULT_FEATURES, MSG_NO_COMMUNITIES, build_frame, numeric_columns

pytestmark = pytest.mark.django_db


def test_frame_has_one_row_per_district_in_two_queries(demo_small):
    with CaptureQueriesContext(connection) as queries:
        ff = build_frame(target="stunting_u5_pct", level="district", target_year=2022)
    assert len(queries.captured_queries) == 2
    assert len(ff.frame) == Community.objects.filter(level="district").count() == 334
    assert list(ff.numeric) == numeric_columns(DEFAULT_FEATURES)
    assert set(ff.frame["department"]) == {"01", "02", "03"}


def test_features_come_from_years_before_the_target_year(demo_small):
    district = Community.objects.get(code="010101")
    poverty = Indicator.objects.get(code="poverty_pct")
    by_year = dict(IndicatorValue.objects.filter(community=district, indicator=poverty).values_list("year", "value"))
    ff = build_frame(target="stunting_u5_pct", target_year=2022)
    assert ff.frame.loc["010101", "poverty_pct"] == by_year[2021]
    assert ff.frame.loc["010101", "poverty_pct"] != by_year[2022] or by_year[2021] == by_year[2022]
    stunting = IndicatorValue.objects.get(community=district, indicator__code="stunting_u5_pct", year=2022)
    assert ff.frame.loc["010101", "target"] == stunting.value
    assert ff.frame.loc["010101", "weight"] == stunting.sample_size
    # A feature window ending in 2017 reads 2017, never later.
    windowed = build_frame(target="stunting_u5_pct", target_year=2022, feature_years=(2016, 2017))
    assert windowed.frame.loc["010101", "poverty_pct"] == by_year[2017]


def test_missing_values_are_flagged_and_the_fingerprint_follows_the_data(demo_small):
    before = build_frame(target="stunting_u5_pct", target_year=2022)
    again = build_frame(target="stunting_u5_pct", target_year=2022)
    assert before.fingerprint == again.fingerprint and len(before.fingerprint) == 64
    IndicatorValue.objects.filter(community__code="010101", indicator__code="poverty_pct").delete()
    after = build_frame(target="stunting_u5_pct", target_year=2022)
    assert math.isnan(after.frame.loc["010101", "poverty_pct"])
    assert after.frame.loc["010101", "poverty_pct__missing"] == 1.0
    assert after.frame.loc["010102", "poverty_pct__missing"] == 0.0
    assert after.fingerprint != before.fingerprint


def test_altitude_and_log_population(demo_small):
    ff = build_frame(target="stunting_u5_pct", target_year=2022)
    district = Community.objects.get(code="010102")
    population = IndicatorValue.objects.get(community=district, indicator__code="population", year=2021).value
    assert ff.frame.loc["010102", "altitude_km"] == pytest.approx(district.altitude_m / 1000)
    assert ff.frame.loc["010102", "log_population"] == pytest.approx(np.log1p(population))


def test_no_communities_message(db):
    with pytest.raises(ValueError) as err:
        build_frame(target="stunting_u5_pct", target_year=2022)
    assert str(err.value) == str(MSG_NO_COMMUNITIES % {"level": "district"})


def test_no_tensorflow_at_import_time():
    """Django start-up, commands and the qcluster parent must not import TensorFlow."""
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import django, sys; django.setup(); "
        "import modeling.admin, modeling.tasks, modeling.keras_model, modeling.services.runs, "
        "modeling.services.training, modeling.services.scoring, modeling.services.planning, "
        "modeling.templatetags.modeling_admin; "
        "from django.core.management import load_command_class; "
        "[load_command_class('modeling', c) "
        "for c in ('train_model', 'score_communities', 'make_plan', 'queue_models')]; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
                         env={"DJANGO_SETTINGS_MODULE": "healthplanner.test_settings", "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_new_census_and_geographic_inputs(demo_small):
    ff = build_frame(target="stunting_u5_pct", target_year=2022)
    for column in ("internet_pct", "literacy_pct", "secondary_education_pct", "native_language_pct",
                   "latitude", "longitude", "log_density"):
        assert column in ff.numeric and ff.frame[column].notna().all(), column
    row = Community.objects.get(code="010101")
    assert ff.frame.loc["010101", "latitude"] == pytest.approx(row.latitude)
    population = ff.frame.loc["010101", "population"]
    assert ff.frame.loc["010101", "log_density"] == pytest.approx(math.log1p(population / row.area_km2))


def test_the_department_series_never_reads_the_target_year(demo_small):
    """Department level and trend come from the department's own values of the target in
    the years before the target year: a value planted in the target year (or after) is ignored."""
    department = Community.objects.get(code="01")
    stunting = Indicator.objects.get(code="stunting_u5_pct")
    inputs = ("department_level", "department_trend")
    before = build_frame(target="stunting_u5_pct", target_year=2022, inputs=inputs).frame
    past = dict(IndicatorValue.objects.filter(community=department, indicator=stunting, year__in=(2020, 2021))
                .values_list("year", "value"))
    assert before.loc["010101", "department_level"] == pytest.approx((past[2020] + past[2021]) / 2)
    assert before["department_trend"].notna().all()
    for year in (2022, 2023):
        IndicatorValue.objects.update_or_create(
            community=department, indicator=stunting, year=year, source="planted-leak",
            defaults={"value": 99.0})
    after = build_frame(target="stunting_u5_pct", target_year=2022, inputs=inputs).frame
    assert after["department_level"].equals(before["department_level"])
    assert after["department_trend"].equals(before["department_trend"])
    # … while the same values a year later are read by a frame for 2024.
    later = build_frame(target="stunting_u5_pct", target_year=2024, inputs=inputs).frame
    assert later.loc["010101", "department_level"] != before.loc["010101", "department_level"]


def test_neighbour_inputs_read_only_known_rows_outside_the_own_department(demo_small):
    from modeling.features import TARGET, add_neighbours, neighbour_features

    ff = build_frame(target="stunting_u5_pct", target_year=2022, inputs=("neighbour_target", "neighbour_distance_km"))
    assert "neighbour_target" in ff.numeric and ff.uses_neighbours
    frame = ff.labelled
    departments = frame.index.str[:2]
    held_out = np.asarray(departments == "02")  # one fold: department 02 hidden
    known = ~held_out
    before = neighbour_features(frame, known)
    # Plant an absurd value in every held-out row and in the row's own department: nothing read changes.
    planted = frame.copy()
    planted.loc[held_out, TARGET] = 1000.0
    assert neighbour_features(planted, known).equals(before)
    own = planted.copy()
    own.loc["010101", TARGET] = 1000.0
    assert neighbour_features(own, known).loc[departments == "01"].equals(before.loc[departments == "01"])
    # A known row of another department does count.
    other = frame.copy()
    other.loc[np.asarray(departments == "03"), TARGET] = 1000.0
    assert (neighbour_features(other, known).loc[departments == "01", "neighbour_target"]
            > before.loc[departments == "01", "neighbour_target"]).all()
    filled = add_neighbours(frame, known)
    assert filled["neighbour_target"].notna().all() and filled["neighbour_target__missing"].eq(0).all()
    assert frame["neighbour_target"].isna().all()  # the frame itself is untouched


def test_unknown_inputs_are_refused(demo_small):
    with pytest.raises(ValueError, match="department_levels"):
        build_frame(target="stunting_u5_pct", target_year=2022, inputs=("department_levels",))
