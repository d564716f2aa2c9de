"""The partner rule and the wide pivot as services and selectors: the same rules the API
applies, called directly (the API tests cover them through HTTP)."""
import pytest

from interventions.models import IndicatorValue, Intervention
from interventions.selectors import (
    WideSourceConflict,
    indicator_value_wide_keys,
    indicator_value_wide_rows,
    intervention_list,
)
from interventions.services.interventions import (
    MSG_NOT_YOUR_PARTNER,
    NotYourPartner,
    intervention_create,
    intervention_update,
)
from tests.api_support import *  # noqa: F401,F403


def _data_like(intervention, **changes):
    fields = ("community", "intervention_type", "partner", "status", "start_date", "end_date", "budget_pen",
              "beneficiaries", "notes")
    return {**{name: getattr(intervention, name) for name in fields}, **changes}


def test_partner_writes_only_its_own_organisation(api_data, partner_a_user, editor):
    before = Intervention.objects.count()
    with pytest.raises(NotYourPartner) as refused:
        intervention_create(user=partner_a_user, data=_data_like(api_data.intervention_b))
    assert str(refused.value) == str(MSG_NOT_YOUR_PARTNER % {"own": api_data.partner_a})
    assert str(refused.value).startswith("You act for PA:")
    assert Intervention.objects.count() == before

    mine = intervention_create(user=partner_a_user, data=_data_like(api_data.intervention_a, notes="nueva"))
    assert mine.pk and mine.partner == api_data.partner_a
    with pytest.raises(NotYourPartner):
        intervention_update(user=partner_a_user, intervention=mine, data={"partner": api_data.partner_b})
    mine.refresh_from_db()
    assert mine.partner == api_data.partner_a

    moved = intervention_update(user=editor, intervention=mine, data={"partner": api_data.partner_b})
    moved.refresh_from_db()
    assert moved.partner == api_data.partner_b


def test_intervention_list_scopes_partners(api_data, partner_a_user, editor):
    assert set(intervention_list(user=partner_a_user)) == set(Intervention.objects.filter(partner=api_data.partner_a))
    assert intervention_list(user=editor).count() == Intervention.objects.count()


def test_wide_rows_one_column_per_indicator_and_conflicting_sources_refused(api_data):
    values = IndicatorValue.objects.filter(community__code="010101", year=2020)
    keys, counted = indicator_value_wide_keys(values=values)
    page = list(keys)
    assert counted.count() == len(page) == 1
    (row,) = indicator_value_wide_rows(values=values, keys=page)
    expected = {v.indicator.code: v.value for v in values.select_related("indicator")}
    assert {k: row[k] for k in expected} == expected and row["community"] == "010101" and row["year"] == 2020

    first = values.select_related("indicator").first()
    IndicatorValue.objects.create(community=first.community, indicator=first.indicator, year=2020,
                                  value=first.value, source="otra-fuente")
    with pytest.raises(WideSourceConflict) as conflict:
        indicator_value_wide_rows(values=values, keys=page)
    assert "otra-fuente" in str(conflict.value) and first.indicator.code in str(conflict.value)
