"""The admin's page for a computed plan: a read-only summary and its lines, 50 a page,
filtered by department and intervention type, each with the formula behind it. A thin
caller of ``modeling.selectors`` and ``modeling.services.reports``."""
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import reverse

from .selectors import plan_line_choices, plan_line_list
from .services.charts import budget_curve_svg
from .services.reports import line_explanations, plan_overview

__all__ = ["PLAN_LINES_PER_PAGE", "plan_page"]

PLAN_LINES_PER_PAGE = 50


def plan_page(model_admin, request, plan):
    choices = plan_line_choices(plan=plan)
    department = request.GET.get("department", "")
    department = department if department in dict(choices["departments"]) else ""
    itype = request.GET.get("type", "")
    itype = itype if itype in dict(choices["types"]) else ""
    lines = plan_line_list(plan=plan, department=department or None, intervention_type=itype or None)
    page = Paginator(lines, PLAN_LINES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    why = line_explanations(plan=plan, lines=rows)
    names = dict(choices["departments"])
    filters = {k: v for k, v in (("department", department), ("type", itype)) if v}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta, "original": plan, "title": str(plan),
        "overview": plan_overview(plan=plan), "curve": budget_curve_svg(plan.curve or []),
        "choices": choices, "department": department, "itype": itype, "page_obj": page,
        "filter_query": urlencode(filters),
        "rows": [{"line": line, "why": why[line.pk]["text"], "department": names.get(line.community.code[:2], ""),
                  "community_url": reverse("admin:interventions_community_change", args=[line.community_id])}
                 for line in rows],
        "report_url": reverse("plan_report", args=[plan.pk]),
        "lines_csv_url": reverse("plan-lines", args=[plan.pk]) + "?" + urlencode(
            {**({"department": department} if department else {}),
             **({"intervention_type": itype} if itype else {}), "format": "csv", "page_size": "all"}),
    }
    return TemplateResponse(request, "admin/modeling/plan/summary.html", context)
