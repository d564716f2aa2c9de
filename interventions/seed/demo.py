"""A deterministic synthetic dataset shaped like Peru, for the demo and the tests.

The 25 departments are real (INEI codes and names, with their real number of provinces
and districts and approximate capital coordinates); everything below them is made up from
a seeded random generator. Every value carries the source ``synthetic-demo``, and one
import batch of that source (the demo's marker, ``demo_marker``) lists every community the
demo wrote, so that real data are never loaded on top of it silently
(``interventions.services.demo``). Running the seed twice writes nothing the second time:
rows are compared before they are written.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from ..choices import NATIONAL_CODE, ImportStatus, InterventionStatus, Level, PartnerKind
from ..models import Community, ImportBatch, IndicatorValue, Intervention, Partner
from .catalogue import ensure_indicators, ensure_intervention_types

__all__ = ["DEMO_SOURCE", "DEMO_NOTE", "DEMO_PARTNERS", "DEMO_MARKER_FILE", "DEPARTMENTS", "DemoSummary",
           "demo_marker", "seed_demo"]

DEMO_SOURCE = "synthetic-demo"
DEMO_MARKER_FILE = "seed_demo"
YEARS = tuple(range(2009, 2025))

# code, name, provinces, districts, population (2017 scale), capital altitude, lat, lon
DEPARTMENTS = (
    ("01", "Amazonas", 7, 84, 425832, 2338, -6.23, -77.87),
    ("02", "Áncash", 20, 166, 1166180, 3073, -9.53, -77.53),
    ("03", "Apurímac", 7, 84, 464583, 2500, -13.63, -72.89),
    ("04", "Arequipa", 8, 109, 1329801, 2429, -16.39, -71.53),
    ("05", "Ayacucho", 11, 119, 711058, 2797, -13.16, -74.23),
    ("06", "Cajamarca", 13, 127, 1540009, 2731, -7.15, -78.51),
    ("07", "Callao", 1, 7, 1053028, 27, -12.06, -77.15),
    ("08", "Cusco", 13, 112, 1338897, 3439, -13.52, -71.98),
    ("09", "Huancavelica", 7, 100, 505495, 3746, -12.79, -74.97),
    ("10", "Huánuco", 11, 84, 878196, 1921, -9.93, -76.24),
    ("11", "Ica", 5, 43, 810214, 432, -14.06, -75.73),
    ("12", "Junín", 9, 124, 1379934, 3294, -12.07, -75.21),
    ("13", "La Libertad", 12, 83, 1928198, 74, -8.10, -79.03),
    ("14", "Lambayeque", 3, 38, 1290617, 28, -6.77, -79.85),
    ("15", "Lima", 10, 171, 10298159, 162, -12.05, -77.03),
    ("16", "Loreto", 8, 53, 1068130, 107, -3.75, -73.24),
    ("17", "Madre de Dios", 3, 11, 146857, 204, -12.59, -69.18),
    ("18", "Moquegua", 3, 20, 186036, 1428, -17.19, -70.93),
    ("19", "Pasco", 3, 29, 310577, 4373, -10.68, -76.26),
    ("20", "Piura", 8, 65, 1887212, 57, -5.15, -80.66),
    ("21", "Puno", 13, 110, 1456990, 3848, -15.84, -70.03),
    ("22", "San Martín", 10, 77, 873591, 895, -6.03, -76.97),
    ("23", "Tacna", 4, 28, 354157, 583, -18.00, -70.25),
    ("24", "Tumbes", 3, 13, 246049, 9, -3.57, -80.46),
    ("25", "Ucayali", 4, 17, 512378, 162, -8.37, -74.54),
)

DEMO_PARTNERS = (
    ("Asociación Salud Andina (demo)", "ASA", PartnerKind.NGO),
    ("Dirección Regional de Salud de ejemplo (demo)", "DIRESA-D", PartnerKind.GOVERNMENT),
    ("Red de Nutrición Infantil (demo)", "RNI", PartnerKind.NGO),
    ("Instituto de Investigación en Salud Pública (demo)", "IISP", PartnerKind.RESEARCH),
)
DEMO_NOTE = "synthetic-demo"


@dataclass
class DemoSummary:
    communities_created: int = 0
    communities_updated: int = 0
    values_created: int = 0
    values_updated: int = 0
    interventions_created: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (self.communities_created, self.communities_updated, self.values_created,
             self.values_updated, self.interventions_created)
        )


def _split(rng, total, parts):
    """Split ``total`` into ``parts`` positive integers."""
    weights = rng.dirichlet(np.full(parts, 2.0))
    counts = np.maximum(1, np.floor(weights * (total - parts)).astype(int) + 1)
    counts[np.argmax(counts)] += total - counts.sum()
    return counts


def _build_communities(rng, departments):
    """Rows for PE, departments, provinces and districts, with latent traits per district."""
    rows = [dict(code=NATIONAL_CODE, name="Perú", level=Level.COUNTRY, parent=None,
                 population=None, altitude_m=None, latitude=-9.19, longitude=-75.02, area_km2=None)]
    districts = []
    for code, name, n_prov, n_dist, population, altitude, lat, lon in departments:
        rows.append(dict(code=code, name=name, level=Level.DEPARTMENT, parent=None,
                         population=None, altitude_m=altitude, latitude=lat, longitude=lon, area_km2=None))
        per_province = _split(rng, n_dist, n_prov)
        dept_pop = _split(rng, population, n_dist)
        dept_poverty = rng.uniform(8, 45) + (12 if altitude > 2500 else 0)
        k = 0
        for p in range(n_prov):
            pcode = f"{code}{p + 1:02d}"
            rows.append(dict(code=pcode, name=f"{name} – provincia {p + 1:02d}", level=Level.PROVINCE,
                             parent=code, population=None, altitude_m=None,
                             latitude=round(float(np.clip(lat + rng.normal(0, 0.4), -18.4, -0.1)), 4),
                             longitude=round(float(np.clip(lon + rng.normal(0, 0.4), -81.3, -68.7)), 4),
                             area_km2=None))
            for d in range(per_province[p]):
                dcode = f"{pcode}{d + 1:02d}"
                alt = int(np.clip(altitude + rng.normal(0, 700), 5, 4800))
                rural = float(np.clip(
                    rng.beta(2, 2) + (0.25 if alt > 3000 else 0) - (0.3 if d == 0 else 0), 0.02, 0.98
                ))
                rows.append(dict(
                    code=dcode, name=f"Distrito {dcode}", level=Level.DISTRICT, parent=pcode,
                    population=int(dept_pop[k]), altitude_m=alt,
                    latitude=round(float(np.clip(lat + rng.normal(0, 0.6), -18.4, -0.1)), 4),
                    longitude=round(float(np.clip(lon + rng.normal(0, 0.6), -81.3, -68.7)), 4),
                    area_km2=round(float(rng.lognormal(5.5, 1.0)), 2),
                ))
                poverty0 = float(np.clip(dept_poverty + 45 * (rural - 0.5) + rng.normal(0, 8), 1, 92))
                districts.append(dict(code=dcode, population=int(dept_pop[k]), altitude=alt, rural=rural,
                                      poverty0=poverty0))
                k += 1
    return rows, districts


def _fill_population(rows):
    """Provinces, departments and the country get the sum of their districts."""
    totals = {}
    for row in rows:
        if row["level"] == Level.DISTRICT:
            for target in (row["code"][:4], row["code"][:2], NATIONAL_CODE):
                totals[target] = totals.get(target, 0) + row["population"]
    for row in rows:
        if row["level"] != Level.DISTRICT:
            row["population"] = totals.get(row["code"])


def _district_values(rng, districts):
    """(code, indicator, year) -> (value, lower, upper, sample_size) for every district."""
    out = {}
    for d in districts:
        rural, alt, pop = d["rural"], d["altitude"], d["population"]
        altitude_km = alt / 1000.0
        water0 = np.clip(92 - 70 * rural + rng.normal(0, 8), 2, 99.5)
        sewer0 = np.clip(water0 - 15 - 30 * rural + rng.normal(0, 6), 0.5, 98)
        elec0 = np.clip(97 - 35 * rural + rng.normal(0, 5), 10, 99.9)
        sis0 = np.clip(35 + 40 * rural + rng.normal(0, 6), 5, 95)
        urban = float(np.clip(100 * (1 - rural) + rng.normal(0, 4), 0, 100))
        under5_share = float(np.clip(0.075 + 0.03 * rural + rng.normal(0, 0.005), 0.05, 0.13))
        child_noise = rng.normal(0, 2.5)
        anaemia_noise = rng.normal(0, 5)
        for year in YEARS:
            t = year - 2009
            covid = 4.0 if year in (2020, 2021) else (2.0 if year >= 2022 else 0.0)
            poverty = float(np.clip(d["poverty0"] * (1 - 0.035 * min(t, 10)) + covid + rng.normal(0, 1.5), 0.5, 95))
            water = float(np.clip(water0 + 1.2 * t + rng.normal(0, 1), 1, 100))
            sewer = float(np.clip(sewer0 + 1.0 * t + rng.normal(0, 1), 0.2, 100))
            elec = float(np.clip(elec0 + 1.0 * t, 5, 100))
            firewood = float(np.clip(8 + 0.55 * poverty + 30 * rural - 0.8 * t + rng.normal(0, 3), 0, 99))
            sis = float(np.clip(sis0 + 2.0 * t + rng.normal(0, 1), 1, 99))
            stunting = float(np.clip(
                4 + 0.32 * poverty + 2.2 * altitude_km - 0.08 * (water - 50) + 6 * rural
                - 0.45 * t + child_noise + rng.normal(0, 2.0), 1, 70))
            anaemia = float(np.clip(
                30 + 0.18 * poverty + 4.0 * altitude_km - 0.4 * t + anaemia_noise + rng.normal(0, 4), 8, 85))
            diarrhoea = float(np.clip(7 + 0.09 * poverty - 0.05 * (water - 50) + rng.normal(0, 1.5), 1, 40))
            population = int(pop * (1 + 0.011 * (year - 2017)))
            under5 = int(population * under5_share)
            measured = int(min(under5, max(5, under5 * 0.35 + rng.normal(0, 5))))
            width = 1.96 * np.sqrt(max(poverty * (100 - poverty), 1) / max(population / 40.0, 10))
            values = {
                "poverty_pct": (poverty, max(0.0, poverty - width), min(100.0, poverty + width), None),
                "stunting_u5_pct": (stunting, None, None, measured),
                "anaemia_6_35m_pct": (anaemia, None, None, max(3, measured // 2)),
                "diarrhoea_u5_pct": (diarrhoea, None, None, measured),
                "water_public_network_pct": (water, None, None, None),
                "sewer_public_network_pct": (sewer, None, None, None),
                "electricity_pct": (elec, None, None, None),
                "firewood_cooking_pct": (firewood, None, None, None),
                "sis_affiliation_pct": (sis, None, None, None),
                "urban_pct": (urban, None, None, None),
                "population": (float(population), None, None, None),
                "population_0_4": (float(under5), None, None, None),
            }
            if year == CENSUS_YEAR:
                values.update(_census_extra(d, poverty, urban))
            for indicator, (v, lo, hi, n) in values.items():
                if indicator.startswith("population"):
                    row = (v, None, None, None)
                else:
                    v = round(v, 1)
                    lo = None if lo is None else min(round(lo, 1), v)
                    hi = None if hi is None else max(round(hi, 1), v)
                    row = (v, lo, hi, n)
                out[(d["code"], indicator, year)] = row
    return out


CENSUS_YEAR = 2017


def _census_extra(d, poverty, urban):
    """The census 2017 shares added later (internet, literacy, education, mother tongue),
    drawn from their own generator so the older demo values stay exactly as they were."""
    rng = np.random.default_rng(int(d["code"]))
    rural, altitude_km = d["rural"], d["altitude"] / 1000.0
    internet = float(np.clip(28 * (1 - rural) - 0.15 * poverty + rng.normal(0, 3), 0, 95))
    literacy = float(np.clip(96 - 0.18 * poverty - 6 * rural + rng.normal(0, 2), 50, 99.5))
    secondary = float(np.clip(75 - 0.45 * poverty - 15 * rural + rng.normal(0, 4), 5, 95))
    native = float(np.clip(8 + 14 * max(altitude_km - 2.0, 0) + 20 * rural + rng.normal(0, 6), 0, 99))
    return {
        "internet_pct": (internet, None, None, None),
        "literacy_pct": (literacy, None, None, None),
        "secondary_education_pct": (secondary, None, None, None),
        "native_language_pct": (native, None, None, None),
    }


def _aggregate(district_values, communities):
    """Province, department and national values: population-weighted means, sums of counts."""
    parent_of = {c["code"]: c["parent"] for c in communities}
    dept_of = lambda code: code[:2]  # noqa: E731
    sums = {}
    for (code, indicator, year), (value, _lo, _hi, n) in district_values.items():
        weight = district_values[(code, "population", year)][0]
        for target in (parent_of[code], dept_of(code), NATIONAL_CODE):
            key = (target, indicator, year)
            acc = sums.setdefault(key, [0.0, 0.0, 0])
            if indicator.startswith("population"):
                acc[0] += value
                acc[1] = 1.0
            else:
                acc[0] += value * weight
                acc[1] += weight
            acc[2] += n or 0
    out = {}
    for key, (total, weight, n) in sums.items():
        indicator = key[1]
        value = total if indicator.startswith("population") else round(total / weight, 1)
        out[key] = (float(value), None, None, n or None)
    return out


def _sync_communities(rows, summary):
    existing = {c.code: c for c in Community.objects.all()}
    fields = ["name", "population", "altitude_m", "latitude", "longitude", "area_km2"]
    for level in (Level.COUNTRY, Level.DEPARTMENT, Level.PROVINCE, Level.DISTRICT):
        to_create, to_update = [], []
        for row in (r for r in rows if r["level"] == level):
            current = existing.get(row["code"])
            if current is None:
                obj = Community(
                    code=row["code"], level=level,
                    parent=existing[row["parent"]] if row["parent"] else None,
                    **{f: row[f] for f in fields},
                )
                to_create.append(obj)
            elif any(getattr(current, f) != row[f] for f in fields):
                for f in fields:
                    setattr(current, f, row[f])
                to_update.append(current)
        Community.objects.bulk_create(to_create, batch_size=2000)
        Community.objects.bulk_update(to_update, fields, batch_size=2000)
        summary.communities_created += len(to_create)
        summary.communities_updated += len(to_update)
        for obj in to_create:
            existing[obj.code] = obj
    return existing


def _sync_values(values, communities, indicators, summary):
    existing = {
        (v.community_id, v.indicator_id, v.year): v
        for v in IndicatorValue.objects.filter(source=DEMO_SOURCE).only(
            "id", "community_id", "indicator_id", "year", "value", "lower", "upper", "sample_size"
        )
    }
    to_create, to_update = [], []
    for (code, indicator, year), (value, lower, upper, n) in values.items():
        community_id = communities[code].id
        indicator_id = indicators[indicator].id
        current = existing.get((community_id, indicator_id, year))
        if current is None:
            to_create.append(IndicatorValue(
                community_id=community_id, indicator_id=indicator_id, year=year, value=value,
                lower=lower, upper=upper, sample_size=n, source=DEMO_SOURCE,
            ))
        elif (current.value, current.lower, current.upper, current.sample_size) != (value, lower, upper, n):
            current.value, current.lower, current.upper, current.sample_size = value, lower, upper, n
            to_update.append(current)
    IndicatorValue.objects.bulk_create(to_create, batch_size=5000)
    IndicatorValue.objects.bulk_update(to_update, ["value", "lower", "upper", "sample_size"], batch_size=5000)
    summary.values_created += len(to_create)
    summary.values_updated += len(to_update)


def _sync_interventions(rng, districts, communities, types, summary):
    partners = {}
    for name, acronym, kind in DEMO_PARTNERS:
        partners[acronym], _ = Partner.objects.get_or_create(name=name, defaults={"acronym": acronym, "kind": kind})
    existing = set(
        Intervention.objects.filter(notes=DEMO_NOTE).values_list(
            "community__code", "intervention_type__code", "partner__acronym", "start_date"
        )
    )
    poorest = sorted(districts, key=lambda d: -d["poverty0"])[: max(10, len(districts) // 6)]
    type_codes = sorted(types)
    statuses = [InterventionStatus.PLANNED, InterventionStatus.ACTIVE, InterventionStatus.COMPLETED,
                InterventionStatus.CANCELLED]
    new = []
    for _i in range(min(80, len(poorest))):
        district = poorest[int(rng.integers(len(poorest)))]
        itype = types[type_codes[int(rng.integers(len(type_codes)))]]
        partner_key = list(partners)[int(rng.integers(len(partners)))]
        start = date(2021 + int(rng.integers(4)), 1 + int(rng.integers(12)), 1)
        status = statuses[int(rng.choice(4, p=[0.35, 0.3, 0.3, 0.05]))]
        beneficiaries = int(max(20, district["population"] * rng.uniform(0.02, 0.12)))
        budget = (itype.cost_per_beneficiary_pen * beneficiaries).quantize(Decimal("0.01"))
        key = (district["code"], itype.code, partner_key, start)
        if key in existing:
            continue
        existing.add(key)
        new.append(Intervention(
            community=communities[district["code"]], intervention_type=itype, partner=partners[partner_key],
            status=status, start_date=start, end_date=date(start.year + 1, start.month, 1),
            budget_pen=budget, beneficiaries=beneficiaries, notes=DEMO_NOTE,
        ))
    for obj in new:
        obj.full_clean()
    Intervention.objects.bulk_create(new)
    summary.interventions_created += len(new)


def demo_marker() -> ImportBatch | None:
    """The import batch that marks the demo's data (None where the demo was never seeded)."""
    return ImportBatch.objects.filter(source=DEMO_SOURCE, file_name=DEMO_MARKER_FILE).order_by("id").first()


def _mark(rows):
    """Record the demo's communities on its marker batch (written only when they change)."""
    marker = demo_marker()
    known = marker.summary.get("communities", []) if marker is not None else []
    codes = sorted({row["code"] for row in rows} | set(known))
    if marker is None:
        ImportBatch.objects.create(source=DEMO_SOURCE, file_name=DEMO_MARKER_FILE, status=ImportStatus.SUCCEEDED,
                                   finished_at=timezone.now(), summary={"demo": True, "communities": codes})
    elif marker.summary.get("communities") != codes:
        marker.summary = {**marker.summary, "demo": True, "communities": codes}
        marker.save(update_fields=["summary"])


@transaction.atomic
def seed_demo(*, seed: int = 2017, departments: int | None = None) -> DemoSummary:
    """Build (or bring up to date) the synthetic demo dataset; returns what changed.

    ``departments`` limits the dataset to the first N departments (for quick tests).
    """
    rng = np.random.default_rng(seed)
    chosen = DEPARTMENTS[:departments] if departments else DEPARTMENTS
    summary = DemoSummary()
    indicators = ensure_indicators()
    types = ensure_intervention_types()
    rows, districts = _build_communities(rng, chosen)
    _fill_population(rows)
    communities = _sync_communities(rows, summary)
    _mark(rows)
    values = _district_values(rng, districts)
    values.update(_aggregate(values, rows))
    _sync_values(values, communities, indicators, summary)
    _sync_interventions(rng, districts, communities, types, summary)
    return summary
