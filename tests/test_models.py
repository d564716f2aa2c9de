"""Bad rows are refused twice: by clean() with a human message, and by the database."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from interventions import models as m
from interventions.choices import Level
from interventions.models import Community, Indicator, IndicatorValue, Intervention, InterventionType, Partner
from interventions.seed.catalogue import ensure_indicators, ensure_intervention_types

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    dep = Community.objects.create(code="05", name="Ayacucho")
    prov = Community.objects.create(code="0501", name="Huamanga")
    dist = Community.objects.create(code="050101", name="Ayacucho")
    return dep, prov, dist


def _db_refuses(obj_or_callable):
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            obj_or_callable()


def test_level_and_parent_follow_from_the_code(tree):
    dep, prov, dist = tree
    assert (dep.level, dep.parent) == (Level.DEPARTMENT, None)
    assert (prov.level, prov.parent) == (Level.PROVINCE, dep)
    assert (dist.level, dist.parent) == (Level.DISTRICT, prov)
    national = Community.objects.create(code="PE", name="Perú")
    assert national.level == Level.COUNTRY and national.parent is None


@pytest.mark.parametrize("code", ["5", "050", "05010", "0501011", "AB", "00", "0001", "05 01", ""])
def test_bad_ubigeo_is_refused_by_clean(code):
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            Community(code=code, name="x").full_clean()
    assert "code" in err.value.message_dict
    assert "is not a UBIGEO code" in " ".join(err.value.message_dict["code"])


def test_bad_ubigeo_is_refused_by_the_database():
    # bulk_create skips save() and clean(): the check constraint is the last line.
    _db_refuses(lambda: Community.objects.bulk_create([Community(code="5A", level=Level.DEPARTMENT, name="x")]))
    _db_refuses(lambda: Community.objects.bulk_create([Community(code="0501", level=Level.DISTRICT, name="x")]))
    _db_refuses(lambda: Community.objects.bulk_create([Community(code="00", level=Level.DEPARTMENT, name="x")]))


def test_missing_parent_is_refused_with_a_message():
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            Community(code="0501", name="Huamanga").full_clean()
    assert err.value.message_dict["code"] == [
        "The department 05 that contains 0501 does not exist yet: create it first."
    ]


def test_wrong_parent_is_refused(tree):
    dep, prov, dist = tree
    other = Community.objects.create(code="06", name="Cajamarca")
    Community.objects.create(code="0601", name="Cajamarca")
    bad = Community(code="050102", name="x", parent=Community.objects.get(code="0601"))
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            bad.full_clean()
    assert err.value.message_dict["code"] == [
        "The parent of 050102 must be 0501 (the first digits of its code), not 0601."
    ]
    assert other.level == Level.DEPARTMENT


def test_coordinates_outside_peru_are_refused_by_the_database(tree):
    _db_refuses(lambda: Community.objects.filter(code="05").update(latitude=40.0))
    _db_refuses(lambda: Community.objects.filter(code="05").update(altitude_m=9000))


def test_value_out_of_range_is_refused_by_clean(tree):
    indicators = ensure_indicators()
    value = IndicatorValue(
        community=tree[2], indicator=indicators["stunting_u5_pct"], year=2020, value=130, source="test"
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            value.full_clean()
    assert err.value.message_dict["value"] == [
        "130 is outside the valid range of stunting_u5_pct (0 to 100 %)."
    ]
    with translation.override("es"):
        with pytest.raises(ValidationError) as err:
            value.full_clean()
    assert err.value.message_dict["value"] == [
        "130 está fuera del rango válido de stunting_u5_pct (de 0 a 100 %)."
    ]


def test_interval_and_uniqueness_are_enforced_by_the_database(tree):
    indicator = ensure_indicators()["poverty_pct"]
    _db_refuses(lambda: IndicatorValue.objects.create(
        community=tree[2], indicator=indicator, year=2018, value=30, lower=35, source="t"))
    _db_refuses(lambda: IndicatorValue.objects.create(
        community=tree[2], indicator=indicator, year=2018, value=30, upper=25, source="t"))
    _db_refuses(lambda: IndicatorValue.objects.create(
        community=tree[2], indicator=indicator, year=1500, value=30, source="t"))
    IndicatorValue.objects.create(community=tree[2], indicator=indicator, year=2018, value=30, source="t")
    _db_refuses(lambda: IndicatorValue.objects.create(
        community=tree[2], indicator=indicator, year=2018, value=31, source="t"))
    # The same key from another source is a different value, kept side by side.
    IndicatorValue.objects.create(community=tree[2], indicator=indicator, year=2018, value=31, source="other")


def test_indicator_range_order(tree):
    with pytest.raises(ValidationError):
        Indicator(code="x_pct", name="x", unit="%", category="health", min_value=10, max_value=5).full_clean()
    _db_refuses(lambda: Indicator.objects.create(
        code="x_pct", name="x", unit="%", category="health", min_value=10, max_value=5
    ))
    _db_refuses(lambda: Indicator.objects.create(code="Bad Code", name="x", unit="%", category="health"))


@pytest.fixture
def intervention_parts(tree):
    types = ensure_intervention_types()
    partner = Partner.objects.create(name="ONG Ejemplo", kind="ngo")
    return tree[2], types["iron_supplementation"], partner


def test_end_before_start_and_negative_budget(intervention_parts):
    community, itype, partner = intervention_parts
    bad = Intervention(community=community, intervention_type=itype, partner=partner,
                       start_date=date(2024, 5, 1), end_date=date(2024, 4, 1), budget_pen=Decimal("-1"))
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            bad.full_clean()
    assert err.value.message_dict["end_date"] == [m.MSG_END_BEFORE_START]
    assert str(m.MSG_NEGATIVE_BUDGET) in err.value.message_dict["budget_pen"]
    _db_refuses(lambda: Intervention.objects.create(
        community=community, intervention_type=itype, partner=partner,
        start_date=date(2024, 5, 1), end_date=date(2024, 4, 1), budget_pen=Decimal("10")))
    _db_refuses(lambda: Intervention.objects.create(
        community=community, intervention_type=itype, partner=partner,
        start_date=date(2024, 5, 1), budget_pen=Decimal("-10")))
    ok = Intervention(community=community, intervention_type=itype, partner=partner,
                      start_date=date(2024, 5, 1), end_date=date(2024, 5, 1), budget_pen=Decimal("0"))
    ok.full_clean()
    ok.save()


def test_intervention_type_effect_and_cost_are_bounded(intervention_parts):
    _community, itype, _partner = intervention_parts
    _db_refuses(lambda: InterventionType.objects.filter(pk=itype.pk).update(effect_relative=1.5))
    _db_refuses(lambda: InterventionType.objects.filter(pk=itype.pk).update(cost_per_beneficiary_pen=Decimal("-1")))


def test_starter_catalogue_is_complete_and_valid():
    types = ensure_intervention_types()
    assert len(types) >= 8
    for itype in types.values():
        itype.full_clean()
        assert itype.evidence and itype.cost_per_beneficiary_pen > 0
    # Staff edits survive a second call.
    InterventionType.objects.filter(code="deworming").update(cost_per_beneficiary_pen=Decimal("7.50"))
    ensure_intervention_types()
    assert InterventionType.objects.get(code="deworming").cost_per_beneficiary_pen == Decimal("7.50")
