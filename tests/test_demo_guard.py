"""Demo and real data never mix silently: ``load_peru_data`` refuses while the synthetic
demo is in the database (nothing written), unless ``--replace-demo`` removes it first."""
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from interventions.models import Community, ImportBatch, IndicatorValue, Intervention, Partner
from interventions.seed.demo import DEMO_PARTNERS, DEMO_SOURCE, demo_marker, seed_demo
from interventions.services.demo import demo_present
from modeling.models import Plan

from .test_importers import PLACES_CSV

pytestmark = pytest.mark.django_db

TABLES = ("interventions_community", "interventions_indicatorvalue", "interventions_intervention",
          "interventions_partner", "interventions_importbatch", "interventions_indicator",
          "interventions_interventiontype", "modeling_plan", "modeling_modelversion", "modeling_communityscore")


def _checksum():
    """Row counts and a hash of every row of the key tables."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t")
            digest.update(repr((table, *cursor.fetchone())).encode())
    return digest.hexdigest()


@pytest.fixture
def real_folder(tmp_path):
    (tmp_path / "ubigeo").mkdir()
    (tmp_path / "ubigeo" / "geodir-ubigeo-inei.csv").write_text(PLACES_CSV, encoding="utf-8")
    return tmp_path


def test_the_demo_leaves_a_marker():
    assert not demo_present()
    seed_demo(seed=7, departments=2)
    marker = demo_marker()
    assert marker is not None and marker.source == DEMO_SOURCE
    assert set(marker.summary["communities"]) == set(Community.objects.values_list("code", flat=True))
    assert demo_present()


def test_a_refused_load_over_the_demo_writes_nothing(real_folder):
    seed_demo(seed=7, departments=2)
    before = _checksum()
    with translation.override("es"), pytest.raises(CommandError) as refused:
        call_command("load_peru_data", str(real_folder), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    message = str(refused.value)
    assert "datos sintéticos de demostración" in message and "--replace-demo" in message
    assert "no se escribió nada" in message
    assert _checksum() == before
    # The same over a dry run: refused too.
    with pytest.raises(CommandError):
        call_command("load_peru_data", str(real_folder), "--dry-run", "--no-progress", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert _checksum() == before


def test_replace_demo_removes_the_demo_then_loads(real_folder):
    seed_demo(seed=7, departments=2)
    amazonas = Community.objects.get(code="01")
    Plan.objects.create(name="on the demo", budget_pen=1000, region=amazonas)  # computed from synthetic data
    out = io.StringIO()
    with translation.override("es"):
        call_command("load_peru_data", str(real_folder), "--only", "ubigeo", "--replace-demo", "--no-progress",
                     stdout=out, stderr=io.StringIO())
    assert "Primero se eliminaron los datos sintéticos de demostración" in out.getvalue()
    assert not IndicatorValue.objects.filter(source=DEMO_SOURCE).exists()
    assert not Intervention.objects.exists()
    assert not Partner.objects.filter(name__in=[name for name, _a, _k in DEMO_PARTNERS]).exists()
    assert not Plan.objects.exists()
    assert not ImportBatch.objects.filter(source=DEMO_SOURCE).exists()
    assert sorted(Community.objects.values_list("code", flat=True)) == [
        "01", "0101", "010101", "010102", "02", "0201", "020101", "16", "1608", "160801", "PE"]
    assert not Community.objects.filter(name__startswith="Distrito ").exists()
    assert not demo_present()
    # Real data on their own: the next load needs no flag.
    call_command("load_peru_data", str(real_folder), "--only", "ubigeo", "--no-progress", stdout=io.StringIO(),
                 stderr=io.StringIO())


def test_the_demo_is_not_seeded_over_real_data(real_folder):
    call_command("load_peru_data", str(real_folder), "--only", "ubigeo", "--no-progress", stdout=io.StringIO(),
                 stderr=io.StringIO())
    before = _checksum()
    with translation.override("es"), pytest.raises(CommandError) as refused:
        call_command("seed_demo", "--departments", "2", stdout=io.StringIO())
    message = str(refused.value)
    assert "datos reales" in message and "ubigeo" in message and "no se escribió nada" in message, message
    assert _checksum() == before
    assert not demo_present()


def test_the_demo_is_seeded_again_over_itself():
    call_command("seed_demo", "--departments", "2", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--departments", "2", stdout=out)  # idempotent: its own data are no real data
    assert "Nothing changed" in out.getvalue()
