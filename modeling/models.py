"""Model registry, task runs, community scores and budget plans."""
import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthplanner.i18n import localize
from interventions.choices import Level

__all__ = [
    "ModelStatus",
    "TaskKind",
    "TaskStatus",
    "PlanStatus",
    "ModelVersion",
    "TaskRun",
    "CommunityScore",
    "Plan",
    "PlanItem",
]


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", _("candidate")
    ACTIVE = "active", _("active")
    RETIRED = "retired", _("retired")


class TaskKind(models.TextChoices):
    TRAIN = "train", _("train")
    SCORE = "score", _("score")
    PLAN = "plan", _("plan")


class TaskStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft (not computed yet)")
    COMPUTED = "computed", _("computed")
    FAILED = "failed", _("failed")


class ModelVersion(models.Model):
    target = models.ForeignKey(
        "interventions.Indicator", verbose_name=_("target indicator"), on_delete=models.PROTECT,
        related_name="model_versions",
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.DISTRICT)
    target_year = models.PositiveSmallIntegerField(_("target year"))
    features = models.JSONField(_("features"), default=list)
    fingerprint = models.CharField(_("data fingerprint"), max_length=64)
    n_rows = models.PositiveIntegerField(_("training rows"), default=0)
    hyperparameters = models.JSONField(_("hyper-parameters"), default=dict, blank=True)
    metrics = models.JSONField(
        _("metrics (grouped CV)"), default=dict, blank=True,
        help_text=_("Keras model, department-grouped CV: weighted MAE, RMSE, R², CRPS, interval coverage at "
                    "50/80/95 percent and the 80 percent interval (Winkler) score."),
    )
    baselines = models.JSONField(
        _("baselines (same folds)"), default=dict, blank=True,
        help_text=_("The same metrics for each baseline on the same folds."),
    )
    evaluation = models.JSONField(
        _("evaluation (both designs)"), default=dict, blank=True,
        help_text=_("For each CV design (department-grouped, province-grouped): every method's metrics, the "
                    "folds, the metrics per department and the held-out check of the small-area estimate."),
    )
    training_seconds = models.FloatField(_("training seconds"), null=True, blank=True)
    file_path = models.CharField(
        _("model file"), max_length=255, blank=True,
        help_text=_("Path of the .keras file relative to the model files folder."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE
    )
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("trained by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("promoted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-created_at", "-id"]
        permissions = [("run_models", _("Can train, score and plan with models"))]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "level"], condition=models.Q(status="active"),
                name="modelversion_one_active_per_target_level",
            )
        ]

    def __str__(self):
        return f"v{self.pk} {self.target.code} {self.level} {self.target_year} ({self.get_status_display()})"

    @property
    def wmae(self):
        return (self.metrics or {}).get("wmae")

    @property
    def best_baseline(self) -> tuple[str, float] | None:
        """The baseline with the lowest held-out weighted MAE on the same folds: (name, wMAE)."""
        scored = [(m["wmae"], name) for name, m in (self.baselines or {}).items() if m.get("wmae") is not None]
        if not scored:
            return None
        wmae, name = min(scored)
        return name, wmae

    @property
    def beats_baselines(self) -> bool | None:
        """True when the Keras ensemble's held-out wMAE is below every baseline's; None when
        there is nothing to compare."""
        best = self.best_baseline
        if best is None or self.wmae is None:
            return None
        return self.wmae < best[1]


class TaskRun(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=TaskKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.QUEUED)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    task_id = models.CharField(_("django-q task id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last heartbeat"), null=True, blank=True,
        help_text=_(
            "Written while the run works; a running run whose heartbeat stops is queued again or marked failed."
        ),
    )
    worker = models.CharField(
        _("worker"), max_length=160, blank=True,
        help_text=_("The machine and process of the attempt that runs it (host:pid)."),
    )
    error = models.TextField(_("error"), blank=True)
    log = models.JSONField(_("log lines"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    model_version = models.ForeignKey(
        ModelVersion, verbose_name=_("model version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="runs",
    )
    plan = models.ForeignKey(
        "Plan", verbose_name=_("plan"), null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )

    class Meta:
        verbose_name = _("task run")
        verbose_name_plural = _("task runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"], name="taskrun_kind_status")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} · {self.get_status_display()}"

    @property
    def log_text(self) -> list[str]:
        """The log lines in the active language (each stored in the language active when written)."""
        return [localize(line) for line in self.log or []]

    @property
    def seconds(self):
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 2)
        return None


class CommunityScore(models.Model):
    version = models.ForeignKey(
        ModelVersion, verbose_name=_("model version"), on_delete=models.CASCADE, related_name="scores"
    )
    community = models.ForeignKey(
        "interventions.Community", verbose_name=_("community"), on_delete=models.CASCADE,
        related_name="model_scores",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    observed = models.FloatField(_("observed value"), null=True, blank=True)
    predicted = models.FloatField(_("predicted burden"))
    lower = models.FloatField(_("80% interval lower"))
    upper = models.FloatField(_("80% interval upper"))
    estimate = models.FloatField(
        _("estimate"), null=True, blank=True,
        help_text=_("The district's measurement and the model's prediction combined by precision (Fay–Herriot); "
                    "the prediction alone where nothing was measured. Priorities and plans use it."),
    )
    estimate_lower = models.FloatField(_("estimate, lower bound (80 percent)"), null=True, blank=True)
    estimate_upper = models.FloatField(_("estimate, upper bound (80 percent)"), null=True, blank=True)
    measurement_weight = models.FloatField(
        _("weight of the measurement"), null=True, blank=True,
        help_text=_("0: the model alone; 1: the measurement alone."),
    )
    target_population = models.FloatField(_("target population"), default=0)
    cases = models.FloatField(_("predicted cases"), default=0)
    poverty = models.FloatField(_("poverty (%)"), null=True, blank=True)
    priority = models.FloatField(_("priority"), db_index=True)
    burden_component = models.FloatField(_("burden component"), default=0)
    equity_component = models.FloatField(_("equity component"), default=0)
    cost_effectiveness_component = models.FloatField(_("cost-effectiveness component"), default=0)
    interventions = models.JSONField(
        _("interventions"), default=dict, blank=True,
        help_text=_("Per intervention type: coverage now, expected cases averted, cost, cost per case averted."),
    )

    class Meta:
        verbose_name = _("community score")
        verbose_name_plural = _("community scores")
        ordering = ["-priority", "community__code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "community"], name="communityscore_unique")
        ]

    def __str__(self):
        return f"{self.community} · v{self.version_id}: {self.predicted:.1f}"


# Plans queued by the pipeline were once named "<target code> <budget> PEN".
_DEFAULT_NAME = re.compile(r"(?P<target>[a-z][a-z0-9_]*) (?P<budget>\d+(?:\.\d+)?) PEN")
MSG_DEFAULT_NAME = _("%(target)s · S/ %(budget)s")


class Plan(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    budget_pen = models.DecimalField(
        _("budget (PEN)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    region = models.ForeignKey(
        "interventions.Community", verbose_name=_("region"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Only communities inside this department or province; empty for the whole country."),
    )
    intervention_types = models.ManyToManyField(
        "interventions.InterventionType", verbose_name=_("allowed intervention types"), blank=True,
        related_name="+", help_text=_("Empty: every active type acting on the model's indicator."),
    )
    equity_weight = models.FloatField(
        _("equity weight"), default=1.0, validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("Cases averted count (1 + weight × poverty share) times: 0 ignores poverty."),
    )
    max_coverage = models.FloatField(
        _("maximum coverage"), default=0.9, validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Highest share of a community's target group an intervention can reach."),
    )
    draws = models.PositiveIntegerField(_("resampling draws"), default=200)
    seed = models.PositiveIntegerField(_("random seed"), default=2024)
    constraints = models.JSONField(
        _("constraints"), default=dict, blank=True,
        help_text=_("Shares of the budget per type, amounts per department, a cap per community and commitments "
                    "(docs/modeling.md)."),
    )
    curve_multiples = models.JSONField(
        _("budget curve multiples"), default=list, blank=True,
        help_text=_("Multiples of the budget at which to report what the money buys, e.g. [0.25, 0.5, 1, 2, 4]."),
    )
    curve = models.JSONField(_("budget curve"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    model_version = models.ForeignKey(
        ModelVersion, verbose_name=_("model version"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="plans",
    )
    fingerprint = models.CharField(_("data fingerprint"), max_length=64, blank=True)
    catalogue = models.JSONField(_("catalogue used"), default=list, blank=True)
    total_cost_pen = models.DecimalField(_("total cost (PEN)"), max_digits=14, decimal_places=2, default=0)
    total_cases_averted = models.FloatField(_("cases averted"), default=0)
    cases_averted_lower = models.FloatField(_("cases averted, 80% lower"), default=0)
    cases_averted_upper = models.FloatField(_("cases averted, 80% upper"), default=0)
    objective = models.FloatField(_("equity-weighted cases averted"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    partner = models.ForeignKey(
        "interventions.Partner", verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="plans",
        help_text=_("The organisation whose scenario this is; empty for the directorate's own plans, which every "
                    "partner may read."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The plan's name; a plan without one (or with the old default "<target code> <budget> PEN") is
        named by its target and budget in the active language: «Desnutrición crónica … · S/ 2 000 000»."""
        legacy = _DEFAULT_NAME.fullmatch(self.name or "")
        target = self.model_version.target if self.model_version_id else None
        if self.name and not (legacy and target is not None and legacy.group("target") == target.code):
            return self.name
        if target is None or self.budget_pen is None:
            return str(_("Plan %(id)s") % {"id": self.pk})
        places = 0 if self.budget_pen == self.budget_pen.to_integral_value() else 2
        return str(MSG_DEFAULT_NAME % {"target": target.name,
                                       "budget": number_format(self.budget_pen, places, force_grouping=True)})


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="items")
    rank = models.PositiveIntegerField(_("rank"))
    community = models.ForeignKey(
        "interventions.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    intervention_type = models.ForeignKey(
        "interventions.InterventionType", verbose_name=_("intervention type"), on_delete=models.PROTECT,
        related_name="+",
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"))
    coverage_source = models.CharField(
        _("source of the coverage before"), max_length=80, blank=True,
        help_text=_("indicator:<code> (its latest value), default (the catalogue's), none (unknown: counted as 0)."),
    )
    already_covered_by = models.JSONField(
        _("already covered by"), default=list, blank=True,
        help_text=_("Partners' planned or active interventions of this type in this community in the plan's year: "
                    "partner, status, beneficiaries."),
    )
    children_reached = models.FloatField(
        _("children reached"), default=0,
        help_text=_("Children counted by the outcome indicator whom this line's year of delivery reaches."),
    )
    coverage_before = models.FloatField(_("coverage before"))
    coverage_after = models.FloatField(_("coverage after"))
    cost_pen = models.DecimalField(_("cost (PEN)"), max_digits=14, decimal_places=2)
    cases_averted = models.FloatField(_("cases averted"))
    cases_averted_lower = models.FloatField(_("cases averted, 80% lower"))
    cases_averted_upper = models.FloatField(_("cases averted, 80% upper"))
    selection_probability = models.FloatField(_("selection probability"))
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        ordering = ["plan", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "community", "intervention_type"], name="planitem_unique"),
            models.CheckConstraint(condition=models.Q(cost_pen__gte=0), name="planitem_cost_nonnegative"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.community} · {self.intervention_type}"

    @property
    def reason_text(self) -> str:
        """The reason in the active language (stored in the language active when computed)."""
        return localize(self.reason)
