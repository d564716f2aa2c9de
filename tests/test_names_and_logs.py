"""Official names keep their accents (Áncash, Asunción), and task logs are stamped in the
site's time zone (America/Lima), as the admin shows times."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from interventions.choices import DEPARTMENT_NAMES
from interventions.importers import PERU_ADAPTERS, InputFile, run_import
from interventions.importers.peru.ubigeo import CENSUS_NAMES_FILE, with_accents
from interventions.models import Community
from interventions.seed.catalogue import ensure_indicators
from interventions.seed.demo import DEPARTMENTS

from .test_importers import PLACES_CSV

pytestmark = pytest.mark.django_db


def test_accents_are_restored_never_a_name_changed():
    assert with_accents("Ancash", "Áncash") == "Áncash"
    assert with_accents("Asuncion", "Asunción") == "Asunción"
    assert with_accents("Callao", "Prov. Constitucional del Callao") == "Callao"
    assert with_accents("Jose Luis Bustamante y Rivero", "José Luis Bustamante Y Rivero") == \
        "Jose Luis Bustamante y Rivero"
    assert with_accents("Balsas", None) == "Balsas"
    # The demo and the importer name the departments alike.
    assert {code: name for code, name, *_rest in DEPARTMENTS} == DEPARTMENT_NAMES


def test_the_ubigeo_import_writes_official_names(tmp_path):
    (tmp_path / "ubigeo").mkdir()
    (tmp_path / "ubigeo" / "geodir-ubigeo-inei.csv").write_text(PLACES_CSV, encoding="utf-8")
    census = tmp_path / CENSUS_NAMES_FILE
    census.parent.mkdir()
    pd.DataFrame([["Título", None, None], [None, "Código", "Distrito"],
                  [None, 10102, "Amazonas, Chachapoyas, distrito de Asunción"],
                  [None, 20101, "Áncash, Huaraz, distrito de Huaraz"]]).to_excel(census, header=False, index=False)
    ensure_indicators()
    batch = run_import(adapter=PERU_ADAPTERS["ubigeo"],
                       file=InputFile.from_location(str(tmp_path), "ubigeo/geodir-ubigeo-inei.csv"))
    assert batch.status == "succeeded", batch.errors
    names = dict(Community.objects.values_list("code", "name"))
    assert names["02"] == "Áncash" and names["16"] == "Loreto" and names["01"] == "Amazonas"
    assert names["010102"] == "Asunción" and names["010101"] == "Chachapoyas"


@pytest.mark.realdata
def test_the_real_ubigeo_table_gives_the_official_department_names(real_data_dir):
    from interventions.importers.base import Context

    file = InputFile.from_location(str(real_data_dir), "ubigeo/geodir-ubigeo-inei.csv")
    plan = PERU_ADAPTERS["ubigeo"].plan(file, Context())
    names = {row["code"]: row["name"] for row in plan.communities}
    assert {code: names[code] for code in DEPARTMENT_NAMES} == DEPARTMENT_NAMES
    assert names["010102"] == "Asunción" and names["040201"] == "Camaná" and names["0106"] == "Rodríguez de Mendoza"


def test_task_log_lines_are_stamped_in_lima_time():
    from modeling.models import Plan, TaskKind
    from modeling.services.runs import run_now

    plan = Plan.objects.create(budget_pen=1000)  # no model version: the run fails at once
    run = run_now(kind=TaskKind.PLAN, plan=plan)
    assert run.status == "failed" and len(run.log) >= 2
    lima = run.started_at.astimezone(ZoneInfo("America/Lima"))
    allowed = {f"{lima + timedelta(seconds=s):%H:%M:%S}" for s in range(0, 5)}
    stamps = [re.match(r"^(\d\d:\d\d:\d\d) ", line).group(1) for line in run.log]
    assert set(stamps) <= allowed, (stamps, allowed)
    assert f"{run.started_at.astimezone(ZoneInfo('UTC')):%H}" != f"{lima:%H}"
