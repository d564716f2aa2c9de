"""The admin front page's summary: active models (metrics next to baselines) and the
latest computed plan."""
from django import template

from ..admin import metrics_table, worse_than_baseline
from ..models import ModelStatus, ModelVersion, Plan, PlanStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def modeling_overview(context):
    user = context["request"].user
    if not (user.has_perm("modeling.view_modelversion") or user.has_perm("modeling.view_plan")):
        return None
    versions = list(ModelVersion.objects.filter(status=ModelStatus.ACTIVE).select_related("target"))
    plan = (
        Plan.objects.filter(status=PlanStatus.COMPUTED).select_related("model_version__target", "region")
        .order_by("-computed_at", "-id").first()
    )
    return {
        "models": [{"version": v, "table": metrics_table(v), "warning": worse_than_baseline(v)} for v in versions],
        "plan": plan,
        "plan_items": list(plan.items.select_related("community", "intervention_type")[:10]) if plan else [],
    }
