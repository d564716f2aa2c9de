"""Pages outside the admin: the printable plan report (HTML for A4, or ``?format=xlsx``).
Thin callers of ``modeling.services.reports``; staff login, ``modeling.view_plan`` and the
plans the account may see (``plan_list``)."""
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import PlanStatus
from .selectors import plan_list
from .services.reports import plan_report, plan_report_xlsx

__all__ = ["XLSX_CONTENT_TYPE", "plan_report_view"]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_member_required
def plan_report_view(request, pk):
    if not request.user.has_perm("modeling.view_plan"):
        raise PermissionDenied
    queryset = plan_list(user=request.user).select_related("region", "model_version__target")
    plan = get_object_or_404(queryset, pk=pk, status=PlanStatus.COMPUTED)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(plan_report_xlsx(plan=plan), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}-report.xlsx"'
        return response
    return render(request, "modeling/plan_report.html", plan_report(plan=plan))
