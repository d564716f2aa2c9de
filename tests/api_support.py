"""Small hand-built data and clients for the API tests (models' own save, no fixtures
from files). Import the fixtures into a test module with ``from tests.api_support import *``."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient

from healthplanner.tokens import api_token_create
from interventions import roles
from interventions.choices import IndicatorCategory, InterventionCategory, PartnerKind, TargetGroup
from interventions.models import (
    Community,
    Indicator,
    IndicatorValue,
    Intervention,
    InterventionType,
    Partner,
    PartnerMember,
)
from interventions.seed.catalogue import ensure_indicators

__all__ = [
    "ApiData",
    "api_data",
    "build_api_data",
    "client_for",
    "clear_throttle_cache",
    "make_partner_user",
    "partner_a_user",
    "partner_b_user",
]


@dataclass
class ApiData:
    communities: dict
    indicators: dict
    itype: InterventionType
    spare_type: InterventionType
    spare_indicator: Indicator
    spare_district: Community
    spare_partner: Partner
    partner_a: Partner
    partner_b: Partner
    intervention_a: Intervention
    intervention_b: Intervention
    value: IndicatorValue


def build_api_data() -> ApiData:
    indicators = ensure_indicators({"poverty_pct", "stunting_u5_pct"})
    communities = {}
    for code, name in [
        ("PE", "Perú"), ("01", "Amazonas"), ("0101", "Chachapoyas"), ("010101", "Chachapoyas"),
        ("010102", "Asunción"), ("010103", "Balsas"), ("02", "Áncash"), ("0201", "Huaraz"),
        ("020101", "Huaraz"),
    ]:
        community = Community(code=code, name=name)
        community.save()
        communities[code] = community
    values = []
    for code in ("010101", "010102", "020101", "01"):
        for indicator in indicators.values():
            for year in (2020, 2021):
                value = IndicatorValue(
                    community=communities[code], indicator=indicator, year=year,
                    value=10.0 + year - 2020 + len(code), source="synthetic-demo",
                )
                value.save()
                values.append(value)
    itype = InterventionType(
        code="iron_supplementation", name="Iron supplementation", category=InterventionCategory.NUTRITION,
        indicator=indicators["stunting_u5_pct"], target_group=TargetGroup.CHILDREN_6_35M,
        cost_per_beneficiary_pen=Decimal("30.00"), effect_relative=0.39, evidence="Pasricha 2013",
    )
    itype.save()
    spare_type = InterventionType(
        code="spare_type", name="Spare", category=InterventionCategory.WASH,
        indicator=indicators["poverty_pct"], target_group=TargetGroup.HOUSEHOLDS,
        cost_per_beneficiary_pen=Decimal("5.00"), effect_relative=0.1, evidence="none",
    )
    spare_type.save()
    spare_indicator = Indicator(code="spare_indicator", name="Spare", unit="%", category=IndicatorCategory.HEALTH)
    spare_indicator.save()
    partner_a = Partner(name="Asociación A", acronym="PA", kind=PartnerKind.NGO)
    partner_a.save()
    partner_b = Partner(name="Fundación B", acronym="PB", kind=PartnerKind.NGO)
    partner_b.save()
    spare_partner = Partner(name="Spare partner", kind=PartnerKind.OTHER)
    spare_partner.save()
    intervention_a = Intervention(
        community=communities["010101"], intervention_type=itype, partner=partner_a,
        start_date=date(2024, 3, 1), budget_pen=Decimal("1500.00"), beneficiaries=50, notes="A's",
    )
    intervention_a.save()
    intervention_b = Intervention(
        community=communities["020101"], intervention_type=itype, partner=partner_b,
        start_date=date(2023, 5, 1), budget_pen=Decimal("900.00"), beneficiaries=30, notes="B's",
    )
    intervention_b.save()
    return ApiData(
        communities=communities, indicators=indicators, itype=itype, spare_type=spare_type,
        spare_indicator=spare_indicator, spare_district=communities["010103"],
        spare_partner=spare_partner, partner_a=partner_a, partner_b=partner_b,
        intervention_a=intervention_a, intervention_b=intervention_b, value=values[0],
    )


def make_partner_user(django_user_model, username, partner):
    """A partner's user as the admin makes one: not staff, in Partners, linked to its partner."""
    user = django_user_model.objects.create_user(username=username, password="pw-" + username)
    user.groups.add(Group.objects.get(name=roles.PARTNERS))
    if partner is not None:
        PartnerMember.objects.create(user=user, partner=partner)
    return user


def client_for(user=None, *, token=True):
    """An API client authenticated with a real token (or anonymous for None)."""
    client = APIClient()
    if user is not None:
        if token:
            key = api_token_create(user=user).key
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        else:
            client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_data(db):
    return build_api_data()


@pytest.fixture
def partner_a_user(django_user_model, api_data):
    return make_partner_user(django_user_model, "partner_a", api_data.partner_a)


@pytest.fixture
def partner_b_user(django_user_model, api_data):
    return make_partner_user(django_user_model, "partner_b", api_data.partner_b)
