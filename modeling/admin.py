"""Admin for the model registry, runs, scores and plans: thin callers of the services."""
from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin
from simple_history.admin import SimpleHistoryAdmin

from healthplanner.jsonlimits import LimitedJSONFormField
from interventions.admin import CommunityDepartmentFilter, PartnerScopeMixin

# Also registers the community page as a planner reads it (scores, plans) over the domain's.
from .admin_district import number, value_text
from .admin_pages import plan_page
from .labels import catalogue_entry_name, method_label
from .models import CommunityScore, ModelVersion, Plan, PlanStatus, TaskKind, TaskRun
from .selectors import plan_list
from .services.charts import budget_curve_svg
from .services.comparison import plan_compare
from .services.constraints import ConstraintError, constraints_clean
from .services.evaluation import BASELINES
from .services.planning import curve_multiples_clean
from .services.runs import run_enqueue
from .services.training import model_version_promote

RUN_PERMISSION = "modeling.run_models"
MSG_QUEUED = _("%(kind)s queued as run %(run)s: follow it under Task runs.")
METRIC_NAMES = (("wmae", _("weighted MAE")), ("rmse", _("RMSE")), ("r2", _("R²")), ("coverage80", _("80% coverage")))
FULL_METRIC_NAMES = (
    ("wmae", _("weighted MAE")), ("rmse", _("RMSE")), ("r2", _("R²")), ("crps", _("CRPS")),
    ("coverage50", _("50% coverage")), ("coverage80", _("80% coverage")), ("coverage95", _("95% coverage")),
    ("winkler80", _("interval score (80%)")),
)
DESIGN_LABELS = {"department": _("Grouped by department (a region with no data)"),
                 "province": _("Grouped by province (a district whose neighbours are measured)")}


def metrics_table(version, table=None, names=METRIC_NAMES):
    """Keras metrics next to every baseline's, best weighted MAE in bold."""
    if table is None:
        table = {"keras": version.metrics or {}, **(version.baselines or {})}
    rows = [("keras", table.get("keras", {}))] + [(b, table.get(b, {})) for b in BASELINES]
    metric_names = names
    best = min((m.get("wmae") for _n, m in rows if m.get("wmae") is not None), default=None)
    header = format_html_join("", "<th>{}</th>", ((label,) for _k, label in metric_names))
    body = format_html_join(
        "", "<tr><td>{}</td>{}</tr>",
        (
            (
                format_html("<strong>{}</strong>", method_label(name)) if m.get("wmae") == best else method_label(name),
                format_html_join("", "<td>{}</td>", ((m.get(k, "—"),) for k, _l in metric_names)),
            )
            for name, m in rows
        ),
    )
    return format_html('<table class="modeling-metrics"><thead><tr><th>{}</th>{}</tr></thead><tbody>{}</tbody></table>',
                       _("method"), header, body)


MSG_PICK_TWO = _("Select exactly two plans to compare.")
MSG_WORSE_SHORT = _("The neural network (Keras) does not beat this baseline.")
MSG_WORSE = _("Version %(id)s (weighted MAE %(wmae)s) does not beat the best baseline, %(baseline)s (%(best)s), on "
              "the same folds: its estimates are no better than a simple method's. Analysts decide whether to keep "
              "it active.")


def worse_than_baseline(version):
    """The warning for a version that does not beat the best baseline, else None."""
    if version.beats_baselines is not False:
        return None
    name, best = version.best_baseline
    return MSG_WORSE % {"id": version.pk, "wmae": version.wmae, "baseline": method_label(name), "best": best}


class PlanForm(forms.ModelForm):
    """Constraints and curve multiples are checked when saved, with the same messages as the API."""

    class Meta:
        model = Plan
        fields = "__all__"

    def clean_constraints(self):
        try:
            return constraints_clean(self.cleaned_data.get("constraints")).as_dict()
        except ConstraintError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_curve_multiples(self):
        try:
            return curve_multiples_clean(self.cleaned_data.get("curve_multiples"))
        except ConstraintError as exc:
            raise forms.ValidationError(str(exc)) from None


def catalogue_table(catalogue):
    """The catalogue entries a plan used, each named in the active language."""
    if not catalogue:
        return "—"
    rows = ((e.get("code", ""), catalogue_entry_name(e), e.get("cost_per_beneficiary_pen", ""),
             e.get("effect_relative", "")) for e in catalogue)  # the evidence is on each type's page
    return format_html(
        '<table class="modeling-catalogue"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
        "</thead><tbody>{}</tbody></table>",
        _("code"), _("name"), _("cost per beneficiary (PEN)"), _("expected relative effect"),
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows))


class RunModelsMixin:
    def has_run_models_permission(self, request):
        return request.user.has_perm(RUN_PERMISSION)


@admin.register(ModelVersion)
class ModelVersionAdmin(RunModelsMixin, ExportActionMixin, admin.ModelAdmin):
    list_display = ("id", "target", "target_year", "status", "cv_wmae", "best_baseline", "created_at")
    list_filter = ("status", "target", "level", "target_year")
    search_fields = ("target__code", "fingerprint", "file_path")
    list_select_related = ("target", "trained_by")
    actions = ["train_now", "score_with_version", "promote"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields] + ["metrics_next_to_baselines",
                                                                       "metrics_per_department"]
    fieldsets = (
        (None, {"fields": ("target", "level", "target_year", "status", "n_rows", "training_seconds")}),
        (_("Held-out metrics (grouped CV)"), {"fields": ("metrics_next_to_baselines",)}),
        (_("Per held-out department"), {"classes": ("collapse",), "fields": ("metrics_per_department",)}),
        (_("Training data and settings"), {"fields": ("features", "fingerprint", "hyperparameters", "file_path")}),
        (_("Record"), {"fields": ("trained_by", "promoted_by", "promoted_at", "created_at", "metrics", "baselines",
                                     "evaluation")}),
    )

    def has_add_permission(self, request):
        return False  # versions come from training only

    @admin.display(description=_("CV weighted MAE"))
    def cv_wmae(self, obj):
        return obj.wmae

    @admin.display(description=_("best baseline"))
    def best_baseline(self, obj):
        best = obj.best_baseline
        if best is None:
            return "—"
        name, wmae = best
        if obj.beats_baselines is False:
            return format_html('<span class="modeling-worse" title="{}">⚠ {} {}</span>', MSG_WORSE_SHORT,
                               method_label(name), wmae)
        return f"{method_label(name)} {wmae}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        warning = worse_than_baseline(version) if version is not None else None
        if warning and request.method == "GET":
            self.message_user(request, warning, level=messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("metrics next to baselines"))
    def metrics_next_to_baselines(self, obj):
        if not obj.evaluation:
            return metrics_table(obj)
        parts = []
        for design, result in obj.evaluation.items():
            parts.append(format_html("<h3>{}</h3>{}", DESIGN_LABELS.get(design, design),
                                     metrics_table(obj, result["metrics"], FULL_METRIC_NAMES)))
            check = result.get("estimate_check") or {}
            if check.get("n"):
                parts.append(format_html(
                    "<p>{}</p>", _("Small-area estimate, held out on %(n)s districts: 80%% interval coverage "
                                   "%(coverage)s; weighted MAE %(estimate)s (model alone %(model)s, measurement "
                                   "alone %(direct)s).") % {
                        "n": check["n"], "coverage": check["coverage80"], "estimate": check["wmae_estimate"],
                        "model": check["wmae_model"], "direct": check["wmae_direct"]}))
        return format_html_join("", "{}", ((p,) for p in parts))

    @admin.display(description=_("metrics per department"))
    def metrics_per_department(self, obj):
        per = ((obj.evaluation or {}).get("department") or {}).get("per_department") or {}
        if not per:
            return "—"
        rows = ((code, d.get("n"), d.get("keras", {}).get("wmae"), d.get("keras", {}).get("crps"),
                 d.get("keras", {}).get("coverage80"),
                 min((d[b]["wmae"] for b in BASELINES if b in d), default="—")) for code, d in sorted(per.items()))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            '<table class="modeling-metrics"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("department"), _("districts"), _("weighted MAE"), _("CRPS"), _("80% coverage"),
            _("best baseline's weighted MAE"), body)

    @admin.action(description=_("Train now (same target, level and year)"), permissions=["run_models"])
    def train_now(self, request, queryset):
        with transaction.atomic():
            for v in queryset.select_related("target"):
                hyper = v.hyperparameters or {}
                run = run_enqueue(kind=TaskKind.TRAIN, user=request.user, params={
                    "target": v.target.code, "level": v.level, "year": v.target_year, "features": v.features,
                    "feature_years": hyper.get("feature_years"), "min_sample_size": hyper.get("min_sample_size"),
                })
                self.message_user(request, MSG_QUEUED % {"kind": _("Training"), "run": run.pk})

    @admin.action(description=_("Score with this version"), permissions=["run_models"])
    def score_with_version(self, request, queryset):
        with transaction.atomic():
            for v in queryset:
                run = run_enqueue(kind=TaskKind.SCORE, model_version=v, user=request.user)
                self.message_user(request, MSG_QUEUED % {"kind": _("Scoring"), "run": run.pk})

    @admin.action(description=_("Promote to active"), permissions=["run_models"])
    def promote(self, request, queryset):
        for v in queryset:
            try:
                model_version_promote(version=v, user=request.user)
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Version %(id)s is now active.") % {"id": v.pk})


@admin.register(TaskRun)
class TaskRunAdmin(ExportActionMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "created_at", "seconds", "model_version", "plan")
    list_filter = ("kind", "status")
    search_fields = ("error", "task_id")
    list_select_related = ("model_version__target", "plan__model_version__target", "user")
    readonly_fields = ("kind", "status", "params", "task_id", "attempts", "created_at", "started_at",
                       "finished_at", "heartbeat_at", "worker", "error", "log_lines", "user", "model_version", "plan")
    exclude = ("log",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("log"))
    def log_lines(self, obj):
        return format_html("<pre>{}</pre>", "\n".join(obj.log_text))


@admin.register(CommunityScore)
class CommunityScoreAdmin(ExportActionMixin, admin.ModelAdmin):
    # The priority first, then what it is made of (rounded); the version is a filter.
    list_display = ("community", "priority_shown", "estimate_shown", "poverty_shown", "burden_shown", "equity_shown",
                    "cost_effectiveness_shown", "year")
    list_filter = ("version", "community__level", CommunityDepartmentFilter)
    search_fields = ("community__code", "community__name")
    list_select_related = ("community", "version__target")
    readonly_fields = [f.name for f in CommunityScore._meta.fields]
    show_full_result_count = False

    @admin.display(description=_("priority"), ordering="priority")
    def priority_shown(self, obj):
        return number(obj.priority, 1)

    @admin.display(description=_("estimate"), ordering="estimate")
    def estimate_shown(self, obj):
        return value_text(obj.estimate if obj.estimate is not None else obj.predicted, obj.version.target.unit)

    @admin.display(description=_("poverty (%)"), ordering="poverty")
    def poverty_shown(self, obj):
        return number(obj.poverty, 1)

    @admin.display(description=_("burden"), ordering="burden_component")
    def burden_shown(self, obj):
        return number(obj.burden_component, 3)

    @admin.display(description=_("equity"), ordering="equity_component")
    def equity_shown(self, obj):
        return number(obj.equity_component, 3)

    @admin.display(description=_("cost-effectiveness"), ordering="cost_effectiveness_component")
    def cost_effectiveness_shown(self, obj):
        return number(obj.cost_effectiveness_component, 3)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(PartnerScopeMixin, RunModelsMixin, ExportActionMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "status", "budget_pen", "total_cost_pen", "cases_averted_shown", "region",
                    "created_at")
    list_filter = ("status", "model_version")
    search_fields = ("name", "region__code", "region__name")
    list_select_related = ("region", "model_version__target", "created_by")
    autocomplete_fields = ("region",)
    filter_horizontal = ("intervention_types",)
    actions = ["compute", "compare_two"]
    form = PlanForm
    formfield_overrides = {models.JSONField: {"form_class": LimitedJSONFormField}}  # deep nesting: a field error
    exclude = ("catalogue",)  # shown as catalogue_used, each name in the reader's language
    readonly_fields = ("status", "fingerprint", "catalogue_used", "total_cost_pen", "total_cases_averted",
                       "cases_averted_lower", "cases_averted_upper", "objective", "budget_curve_chart", "partner",
                       "created_by", "created_at", "computed_at")

    def scope_queryset(self, request, queryset):
        # As the API: a partner's own scenarios and the directorate's plans.
        return plan_list(user=request.user, queryset=queryset)

    def get_urls(self):
        from django.urls import path

        return [path("compare/", self.admin_site.admin_view(self.compare_view), name="modeling_plan_compare"),
                *super().get_urls()]

    def compare_view(self, request):
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import get_object_or_404
        from django.template.response import TemplateResponse

        if not self.has_view_permission(request):
            raise PermissionDenied
        a = get_object_or_404(self.get_queryset(request), pk=request.GET.get("a") or 0)
        b = get_object_or_404(self.get_queryset(request), pk=request.GET.get("b") or 0)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Plans %(a)s and %(b)s side by side") % {"a": a.pk, "b": b.pk},
                   "comparison": plan_compare(a=a, b=b)}
        return TemplateResponse(request, "admin/modeling/plan/compare.html", context)

    @admin.action(description=_("Compare the two selected plans"), permissions=["view"])
    def compare_two(self, request, queryset):
        from django.shortcuts import redirect
        from django.urls import reverse

        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:3])
        if len(ids) != 2:
            self.message_user(request, MSG_PICK_TWO, level=messages.WARNING)
            return None
        return redirect(f"{reverse('admin:modeling_plan_compare')}?a={ids[0]}&b={ids[1]}")

    @admin.display(description=_("cases averted"), ordering="total_cases_averted")
    def cases_averted_shown(self, obj):
        return number(obj.total_cases_averted, 1)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == PlanStatus.COMPUTED:
            return False  # a computed plan is a record: a new plan, or compute it again
        return super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A computed plan: its read-only summary and lines (``admin_pages.plan_page``)."""
        from django.core.exceptions import PermissionDenied

        plan = self.get_object(request, object_id)
        if plan is None or plan.status != PlanStatus.COMPUTED:
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method != "GET" or not self.has_view_permission(request, plan):
            raise PermissionDenied
        return plan_page(self, request, plan)

    @admin.display(description=_("catalogue used"))
    def catalogue_used(self, obj):
        return catalogue_table(obj.catalogue or [])

    @admin.display(description=_("budget curve"))
    def budget_curve_chart(self, obj):
        return budget_curve_svg(obj.curve or []) or "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        run = run_enqueue(kind=TaskKind.PLAN, plan=form.instance, user=request.user)
        self.message_user(request, MSG_QUEUED % {"kind": _("Plan"), "run": run.pk})

    @admin.action(description=_("Compute the plan again"), permissions=["run_models"])
    def compute(self, request, queryset):
        with transaction.atomic():
            for plan in queryset:
                run = run_enqueue(kind=TaskKind.PLAN, plan=plan, user=request.user)
                self.message_user(request, MSG_QUEUED % {"kind": _("Plan"), "run": run.pk})
