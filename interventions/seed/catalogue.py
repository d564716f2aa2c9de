"""The standard indicators and the starter intervention catalogue.

Importers, the demo and the modeling code share these definitions; ``ensure_indicators``
and ``ensure_intervention_types`` create what is missing and never overwrite what staff
have edited. Names and descriptions are given in Spanish (as Peru's programmes and INEI
name them) and in English; both are stored (``name_es``, ``name_en``: see
``interventions/translation.py``). Evidence citations stay as published.
"""
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import transaction

from ..choices import Direction, IndicatorCategory, InterventionCategory, TargetGroup
from ..models import Indicator, InterventionType

__all__ = [
    "STANDARD_INDICATORS",
    "STARTER_INTERVENTION_TYPES",
    "ensure_indicators",
    "ensure_intervention_types",
    "indicator_fields",
    "intervention_type_fields",
]


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name_es: str
    name: str  # in English
    unit: str
    category: str
    direction: str
    min_value: float | None = 0.0
    max_value: float | None = 100.0
    description: str = ""
    description_es: str = ""
    source: str = ""
    unit_es: str = ""  # when it differs from ``unit``


PCT = "%"
WORSE = Direction.HIGHER_IS_WORSE
BETTER = Direction.HIGHER_IS_BETTER
NEUTRAL = Direction.NEUTRAL

STANDARD_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("poverty_pct", "Pobreza monetaria",
                  "Monetary poverty", PCT, IndicatorCategory.POVERTY, WORSE,
                  description_es="Proporción de la población por debajo de la línea de pobreza monetaria.",
                  description="Share of the population below the monetary poverty line.",
                  source="INEI, Mapa de pobreza monetaria"),
    IndicatorSpec("stunting_u5_pct", "Desnutrición crónica en menores de 5 años",
                  "Chronic malnutrition (stunting), children under 5", PCT,
                  IndicatorCategory.NUTRITION, WORSE,
                  description_es=("Talla para la edad por debajo de −2 DE del patrón de la OMS, niñas y niños "
                                  "menores de 5 años."),
                  description="Height-for-age below −2 SD of the WHO standard, children under 5.",
                  source="ENDES (INEI); SIEN-HIS (MINSA/INS)"),
    IndicatorSpec("anaemia_6_35m_pct", "Anemia en niñas y niños de 6 a 35 meses",
                  "Anaemia, children 6–35 months", PCT,
                  IndicatorCategory.NUTRITION, WORSE,
                  description_es=("Hemoglobina por debajo de 11 g/dL ajustada por altitud, niñas y niños de 6 a "
                                  "35 meses."),
                  description="Haemoglobin below 11 g/dL adjusted for altitude, children 6–35 months.",
                  source="ENDES (INEI); SIEN-HIS (MINSA/INS)"),
    IndicatorSpec("diarrhoea_u5_pct", "Enfermedad diarreica aguda en menores de 5 años (últimas dos semanas)",
                  "Acute diarrhoea in the last two weeks, children under 5", PCT,
                  IndicatorCategory.HEALTH, WORSE, source="ENDES (INEI)"),
    IndicatorSpec("water_public_network_pct", "Hogares con agua por red pública",
                  "Households with water from the public network", PCT,
                  IndicatorCategory.WATER_SANITATION, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("sewer_public_network_pct", "Hogares con desagüe por red pública",
                  "Households with sewerage to the public network", PCT,
                  IndicatorCategory.WATER_SANITATION, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("electricity_pct", "Hogares con alumbrado eléctrico",
                  "Households with electricity", PCT,
                  IndicatorCategory.HOUSING, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("firewood_cooking_pct", "Hogares que cocinan con leña",
                  "Households cooking with firewood", PCT,
                  IndicatorCategory.HOUSING, WORSE, source="INEI, Censo 2017"),
    IndicatorSpec("sis_affiliation_pct", "Población afiliada al Seguro Integral de Salud (SIS)",
                  "Population affiliated to the SIS health insurance", PCT,
                  IndicatorCategory.HEALTH_SYSTEM, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("internet_pct", "Hogares con conexión a internet",
                  "Households with an internet connection", PCT,
                  IndicatorCategory.HOUSING, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("literacy_pct", "Población de 3 años a más que sabe leer y escribir",
                  "Population aged 3 and over who can read and write", PCT,
                  IndicatorCategory.DEMOGRAPHY, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("secondary_education_pct", "Población de 3 años a más con educación secundaria o superior",
                  "Population aged 3 and over with secondary education or higher",
                  PCT, IndicatorCategory.DEMOGRAPHY, BETTER, source="INEI, Censo 2017"),
    IndicatorSpec("native_language_pct", "Población con lengua materna originaria",
                  "Population whose mother tongue is a native language", PCT,
                  IndicatorCategory.DEMOGRAPHY, NEUTRAL,
                  description_es="Quechua, aimara, asháninka y las demás lenguas originarias del Perú.",
                  description="Quechua, Aymara, Asháninka and the other native languages of Peru.",
                  source="INEI, Censo 2017"),
    IndicatorSpec("urban_pct", "Población urbana",
                  "Urban population", PCT, IndicatorCategory.DEMOGRAPHY, NEUTRAL,
                  source="INEI, Censo 2017"),
    IndicatorSpec("population", "Población",
                  "Population", "persons", IndicatorCategory.DEMOGRAPHY, NEUTRAL,
                  max_value=None, unit_es="personas", source="INEI, Censo 2017"),
    IndicatorSpec("population_0_4", "Población de 0 a 4 años",
                  "Population aged 0–4", "persons", IndicatorCategory.DEMOGRAPHY,
                  NEUTRAL, max_value=None, unit_es="personas", source="INEI, Censo 2017"),
)


@dataclass(frozen=True)
class InterventionTypeSpec:
    code: str
    name_es: str  # as Peru's programmes (MINSA, MIDIS, PP 1830 …) call it
    name: str  # in English
    category: str
    indicator: str
    target_group: str
    cost_per_beneficiary_pen: str
    effect_relative: float
    evidence: str
    description: str = ""
    description_es: str = ""
    coverage_indicator: str | None = None  # the indicator that measures today's coverage
    default_coverage: float | None = None  # today's coverage where no indicator value exists


_COST_NOTE = (
    "Cost per beneficiary is an illustrative estimate in soles for planning; replace it "
    "with your directorate's unit cost."
)
_COST_NOTE_ES = (
    "El costo por beneficiario es una estimación referencial en soles para planificar; "
    "reemplácelo por el costo unitario de su dirección."
)

STARTER_INTERVENTION_TYPES: tuple[InterventionTypeSpec, ...] = (
    InterventionTypeSpec(
        "iron_supplementation", "Suplementación con hierro",
        "Iron supplementation for young children", InterventionCategory.NUTRITION,
        "anaemia_6_35m_pct", TargetGroup.CHILDREN_6_35M, "30.00", 0.39,
        "Pasricha SR et al. Effect of daily iron supplementation on health in children aged "
        "4–23 months: a systematic review and meta-analysis. Lancet Glob Health 2013;1:e77–86 "
        "(anaemia RR 0.61).",
    ),
    InterventionTypeSpec(
        "micronutrient_powders", "Suplementación con micronutrientes en polvo (multimicronutrientes)",
        "Multiple micronutrient powders (home fortification)",
        InterventionCategory.NUTRITION, "anaemia_6_35m_pct", TargetGroup.CHILDREN_6_35M, "20.00", 0.31,
        "De-Regil LM et al. Home fortification of foods with multiple micronutrient powders for "
        "health and nutrition in children under two years of age. Cochrane Database Syst Rev "
        "2011;(9):CD008959 (anaemia RR 0.69).",
    ),
    InterventionTypeSpec(
        "deworming", "Desparasitación en niñas y niños menores de 5 años",
        "Deworming of pre-school children", InterventionCategory.DISEASE_CONTROL,
        "anaemia_6_35m_pct", TargetGroup.CHILDREN_U5, "5.00", 0.03,
        "Taylor-Robinson DC et al. Deworming drugs for soil-transmitted intestinal worms in "
        "children. Cochrane Database Syst Rev 2019;(9):CD000371 (little or no effect on "
        "haemoglobin at community level; kept small on purpose).",
    ),
    InterventionTypeSpec(
        "growth_monitoring_counselling", "Control de crecimiento y desarrollo (CRED)",
        "Growth monitoring and infant-feeding counselling (CRED)",
        InterventionCategory.NUTRITION, "stunting_u5_pct", TargetGroup.CHILDREN_U5, "120.00", 0.08,
        "Bhutta ZA et al. Evidence-based interventions for improvement of maternal and child "
        "nutrition: what can be done and at what cost? Lancet 2013;382:452–77 (complementary "
        "feeding education, height-for-age).",
    ),
    InterventionTypeSpec(
        "lipid_nutrient_supplements", "Suplementos nutricionales a base de lípidos",
        "Small-quantity lipid-based nutrient supplements",
        InterventionCategory.NUTRITION, "stunting_u5_pct", TargetGroup.CHILDREN_6_35M, "160.00", 0.12,
        "Dewey KG et al. Small-quantity lipid-based nutrient supplements for the prevention of "
        "child malnutrition and promotion of healthy development: overview of individual "
        "participant data meta-analysis. Am J Clin Nutr 2021;114(Suppl 1):3S–14S (stunting "
        "prevalence ratio 0.88).",
    ),
    InterventionTypeSpec(
        "maternal_nutrition_counselling", "Consejería nutricional y suplementación de la gestante",
        "Maternal nutrition counselling and supplementation",
        InterventionCategory.NUTRITION, "stunting_u5_pct", TargetGroup.PREGNANT_WOMEN, "90.00", 0.05,
        "Bhutta ZA et al. Lancet 2013;382:452–77; Ota E et al. Antenatal dietary education and "
        "supplementation to increase energy and protein intake. Cochrane Database Syst Rev "
        "2015;(6):CD000032.",
    ),
    InterventionTypeSpec(
        "safe_water", "Agua segura / cloración",
        "Safe drinking water connection and household treatment",
        InterventionCategory.WASH, "stunting_u5_pct", TargetGroup.HOUSEHOLDS, "900.00", 0.04,
        "Dangour AD et al. Interventions to improve water quality and supply, sanitation and "
        "hygiene practices, and their effects on the nutritional status of children. Cochrane "
        "Database Syst Rev 2013;(8):CD009382 (small gains in height-for-age).",
        coverage_indicator="water_public_network_pct",
    ),
    InterventionTypeSpec(
        "sanitation", "Saneamiento básico en la vivienda (letrina mejorada o conexión a desagüe)",
        "Household sanitation (improved latrine or sewer connection)",
        InterventionCategory.WASH, "stunting_u5_pct", TargetGroup.HOUSEHOLDS, "1500.00", 0.03,
        "Dangour AD et al. Cochrane 2013;(8):CD009382; Humphrey JH et al. SHINE trial, Lancet "
        "Glob Health 2019;7:e132–47 (no effect alone: kept small on purpose).",
        coverage_indicator="sewer_public_network_pct",
    ),
    InterventionTypeSpec(
        "community_health_workers", "Visitas domiciliarias de agentes comunitarios de salud",
        "Community health workers' home visits",
        InterventionCategory.HEALTH_SYSTEM, "stunting_u5_pct", TargetGroup.CHILDREN_U5, "200.00", 0.06,
        "Lassi ZS, Bhutta ZA. Community-based intervention packages for reducing maternal and "
        "neonatal morbidity and mortality and improving neonatal outcomes. Cochrane Database "
        "Syst Rev 2015;(3):CD007754; Bhutta ZA et al. Lancet 2013;382:452–77.",
    ),
    InterventionTypeSpec(
        "rotavirus_vaccination", "Vacunación contra rotavirus",
        "Rotavirus vaccination campaign", InterventionCategory.IMMUNIZATION,
        "diarrhoea_u5_pct", TargetGroup.CHILDREN_U5, "60.00", 0.15,
        "Soares-Weiser K et al. Vaccines for preventing rotavirus diarrhoea: vaccines in use. "
        "Cochrane Database Syst Rev 2019;(10):CD008521 (all-cause severe diarrhoea reduced; "
        "effect on any diarrhoea kept conservative).",
    ),
    InterventionTypeSpec(
        "handwashing_promotion", "Promoción del lavado de manos con jabón",
        "Hand-washing with soap promotion", InterventionCategory.WASH,
        "diarrhoea_u5_pct", TargetGroup.HOUSEHOLDS, "45.00", 0.30,
        "Ejemot-Nwadiaro RI et al. Hand-washing promotion for preventing diarrhoea. Cochrane "
        "Database Syst Rev 2021;(1):CD004265 (about 30% fewer episodes in communities).",
    ),
)


def indicator_fields(spec: IndicatorSpec) -> dict:
    """An indicator's model fields, both languages, from its spec."""
    fields = asdict(spec)
    for key in ("name", "name_es", "description", "description_es", "unit", "unit_es"):
        fields.pop(key)
    name_es, description_es, unit_es = spec.name_es, spec.description_es, spec.unit_es
    return {**fields, "name_es": name_es, "name_en": spec.name,
            "description_es": description_es or spec.description,
            "description_en": spec.description, "unit_es": unit_es or spec.unit,
            "unit_en": spec.unit}


def intervention_type_fields(spec: InterventionTypeSpec) -> dict:
    """An intervention type's own fields, both languages, from its spec (not its indicators)."""
    fields = asdict(spec)
    for key in ("name", "name_es", "description", "description_es"):
        fields.pop(key)
    name_es = spec.name_es
    description_en = spec.description or _COST_NOTE
    description_es = spec.description_es or (_COST_NOTE_ES if not spec.description else spec.description)
    return {**fields, "name_es": name_es, "name_en": spec.name,
            "description_es": description_es, "description_en": description_en,
            "cost_per_beneficiary_pen": Decimal(spec.cost_per_beneficiary_pen)}


@transaction.atomic
def ensure_indicators(codes=None) -> dict[str, Indicator]:
    """Create the standard indicators that do not exist yet; return all by code."""
    specs = [s for s in STANDARD_INDICATORS if codes is None or s.code in codes]
    existing = {i.code: i for i in Indicator.objects.filter(code__in=[s.code for s in specs])}
    for spec in specs:
        if spec.code not in existing:
            indicator = Indicator(**indicator_fields(spec))
            indicator.full_clean()
            indicator.save()
            existing[spec.code] = indicator
    return existing


@transaction.atomic
def ensure_intervention_types() -> dict[str, InterventionType]:
    """Create the starter catalogue entries that do not exist yet (staff edits stay)."""
    indicators = ensure_indicators({s.indicator for s in STARTER_INTERVENTION_TYPES}
                                   | {s.coverage_indicator for s in STARTER_INTERVENTION_TYPES if s.coverage_indicator})
    existing = {t.code: t for t in InterventionType.objects.all()}
    for spec in STARTER_INTERVENTION_TYPES:
        if spec.code in existing:
            continue
        fields = intervention_type_fields(spec)
        fields["indicator"] = indicators[spec.indicator]
        fields["coverage_indicator"] = indicators[spec.coverage_indicator] if spec.coverage_indicator else None
        item = InterventionType(**fields)
        item.full_clean()
        item.save()
        existing[spec.code] = item
    return existing
