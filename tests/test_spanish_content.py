"""Spanish content, not only the chrome (issue 12): catalogue names, plan reasons, task logs,
default plan names, method and level labels, roles and the task queue's admin are shown in
the active language; the API answers in the language asked for."""
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from healthplanner import roles
from healthplanner.i18n import localize, render
from interventions.choices import Level
from interventions.models import Community, Indicator, InterventionType
from interventions.seed.catalogue import STANDARD_INDICATORS, STARTER_INTERVENTION_TYPES
from modeling.messages import LOG_FOLD, LOG_PLAN_DONE, REASON
from modeling.models import ModelVersion, Plan, PlanItem, TaskRun
from tests.api_support import client_for
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# English a Spanish page must not show: the starter catalogue's English names, the stored
# messages' English words, the method codes and the roles' and the task queue's old names.
ENGLISH_NAMES = sorted({s.name for s in (*STANDARD_INDICATORS, *STARTER_INTERVENTION_TYPES) if s.name != s.name_es}
                       - {"Population"})  # «Población» contains no English; "Population" is also a column word
ENGLISH_MESSAGES = [
    "cases averted per 1,000 PEN", "resampled predictions", "estimated ", "poverty ", "attempt 1 in process",
    "final ensemble", "is now active", "stays a candidate", "scored ", "seconds per method", "test departments",
    "frame: ", "lines, ",
]
# Method codes: shown by their labels (a model version's raw metrics record keeps them as keys).
METHOD_CODES = ["ridge_poverty", "gradient_boosting", "random_forest", "ridge_all"]
ENGLISH_CHROME = ["Analysts", "Editors", "Partners", "Django Q", "Successful tasks", "Failed tasks",
                  "Scheduled tasks", "Queued tasks"]


@pytest.fixture(scope="module")
def computed(demo_module, django_db_blocker):
    """The small demo, a tiny trained and scored model, a plan computed by the services with
    the pipeline's default (empty) name, all written while English is active (so every stored
    message is stored in English)."""
    from modeling.models import TaskKind
    from modeling.services.planning import plan_create
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS, shared_training

    with django_db_blocker.unblock(), translation.override("en"):
        with shared_training():
            train = run_now(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        assert train.status == "succeeded", train.error
        score = run_now(kind=TaskKind.SCORE, model_version=train.model_version)
        assert score.status == "succeeded", score.error
        plan = plan_create(budget_pen=Decimal("100000"), draws=20)
        run = run_now(kind=TaskKind.PLAN, plan=plan)
        assert run.status == "succeeded", run.error
    return {"train": train.pk, "score": score.pk, "plan": plan.pk, "plan_run": run.pk,
            "version": train.model_version_id}


def _page(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _english_in(page, codes=True):
    strings = (*ENGLISH_NAMES, *ENGLISH_MESSAGES, *ENGLISH_CHROME, *(METHOD_CODES if codes else ()))
    return [s for s in strings if s in page]


def test_admin_pages_show_no_english_content_in_spanish(client, superuser, computed):
    client.force_login(superuser)
    plan = Plan.objects.get(pk=computed["plan"])
    assert plan.items.exists()
    # Stored in English (computed with English active) ...
    assert "cases averted per 1,000 PEN" in plan.items.first().reason
    assert any("final ensemble" in line for line in TaskRun.objects.get(pk=computed["train"]).log)
    urls = {
        "indicators": reverse("admin:interventions_indicator_changelist"),
        "intervention types": reverse("admin:interventions_interventiontype_changelist"),
        "plans": reverse("admin:modeling_plan_changelist"),
        "plan": reverse("admin:modeling_plan_change", args=[plan.pk]),
        "task runs": reverse("admin:modeling_taskrun_changelist"),
        "training run": reverse("admin:modeling_taskrun_change", args=[computed["train"]]),
        "scoring run": reverse("admin:modeling_taskrun_change", args=[computed["score"]]),
        "plan run": reverse("admin:modeling_taskrun_change", args=[computed["plan_run"]]),
        "model version": reverse("admin:modeling_modelversion_change", args=[computed["version"]]),
        "groups": reverse("admin:auth_group_changelist"),
        "index": reverse("admin:index"),
    }
    pages = {name: _page(client, url, "es") for name, url in urls.items()}
    found = {name: _english_in(page, codes=name != "model version") for name, page in pages.items()}
    assert not any(found.values()), found
    # ... shown in Spanish.
    assert "Desnutrición crónica en menores de 5 años" in pages["indicators"]
    assert "Control de crecimiento y desarrollo (CRED)" in pages["intervention types"]
    assert "Agua segura / cloración" in pages["intervention types"]
    assert "casos evitados" in pages["plan"]  # each line's formula (modeling/services/reports.py)
    assert "predicciones remuestreadas" in pages["plan"]
    assert "Desnutrición crónica en menores de 5 años · S/ 100" in pages["plans"]  # the default name
    assert "conjunto final" in pages["training run"] and "segundos por método" in pages["training run"]
    assert "Regresión ridge (solo pobreza)" in pages["training run"]
    assert "comunidades puntuadas" in pages["scoring run"] and "líneas" in pages["plan run"]
    assert "Regresión ridge (solo pobreza)" in pages["model version"]
    assert "Red neuronal (Keras)" in pages["model version"]
    assert all(name in pages["groups"] for name in ("Analistas", "Editores", "Socios"))
    assert "Cola de tareas" in pages["index"] and "Tareas exitosas" in pages["index"]
    # The same pages in English are in English.
    page = _page(client, urls["plan"], "en")
    assert "cases averted" in page and "casos evitados" not in page
    page = _page(client, urls["intervention types"], "en")
    assert "Growth monitoring and infant-feeding counselling (CRED)" in page and "Agua segura" not in page
    page = _page(client, urls["training run"], "en")
    assert "Ridge regression (poverty only)" in page and "conjunto final" not in page


def test_the_admin_edits_both_languages(client, superuser, computed):
    client.force_login(superuser)
    itype = InterventionType.objects.get(code="safe_water")
    page = _page(client, reverse("admin:interventions_interventiontype_change", args=[itype.pk]), "es")
    assert 'name="name_es"' in page and 'name="name_en"' in page
    assert 'name="description_es"' in page and 'name="description_en"' in page
    page = _page(client, reverse("admin:interventions_indicator_change", args=[itype.indicator_id]), "es")
    assert 'name="name_es"' in page and 'name="name_en"' in page and 'name="unit_es"' in page


def test_api_names_and_messages_in_the_language_asked_for(computed):
    user = make_user(global_apps.get_model("auth", "User"), "reader", groups=[roles.ANALYSTS])
    client = client_for(user)
    itype = InterventionType.objects.get(code="growth_monitoring_counselling")
    url = f"/api/v1/intervention-types/{itype.pk}/"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["name"] == "Control de crecimiento y desarrollo (CRED)"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["name"] == (
        "Growth monitoring and infant-feeding counselling (CRED)")
    url = f"/api/v1/indicators/{itype.indicator_id}/"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["name"] == "Desnutrición crónica en menores de 5 años"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["name"] == (
        "Chronic malnutrition (stunting), children under 5")

    url = f"/api/v1/plans/{computed['plan']}/"
    spanish, english = (client.get(url, HTTP_ACCEPT_LANGUAGE=lang).json() for lang in ("es", "en"))
    assert spanish["name"].startswith("Desnutrición crónica en menores de 5 años · S/ 100")
    assert english["name"] == "Chronic malnutrition (stunting), children under 5 · S/ 100,000"
    assert "predicciones remuestreadas" in spanish["items"][0]["reason"]
    assert "resampled predictions" in english["items"][0]["reason"]
    assert spanish["items"][0]["reason"].split(":")[0] == english["items"][0]["reason"].split(":")[0]

    url = f"/api/v1/tasks/{computed['train']}/"
    spanish, english = (client.get(url, HTTP_ACCEPT_LANGUAGE=lang).json() for lang in ("es", "en"))
    assert any("conjunto final" in line for line in spanish["log"])
    assert not any(s in line for line in spanish["log"] for s in ENGLISH_MESSAGES)
    assert any("final ensemble" in line for line in english["log"])


def test_stored_messages_are_shown_in_the_active_language_whichever_they_were_stored_in():
    params = {"community": "San Juan: Bautista", "pred": 30.0, "lo": 21.5, "hi": 38.25, "pov": 61.0, "per": 2.5,
              "prob": 95.0}
    with translation.override("es"):
        spanish = render(REASON, params)
    with translation.override("en"):
        english = render(REASON, params)
        assert localize(spanish) == english
    with translation.override("es"):
        assert localize(english) == spanish
        assert spanish.startswith("San Juan: Bautista: estimación 30,0% (80%: 21,5–38,3), pobreza 61%; 2,50 casos")
        # Reasons stored with the decimal point of an older version are shown with Peru's comma.
        assert localize(spanish.replace("30,0", "30.0").replace("2,50", "2.50")) == spanish
        # Reasons stored before "predicted" became "estimated" are recognised too.
        old = english.replace(": estimated ", ": predicted ")
        assert localize(old) == spanish
        # A log line keeps its time stamp; the design code is shown by its label.
        with translation.override("en"):
            line = "09:15:02 " + render(LOG_FOLD, {"design": "province", "fold": 2, "folds": 3,
                                                    "departments": "01, 05", "epochs": 12})
        assert localize(line) == ("09:15:02 VC agrupada por provincia, partición 2/3: departamentos de prueba 01, 05; "
                                  "la red neuronal se detuvo tras 12 épocas")
        assert english.startswith("San Juan: Bautista: estimated 30.0% (80%: 21.5–38.3), poverty 61%; 2.50 cases")
        # Amounts in a log line: thousands grouped, two decimals, in either language.
        with translation.override("en"):
            done = render(LOG_PLAN_DONE, {"plan": 4, "lines": 1370, "cost": Decimal("1999998.12"),
                                          "budget": Decimal("2000000"), "cases": 22.869077, "lo": 10.04, "hi": 35.5})
            assert done == "plan 4: 1,370 lines, 1,999,998.12 PEN of 2,000,000.00, 22.9 cases averted (80%: 10.0–35.5)"
        assert "1\xa0999\xa0998,12" in localize(done) and "22,9" in localize(done)
        # Text that is no registered message is shown as it is.
        assert localize("Nota escrita a mano") == "Nota escrita a mano"


def test_plan_names_by_target_and_budget_in_the_active_language(computed):
    plan = Plan.objects.select_related("model_version__target").get(pk=computed["plan"])
    assert plan.name == ""
    with translation.override("es"):
        assert str(plan) == "Desnutrición crónica en menores de 5 años · S/ 100\xa0000"
    with translation.override("en"):
        assert str(plan) == "Chronic malnutrition (stunting), children under 5 · S/ 100,000"
        # The name the pipeline used to store is shown the same way; a name of one's own stays.
        plan.name = "stunting_u5_pct 100000.00 PEN"
        assert str(plan) == "Chronic malnutrition (stunting), children under 5 · S/ 100,000"
        plan.name = "Plan regional 2027"
        assert str(plan) == "Plan regional 2027"
    assert PlanItem.objects.filter(plan=plan).exists()


def test_level_named_by_its_label_in_messages(computed):
    from modeling.services.whatif import NoActiveModel, active_version_for

    department = Community.objects.filter(level=Level.DEPARTMENT).first()
    assert not ModelVersion.objects.filter(level=Level.DEPARTMENT).exists()
    with translation.override("es"), pytest.raises(NoActiveModel) as raised:
        active_version_for(community=department)
    assert "en el nivel departamento" in str(raised.value) and "department" not in str(raised.value)


def test_catalogue_rows_hold_both_languages_and_the_original_column_is_spanish(computed):
    with translation.override("en"):
        indicator = Indicator.objects.get(code="anaemia_6_35m_pct")
        assert indicator.name == "Anaemia, children 6–35 months"
        indicator.description = "Edited in English."
        indicator.save()
    indicator = Indicator.objects.get(code="anaemia_6_35m_pct")
    assert indicator.name_es == "Anemia en niñas y niños de 6 a 35 meses"
    assert indicator.description_en == "Edited in English."
    assert indicator.description_es.startswith("Hemoglobina por debajo de 11 g/dL")
    population = Indicator.objects.get(code="population")
    with translation.override("es"):
        assert str(population) == "Población (personas)"
    with translation.override("en"):
        assert str(population) == "Population (persons)"
    # The reporting views read the original column: Spanish whatever language saved it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, description FROM interventions_indicator WHERE code = %s", ["anaemia_6_35m_pct"])
        assert cursor.fetchone()[0] == "Anemia en niñas y niños de 6 a 35 meses"


def test_role_names_migration_renames_or_merges_the_english_groups(django_user_model):
    migration = importlib.import_module("interventions.migrations.0009_spanish_role_names")
    assert roles.ROLES == ("Editores", "Analistas", "Socios")
    # Renamed: a database that only has the English group.
    Group.objects.filter(name=roles.PARTNERS).delete()
    partners = Group.objects.create(name="Partners")
    permission = Permission.objects.get(codename="view_plan")
    partners.permissions.add(permission)
    member = make_user(django_user_model, "socia", staff=False)
    member.groups.add(partners)
    # Merged: a database that has both (the Spanish one made by hand).
    editors = Group.objects.create(name="Editors")
    editor = make_user(django_user_model, "editora")
    editor.groups.add(editors)

    migration.to_spanish(global_apps, None)

    assert not Group.objects.filter(name__in=["Partners", "Editors", "Analysts"]).exists()
    socios = Group.objects.get(name=roles.PARTNERS)
    assert socios.pk == partners.pk and member in socios.user_set.all() and permission in socios.permissions.all()
    assert editor.groups.filter(name=roles.EDITORS).exists()
    # And back.
    migration.to_english(global_apps, None)
    assert set(Group.objects.values_list("name", flat=True)) >= {"Partners", "Editors", "Analysts"}


def test_every_plural_message_has_each_spanish_plural_form():
    """Spanish has three plural forms in the catalogue's header (one, many, other): a
    message with fewer falls back to English for the missing counts (``0 files refused``)."""
    import gettext as gnu
    from pathlib import Path

    from django.conf import settings

    with open(Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gnu.GNUTranslations(mo)
    forms = int(re.search(r"nplurals=(\d+)", catalogue._info["plural-forms"]).group(1))
    plurals = {key[0] for key in catalogue._catalog if isinstance(key, tuple)}
    assert plurals, "the Spanish catalogue has no plural message"
    short = sorted(m for m in plurals if any((m, i) not in catalogue._catalog for i in range(forms)))
    assert not short, f"plural messages without all {forms} Spanish forms: {short}"
    with translation.override("es"):
        assert ngettext("%(count)s file refused", "%(count)s files refused", 0) == "%(count)s archivos rechazados"
