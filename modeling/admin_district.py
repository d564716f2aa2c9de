"""The community's admin page as a planner reads it: its indicator values by year (a table
and small SVG charts drawn here, no JavaScript), its latest score with its rank and the
priority formula with its numbers, the plan lines and the partners' interventions there.
The data come from ``modeling.selectors.district_profile``; this module only presents them.
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from interventions.admin import CommunityAdmin
from interventions.models import Community

from .selectors import district_profile

__all__ = ["DistrictCommunityAdmin", "district_context", "number", "value_text", "sparkline_svg", "trend_svg"]

PERCENT_UNITS = ("%",)
COUNT_UNITS = ("persons", "personas", "households", "hogares", "children", "niños")


def number(value, decimals=1):
    """A number as Peru reads it in the active language (thousands grouped)."""
    if value is None:
        return "—"
    return number_format(value, decimals, force_grouping=True)


def value_text(value, unit):
    """An indicator value with its unit: percentages with one decimal, counts whole,
    anything else with at most two decimals."""
    if value is None:
        return "—"
    if unit in PERCENT_UNITS:
        return f"{number(value, 1)} %"
    if unit in COUNT_UNITS or float(value).is_integer():
        return number(value, 0)
    return number(value, 2)


def _scale(values, low, high):
    lo, hi = min(values), max(values)
    if hi == lo:
        return lambda v: (low + high) / 2
    return lambda v: high - (v - lo) / (hi - lo) * (high - low)


def sparkline_svg(points, unit, width=120, height=28):
    """A tiny line of one indicator over the years (``points``: (year, value) pairs)."""
    if len(points) < 2:
        return ""
    years = [y for y, _v in points]
    x0, x1 = min(years), max(years)
    y_of = _scale([v for _y, v in points], 3, height - 3)

    def x_of(year):
        return 3 + (year - x0) / ((x1 - x0) or 1) * (width - 6)

    line = " ".join(f"{x_of(y):.1f},{y_of(v):.1f}" for y, v in points)
    title = "; ".join(f"{y}: {value_text(v, unit)}" for y, v in points)
    last_year, last = points[-1]
    return format_html(
        '<svg class="district-spark" width="{}" height="{}" role="img" aria-label="{}"><title>{}</title>'
        '<polyline points="{}" fill="none" stroke="#417690" stroke-width="1.5"/>'
        '<circle cx="{}" cy="{}" r="2.5" fill="#417690"/></svg>',
        width, height, title, title, line, f"{x_of(last_year):.1f}", f"{y_of(last):.1f}",
    )


def trend_svg(points, unit, estimate=None, width=560, height=200):
    """The score's target indicator over the years, with the model's estimate and its 80
    percent interval at the scored year (``estimate``: year, value, lower, upper)."""
    all_values = [v for _y, v in points]
    years = [y for y, _v in points]
    if estimate is not None and estimate[1] is not None:
        years.append(estimate[0])
        all_values += [v for v in estimate[1:] if v is not None]
    if not all_values:
        return ""
    pad_left, pad, x0, x1 = 48, 24, min(years), max(years)
    low, high = min(0.0, min(all_values)), max(all_values) * 1.1 or 1.0
    y_of = _scale([low, high], pad, height - pad)

    def x_of(year):
        return pad_left + (year - x0) / ((x1 - x0) or 1) * (width - pad_left - pad)

    line = " ".join(f"{x_of(y):.1f},{y_of(v):.1f}" for y, v in points)
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="#417690"><title>{}</title></circle>',
                            ((f"{x_of(y):.1f}", f"{y_of(v):.1f}", f"{y}: {value_text(v, unit)}") for y, v in points))
    marker = ""
    if estimate is not None and estimate[1] is not None:
        year, value, lower, upper = estimate
        lower = value if lower is None else lower
        upper = value if upper is None else upper
        marker = format_html(
            '<line x1="{x}" x2="{x}" y1="{lo}" y2="{hi}" stroke="#ba2121" stroke-width="2"/>'
            '<rect x="{rx}" y="{ry}" width="8" height="8" fill="#ba2121"><title>{t}</title></rect>',
            x=f"{x_of(year):.1f}", lo=f"{y_of(lower):.1f}", hi=f"{y_of(upper):.1f}", rx=f"{x_of(year) - 4:.1f}",
            ry=f"{y_of(value) - 4:.1f}",
            t=_("Estimate %(year)s: %(value)s (80 percent interval %(lower)s to %(upper)s)") % {
                "year": year, "value": value_text(value, unit), "lower": value_text(lower, unit),
                "upper": value_text(upper, unit)},
        )
    ticks = format_html_join("", '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
                             ((f"{x_of(y):.1f}", height - 6, y) for y in sorted({x0, x1, *[y for y, _v in points]})
                              if len(points) <= 8 or y in (x0, x1)))
    axis = format_html(
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc"/>',
        pad_left - 6, f"{y_of(high) + 4:.1f}", value_text(high, unit), pad_left - 6, f"{y_of(low) + 4:.1f}",
        value_text(low, unit), pad_left, width - pad, f"{y_of(low):.1f}", f"{y_of(low):.1f}")
    polyline = format_html('<polyline points="{}" fill="none" stroke="#417690" stroke-width="2"/>', line) \
        if len(points) > 1 else ""
    return format_html(
        '<svg class="district-trend" width="{}" height="{}" role="img" aria-label="{}">{}{}{}{}{}</svg>',
        width, height, _("Measured values by year (blue) and the model's estimate with its 80 percent interval "
                         "(red)"), axis, ticks, polyline, dots, marker)


def _score_context(profile):
    ranked = profile.score
    if ranked is None:
        return None
    score = ranked.score
    w, total = ranked.weights, ranked.weights_total
    parts = (("burden", score.burden_component), ("equity", score.equity_component),
             ("cost_effectiveness", score.cost_effectiveness_component))
    formula = _("priority = 100 × (%(terms)s) ÷ %(total)s = %(priority)s") % {
        "terms": " + ".join(f"{number(w[k], 0)} × {number(v, 3)}" for k, v in parts),
        "total": number(total, 0), "priority": number(score.priority, 1)}
    best = (ranked.best_type.name, ranked.best_ratio) if ranked.best_type is not None else None
    unit = score.version.target.unit
    estimate = score.estimate if score.estimate is not None else score.predicted
    return {
        "score": score, "ranked": ranked, "formula": formula,
        "priority": number(score.priority, 1),
        "estimate": value_text(estimate, unit),
        "interval": (value_text(score.estimate_lower if score.estimate_lower is not None else score.lower, unit),
                     value_text(score.estimate_upper if score.estimate_upper is not None else score.upper, unit)),
        "observed": value_text(score.observed, unit) if score.observed is not None else None,
        "poverty": value_text(score.poverty, "%") if score.poverty is not None else None,
        "components": [
            (_("burden"), number(score.burden_component, 3),
             _("the estimate (%(estimate)s) ÷ 100") % {"estimate": value_text(estimate, unit)}),
            (_("equity"), number(score.equity_component, 3),
             _("poverty (%(poverty)s) ÷ 100") % {"poverty": value_text(score.poverty, "%")}),
            (_("cost-effectiveness"), number(score.cost_effectiveness_component, 3),
             (_("cases averted per S/ 1,000 with the best type here (%(type)s: %(ratio)s) ÷ the best of any "
                "community under this model") % {"type": best[0], "ratio": number(best[1], 2)}) if best else
             _("cases averted per S/ 1,000 with the best type here ÷ the best of any community under this model")),
        ],
        "version_url": reverse("admin:modeling_modelversion_change", args=[score.version_id]),
        "rank_country": number(ranked.rank_country, 0), "of_country": number(ranked.of_country, 0),
        "rank_department": number(ranked.rank_department, 0) if ranked.rank_department else None,
        "of_department": number(ranked.of_department, 0) if ranked.of_department else None,
    }


TABLE_YEARS = 8  # the table's columns: the latest years (the trend column covers them all)


def district_context(profile):
    """The template's context: every number already formatted for the active language."""
    years = profile.years[-TABLE_YEARS:]
    rows = []
    for row in profile.indicators:
        unit = row["indicator"].unit
        points = [(y, v.value) for y, v in sorted(row["values"].items())]
        rows.append({
            "indicator": row["indicator"], "source": row["source"],
            "cells": [value_text(row["values"][y].value, unit) if y in row["values"] else "" for y in years],
            "spark": sparkline_svg(points, unit),
        })
    score = _score_context(profile)
    trend = ""
    if profile.score is not None:
        s = profile.score.score
        target = s.version.target
        measured = next((r for r in profile.indicators if r["indicator"].pk == target.pk), None)
        points = [(y, v.value) for y, v in sorted(measured["values"].items())] if measured else []
        trend = trend_svg(points, target.unit, (s.year, s.estimate if s.estimate is not None else s.predicted,
                                                s.estimate_lower if s.estimate_lower is not None else s.lower,
                                                s.estimate_upper if s.estimate_upper is not None else s.upper))
    lines = [{
        "item": item, "plan_url": reverse("admin:modeling_plan_change", args=[item.plan_id]),
        "beneficiaries": number(item.beneficiaries, 0), "cost": number(item.cost_pen, 2),
        "cases": number(item.cases_averted, 1), "lower": number(item.cases_averted_lower, 1),
        "upper": number(item.cases_averted_upper, 1),
        "probability": number(100 * item.selection_probability, 1),
    } for item in profile.plan_items]
    interventions = [{
        "obj": i, "url": reverse("admin:interventions_intervention_change", args=[i.pk]),
        "budget": number(i.budget_pen, 2) if i.budget_pen is not None else "—",
        "beneficiaries": number(i.beneficiaries, 0) if i.beneficiaries is not None else "—",
    } for i in profile.interventions]
    years_note = ""
    if len(profile.years) > len(years):
        years_note = ngettext(
            "The table shows the latest year; the trend column covers %(first)s–%(last)s.",
            "The table shows the latest %(count)s years; the trend column covers %(first)s–%(last)s.",
            len(years)) % {"count": len(years), "first": profile.years[0], "last": profile.years[-1]}
    return {"profile": profile, "years": years, "years_note": years_note, "rows": rows, "score": score,
            "trend": trend, "lines": lines, "interventions": interventions}


admin.site.unregister(Community)


@admin.register(Community)
class DistrictCommunityAdmin(CommunityAdmin):
    """The community page with what modeling knows about it (scores, plans) above the form."""

    change_form_template = "admin/modeling/community_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        community = self.get_object(request, object_id)
        if community is not None:
            profile = district_profile(community=community, user=request.user)
            user = request.user  # each part shows only what the user may view anyway
            if not user.has_perm("modeling.view_communityscore"):
                profile.score = None
            if not user.has_perm("modeling.view_plan"):
                profile.plan_items = []
            if not user.has_perm("interventions.view_intervention"):
                profile.interventions = []
            extra_context = {**(extra_context or {}), "district": district_context(profile)}
        return super().change_view(request, object_id, form_url, extra_context)
