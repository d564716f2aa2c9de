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
