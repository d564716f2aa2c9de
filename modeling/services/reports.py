"""A computed plan as planners read it: its summary, each line's "why" as the formula with
its numbers, the allocation by department and by type, the provenance (model version and
its metrics, data sources with their import batches, catalogue entries used), and the
same report as an XLSX workbook. The admin's plan page, the printable report and the
downloads are thin callers of these functions; numbers are formatted for reading in
``healthplanner.formatting``."""
from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Min
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from healthplanner import formatting as fmt
from healthplanner.exports import safe_cell
from interventions.models import Community, ImportBatch, Indicator, IndicatorValue, InterventionType

from ..models import CommunityScore, Plan
from ..selectors import plan_line_list
from .charts import allocation_map_svg, budget_curve_svg
from .comparison import poorest_fifth

__all__ = ["TOP_LINES", "line_explanations", "plan_overview", "plan_report", "plan_report_xlsx"]

TOP_LINES = 20
METRICS = (("wmae", _("weighted MAE")), ("rmse", _("RMSE")), ("r2", _("R²")), ("crps", _("CRPS")),
           ("coverage80", _("80 percent interval coverage")))


def _type_names(codes) -> dict[str, str]:
    """Each type's name as the active language gives it (the live catalogue, not the name
    frozen into the plan when it was computed)."""
    return {t.code: str(t.name) for t in InterventionType.objects.filter(code__in=list(codes))}


def _catalogue(plan) -> dict[str, dict]:
    return {entry["code"]: entry for entry in plan.catalogue or []}


def plan_overview(*, plan: Plan) -> dict:
    """Budget, spent, cases averted with the 80 percent interval, the share of the money
    reaching the poorest fifth of districts (by poverty rate) and the model version with
    its held-out metrics."""
    poorest = poorest_fifth(plan.model_version_id) if plan.model_version_id else set()
    spent, to_poorest, lines = Decimal("0"), Decimal("0"), 0
    for community_id, cost in plan.items.values_list("community_id", "cost_pen"):
        spent += cost
        lines += 1
        if community_id in poorest:
            to_poorest += cost
    version = plan.model_version
    metrics = (version.metrics or {}) if version else {}
    return {
        "plan": plan, "budget_pen": plan.budget_pen, "spent_pen": spent, "lines": lines,
        "spent_share": float(spent / plan.budget_pen) if plan.budget_pen else 0.0,
        "cases_averted": plan.total_cases_averted,
        "cases_averted_lower": plan.cases_averted_lower, "cases_averted_upper": plan.cases_averted_upper,
        "share_to_poorest_fifth": float(to_poorest / spent) if spent else 0.0,
        "version": version,
        "target_name": str(version.target.name) if version else "",
        "metrics": [(str(label), metrics[key]) for key, label in METRICS if metrics.get(key) is not None],
        "region_name": plan.region.name if plan.region_id else gettext("Peru (whole country)"),
    }


def line_explanations(*, plan: Plan, lines) -> dict[int, dict]:
    """Each line's "why": cases averted = children reached × affected fraction × effect ×
    estimated prevalence (docs/modeling.md), the cost per case averted and the share of
    resampled predictions that still fund it; the numbers and the sentence that shows them."""
    lines = list(lines)
    catalogue = _catalogue(plan)
    prevalence = {}
    for community_id, estimate, predicted in CommunityScore.objects.filter(
            version_id=plan.model_version_id, community_id__in={line.community_id for line in lines}
    ).values_list("community_id", "estimate", "predicted"):
        prevalence[community_id] = (estimate if estimate is not None else predicted) / 100.0
    out = {}
    for line in lines:
        entry = catalogue.get(line.intervention_type.code, {})
        effect = float(entry.get("effect_relative", line.intervention_type.effect_relative))
        affected = float(entry.get("affected_fraction", 1.0))
        prev = prevalence.get(line.community_id)
        per_case = line.cost_pen / Decimal(str(line.cases_averted)) if line.cases_averted > 0 else None
        numbers = {"children": line.children_reached, "affected": affected, "effect": effect, "prevalence": prev,
                   "cases": line.cases_averted, "cost": line.cost_pen, "per_case": per_case,
                   "probability": line.selection_probability}
        text = gettext("%(children)s children reached × affected fraction %(affected)s × effect %(effect)s × estimated "
                  "prevalence %(prevalence)s = %(cases)s cases averted; %(cost)s ÷ %(cases)s = %(per_case)s per "
                  "case averted; coverage %(before)s → %(after)s; funded in %(probability)s of the resampled "
                  "predictions.") % {
            "children": fmt.number(line.children_reached, 0), "affected": fmt.ratio(affected),
            "effect": fmt.ratio(effect), "prevalence": fmt.share(prev), "cases": fmt.ratio(line.cases_averted),
            "cost": fmt.amount_pen(line.cost_pen), "per_case": fmt.amount_pen(per_case),
            "before": fmt.share(line.coverage_before), "after": fmt.share(line.coverage_after),
            "probability": fmt.share(line.selection_probability),
        }
        out[line.pk] = {"numbers": numbers, "text": text}
    return out


def _allocation(plan, lines) -> tuple[list, list, dict]:
    by_department, by_type, by_district = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for line in lines:
        by_department[line.community.code[:2]] += line.cost_pen
        by_type[line.intervention_type.code] += line.cost_pen
        by_district[line.community_id] += line.cost_pen
    spent = sum(by_department.values(), Decimal("0")) or Decimal("1")
    names = dict(Community.objects.filter(code__in=list(by_department)).values_list("code", "name"))
    types = _type_names(by_type)

    def rows(totals, label):
        return [{"key": key, "name": label(key), "amount": amount, "share": float(amount / spent)}
                for key, amount in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]

    return (rows(by_department, lambda code: names.get(code, code)),
            rows(by_type, lambda code: types.get(code, code)), by_district)


def _data_sources(plan) -> list[dict]:
    """The indicator values the model reads (its target and inputs) in the plan's region,
    by source and import batch."""
    version = plan.model_version
    if version is None:
        return []
    codes = set(Indicator.objects.filter(code__in=[version.target.code, *version.features])
                .values_list("code", flat=True))
    values = IndicatorValue.objects.filter(indicator__code__in=codes)
    if plan.region_id:
        values = values.filter(community__code__startswith=plan.region.code)
    groups = list(values.values("source", "import_batch_id").annotate(
        n=Count("id"), first=Min("year"), last=Max("year")).order_by("source", "import_batch_id"))
    batches = ImportBatch.objects.in_bulk([g["import_batch_id"] for g in groups if g["import_batch_id"]])
    return [{**g, "batch": batches.get(g["import_batch_id"])} for g in groups]


def plan_report(*, plan: Plan) -> dict:
    """Everything the printable report shows."""
    lines = list(plan_line_list(plan=plan))
    by_department, by_type, by_district = _allocation(plan, lines)
    top = lines[:TOP_LINES]
    why = line_explanations(plan=plan, lines=top)
    types = _type_names(entry["code"] for entry in plan.catalogue or [])
    return {
        **plan_overview(plan=plan),
        "map": allocation_map_svg(region=plan.region, allocation=by_district),
        "by_department": by_department, "by_type": by_type,
        "curve": budget_curve_svg(plan.curve or []),
        "curve_points": [p for p in plan.curve or [] if p.get("feasible")],
        "top_lines": [(line, why[line.pk]["text"]) for line in top],
        "sources": _data_sources(plan),
        "catalogue": [{**entry, "label": types.get(entry["code"], entry.get("name", entry["code"]))}
                      for entry in plan.catalogue or []],
    }


def _sheet_rows(sheet, rows, bold_first=False):
    for i, row in enumerate(rows):
        sheet.append([safe_cell(cell) for cell in row])
        if bold_first and i == 0:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)


def plan_report_xlsx(*, plan: Plan) -> bytes:
    """The report as a workbook: a summary sheet (totals, provenance, the allocation by
    department and by type) and a lines sheet (one row per line, with its formula)."""
    report = plan_report(plan=plan)
    book = Workbook()
    summary = book.active
    summary.title = gettext("Summary")[:31]
    version = report["version"]
    rows = [
        [str(plan)],
        [gettext("Region"), report["region_name"]],
        [gettext("Budget (PEN)"), float(report["budget_pen"])],
        [gettext("Spent (PEN)"), float(report["spent_pen"])],
        [gettext("Cases averted"), report["cases_averted"]],
        [gettext("Cases averted, 80 percent interval"), report["cases_averted_lower"], report["cases_averted_upper"]],
        [gettext("Share of spending in the poorest fifth of districts"), report["share_to_poorest_fifth"]],
        [gettext("Lines"), report["lines"]],
        [gettext("Model version"), version.pk if version else None, report["target_name"]],
        *[[label, value] for label, value in report["metrics"]],
        [],
        [gettext("Department"), gettext("Name"), gettext("Amount (PEN)"), gettext("Share")],
        *[[r["key"], r["name"], float(r["amount"]), r["share"]] for r in report["by_department"]],
        [],
        [gettext("Intervention type"), gettext("Name"), gettext("Amount (PEN)"), gettext("Share")],
        *[[r["key"], r["name"], float(r["amount"]), r["share"]] for r in report["by_type"]],
        [],
        [gettext("Data source"), gettext("Import batch"), gettext("File"), gettext("Values"), gettext("Years")],
        *[[s["source"], s["import_batch_id"], s["batch"].file_name if s["batch"] else "", s["n"],
           f"{s['first']}–{s['last']}"] for s in report["sources"]],
    ]
    _sheet_rows(summary, rows)
    summary["A1"].font = Font(bold=True, size=14)
    sheet = book.create_sheet(gettext("Lines")[:31])
    header = [gettext("Rank"), gettext("UBIGEO"), gettext("District"), gettext("Department"),
              gettext("Intervention type"), gettext("Name"),
              gettext("Beneficiaries"), gettext("Children reached"), gettext("Coverage before"),
              gettext("Coverage after"),
              gettext("Cost (PEN)"), gettext("Cases averted"), gettext("Cases averted, 80 percent lower"),
              gettext("Cases averted, 80 percent upper"), gettext("Selection probability"), gettext("Why")]
    lines = list(plan_line_list(plan=plan))
    why = line_explanations(plan=plan, lines=lines)
    departments = {r["key"]: r["name"] for r in report["by_department"]}
    types = {r["key"]: r["name"] for r in report["by_type"]}
    _sheet_rows(sheet, [header, *[
        [line.rank, line.community.code, line.community.name, departments.get(line.community.code[:2], ""),
         line.intervention_type.code, types.get(line.intervention_type.code, ""), line.beneficiaries,
         line.children_reached, line.coverage_before, line.coverage_after, float(line.cost_pen), line.cases_averted,
         line.cases_averted_lower, line.cases_averted_upper, line.selection_probability, why[line.pk]["text"]]
        for line in lines]], bold_first=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
