"""The community's admin page as a planner reads it, in Spanish: its values by year (a table
and SVG charts), its latest score with its rank and the formula with its numbers, the plan
lines and the partners' interventions there."""
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format

from interventions.models import Community, IndicatorValue, Intervention
from modeling.models import CommunityScore, PlanItem

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def scored(demo_module, django_db_blocker):
    """The small demo, a tiny model's scores and a computed plan (the services users trigger)."""
    from modeling.models import TaskKind
    from modeling.services.planning import plan_compute, plan_create
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS, shared_training

    with django_db_blocker.unblock():
        with shared_training():
            train = run_now(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        assert train.status == "succeeded", train.error
        assert run_now(kind=TaskKind.SCORE, model_version=train.model_version).status == "succeeded"
        plan = plan_create(budget_pen=Decimal("100000"), draws=20)
        plan_compute(plan=plan)
        return plan


def _page(client, user, community):
    client.force_login(user)
    url = reverse("admin:interventions_community_change", args=[community.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    return response.content.decode()


def _section(html, element_id):
    match = re.search(rf'<div class="module" id="{element_id}">(.*?)\n  </div>', html, re.S)
    assert match, element_id
    return match.group(1)


def _es(value, decimals):
    with translation.override("es"):
        return number_format(value, decimals, force_grouping=True)


def test_a_planned_district_shows_its_score_rank_formula_values_and_lines(client, superuser, scored):
    item = PlanItem.objects.filter(plan=scored).select_related("community").order_by("rank").first()
    district = item.community
    html = _page(client, superuser, district)
    score = CommunityScore.objects.get(community=district)
    version_scores = CommunityScore.objects.filter(version=score.version)

    section = _section(html, "district-score")
    assert re.search(r'id="district-priority">\s*' + re.escape(_es(score.priority, 1)) + "<", section)
    rank_peru = sum(s.priority > score.priority for s in version_scores) + 1
    in_department = [s for s in version_scores.select_related("community")
                     if s.community.code.startswith(district.code[:2])]
    rank_department = sum(s.priority > score.priority for s in in_department) + 1
    assert f'id="district-rank-country">{rank_peru} de {version_scores.count()}<' in section
    assert f'id="district-rank-department">{rank_department} de {len(in_department)}<' in section
    assert Community.objects.get(code=district.code[:2]).name in section
    formula = re.search(r'id="district-formula">(.*?)</p>', section).group(1)
    for component in (score.burden_component, score.equity_component, score.cost_effectiveness_component):
        assert f"1 × {_es(component, 3)}" in formula
    assert formula.startswith("prioridad = 100 × (") and formula.endswith(f"÷ 3 = {_es(score.priority, 1)}")

    values = _section(html, "district-values")
    poverty = IndicatorValue.objects.filter(community=district, indicator__code="poverty_pct").order_by("-year")[0]
    assert f"<th class=\"num\">{poverty.year}</th>" in values
    assert f"{_es(poverty.value, 1)} %" in values
    assert '<svg class="district-trend"' in values and values.count('<svg class="district-spark"') >= 10

    lines = _section(html, "district-plan-lines")
    assert reverse("admin:modeling_plan_change", args=[scored.pk]) in lines
    assert _es(item.cost_pen, 2) in lines
    # Nothing unrounded or ungrouped in what the planner reads.
    profile = html[html.index('<div id="district-profile">'):html.index('id="district-interventions"')]
    text = re.sub(r"<[^>]+>", " ", profile)
    assert not re.search(r"\d[.,]\d{4,}", text), re.search(r"\d[.,]\d{4,}", text)
    assert not re.search(r"\b\d{5,}\b", re.sub(r"\b(19|20)\d{2}\b", "", text))


def test_partners_interventions_and_an_unscored_community(client, superuser, scored):
    intervention = Intervention.objects.select_related("community", "partner").order_by("pk").first()
    html = _page(client, superuser, intervention.community)
    section = _section(html, "district-interventions")
    assert reverse("admin:interventions_intervention_change", args=[intervention.pk]) in section
    assert str(intervention.partner) in section

    department = Community.objects.get(code="01")
    html = _page(client, superuser, department)
    assert "Ningún modelo ha puntuado esta comunidad todavía." in _section(html, "district-score")
    assert 'id="district-rank-department"' not in html


def test_each_part_needs_its_own_view_permission(client, django_user_model, scored):
    from django.contrib.auth.models import Permission

    from .conftest import make_user

    reader = make_user(django_user_model, "reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_community"))
    district = PlanItem.objects.filter(plan=scored).order_by("rank").first().community
    html = _page(client, reader, district)
    assert "Ningún modelo ha puntuado esta comunidad todavía." in _section(html, "district-score")
    assert "Ningún plan financia nada aquí." in _section(html, "district-plan-lines")
    assert "district-trend" not in html and '<svg class="district-spark"' in html
