"""API representations of model versions, scores, plans, predictions and task runs.
Related objects by stable key (indicator code, UBIGEO code) and by id, as elsewhere."""
import math
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from healthplanner.api.serializers import CodeRelatedField, LocalizedCharField
from interventions.api.serializers import MSG_KEY_ID_MISMATCH
from interventions.models import Community, Indicator, InterventionType

from ..models import CommunityScore, ModelVersion, Plan, PlanItem, TaskRun

__all__ = [
    "MSG_COMMUNITY_REQUIRED",
    "MSG_NOT_A_NUMBER",
    "MSG_OUT_OF_RANGE",
    "MSG_UNKNOWN_INDICATOR",
    "ModelVersionSerializer",
    "CommunityScoreSerializer",
    "TaskRunSerializer",
    "PlanSerializer",
    "PlanDetailSerializer",
    "PlanItemSerializer",
    "PlanCreateSerializer",
    "PlanAcceptedSerializer",
    "PredictionRequestSerializer",
    "PredictionSerializer",
]

MSG_COMMUNITY_REQUIRED = _("Send the community's UBIGEO code (community) or its id (community_id).")
MSG_NOT_A_NUMBER = _("%(indicator)s: give a finite number.")
MSG_OUT_OF_RANGE = _("%(indicator)s: %(value)s is outside its valid range %(min)s–%(max)s.")
MSG_UNKNOWN_INDICATOR = _("%(indicator)s is not an input of model version %(version)s (its inputs: %(inputs)s).")
MSG_NO_SUCH_INDICATOR = _("%(indicator)s is not a known indicator code.")


class ModelVersionSerializer(serializers.ModelSerializer):
    target = CodeRelatedField(slug_field="code", read_only=True, help_text=_("Target indicator code."))
    target_id = serializers.IntegerField(read_only=True)
    metrics = serializers.DictField(read_only=True, help_text=_(
        "Held-out metrics of the Keras ensemble (department-grouped CV): "
        "weighted MAE, RMSE, R², 80% interval coverage."))
    baselines = serializers.DictField(read_only=True, help_text=_(
        "The same metrics for each simple baseline on the same folds."))
    evaluation = serializers.DictField(read_only=True, help_text=_(
        "Both cross-validation designs (department, province): every method's weighted MAE, RMSE, R², CRPS, "
        "50/80/95 percent coverage and 80 percent interval score, the metrics per department and the held-out "
        "check of the small-area estimate."))
    beats_baselines = serializers.BooleanField(read_only=True, allow_null=True, help_text=_(
        "Whether the Keras ensemble's held-out weighted MAE is below every baseline's (null: nothing to compare). "
        "A version that does not is still usable; Analysts decide whether to keep it active."))

    class Meta:
        model = ModelVersion
        fields = [
            "id", "target", "target_id", "level", "target_year", "status", "features", "n_rows", "fingerprint",
            "metrics", "baselines", "evaluation", "beats_baselines", "hyperparameters", "training_seconds",
            "promoted_at", "created_at",
        ]
        read_only_fields = fields


class CommunityScoreSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.code", read_only=True, help_text=_("UBIGEO code."))
    community_name = serializers.CharField(source="community.name", read_only=True)
    target = serializers.CharField(source="version.target.code", read_only=True, help_text=_("Target indicator code."))
    components = serializers.SerializerMethodField(help_text=_(
        "The priority's components, each 0–1: burden (estimated prevalence), equity (poverty share), "
        "cost_effectiveness (best cases averted per sol, relative to the best community)."))
    interventions = serializers.DictField(read_only=True, help_text=_(
        "Per intervention type code: coverage now, beneficiary pool, expected cases averted, beneficiaries, "
        "cost and cost per case averted (PEN); _combined: all types together."))

    class Meta:
        model = CommunityScore
        fields = [
            "id", "version", "target", "community", "community_id", "community_name", "year", "priority",
            "components", "observed", "predicted", "lower", "upper", "estimate", "estimate_lower", "estimate_upper",
            "measurement_weight", "target_population", "cases", "poverty", "interventions",
        ]
        read_only_fields = fields

    def get_components(self, obj) -> dict[str, float]:
        return {"burden": obj.burden_component, "equity": obj.equity_component,
                "cost_effectiveness": obj.cost_effectiveness_component}


class TaskRunSerializer(serializers.ModelSerializer):
    seconds = serializers.FloatField(read_only=True, allow_null=True)
    params = serializers.DictField(read_only=True)
    log = serializers.ListField(child=LocalizedCharField(), read_only=True)

    class Meta:
        model = TaskRun
        fields = [
            "id", "kind", "status", "params", "model_version", "plan", "attempts", "created_at", "started_at",
            "finished_at", "seconds", "error", "log",
        ]
        read_only_fields = fields


class PlanItemSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    intervention_type = serializers.CharField(source="intervention_type.code", read_only=True)
    reason = LocalizedCharField(read_only=True, label=capfirst(_("reason")))

    class Meta:
        model = PlanItem
        fields = [
            "rank", "community", "community_id", "community_name", "intervention_type", "intervention_type_id",
            "beneficiaries", "children_reached", "coverage_before", "coverage_source", "already_covered_by",
            "coverage_after", "cost_pen", "cases_averted",
            "cases_averted_lower", "cases_averted_upper", "selection_probability", "reason",
        ]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    # A plan without a name is named by its target and budget in the request's language.
    name = serializers.CharField(source="display_name", read_only=True, label=capfirst(_("name")))
    region = CodeRelatedField(slug_field="code", read_only=True, allow_null=True)
    target = serializers.SerializerMethodField()
    intervention_types = CodeRelatedField(slug_field="code", many=True, read_only=True)
    catalogue = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id", "name", "status", "budget_pen", "region", "region_id", "target", "intervention_types",
            "equity_weight", "max_coverage", "draws", "seed", "model_version", "fingerprint", "total_cost_pen",
            "total_cases_averted", "cases_averted_lower", "cases_averted_upper", "objective", "catalogue",
            "constraints", "curve_multiples", "curve", "partner", "created_at", "computed_at",
        ]
        read_only_fields = fields

    def get_target(self, obj) -> str | None:
        return obj.model_version.target.code if obj.model_version_id else None


class PlanDetailSerializer(PlanSerializer):
    items = PlanItemSerializer(many=True, read_only=True, help_text=_("The plan's lines, by rank."))
    runs = TaskRunSerializer(many=True, read_only=True, help_text=_("The task runs that computed it, newest first."))

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "items", "runs"]
        read_only_fields = fields


@extend_schema_serializer(examples=[
    OpenApiExample(
        "A regional budget", request_only=True,
        value={"name": "Amazonas 2025", "budget_pen": "250000.00", "target": "stunting_u5_pct", "region": "01",
               "intervention_types": ["iron_supplementation", "growth_monitoring"], "equity_weight": 1.0,
               "max_coverage": 0.9, "draws": 200},
    ),
])
class PlanCreateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    budget_pen = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"),
                                          help_text=_("Budget in soles."))
    target = CodeRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False,
        help_text=_("Indicator code of the model to plan with (default stunting_u5_pct)."),
    )
    region = CodeRelatedField(
        slug_field="code", queryset=Community.objects.all(), required=False, allow_null=True,
        help_text=_("UBIGEO code of a department or province; empty for the whole country."),
    )
    intervention_types = CodeRelatedField(
        slug_field="code", queryset=InterventionType.objects.all(), many=True, required=False,
        help_text=_("Allowed intervention type codes; empty: every active type acting on the target."),
    )
    equity_weight = serializers.FloatField(required=False, default=1.0, min_value=0, max_value=10)
    max_coverage = serializers.FloatField(required=False, default=0.9, min_value=0, max_value=1)
    draws = serializers.IntegerField(required=False, default=200, min_value=0, max_value=1000,
                                     help_text=_("Resampling draws for the selection probabilities."))
    seed = serializers.IntegerField(required=False, default=2024, min_value=0, max_value=2**31 - 1)
    constraints = serializers.JSONField(
        required=False, default=dict,
        help_text=_("type_share {code: {min, max}} (shares of the budget), department {UBIGEO: {min_pen, max_pen}}, "
                    "community_cap_pen, commitments [{community, intervention_type, beneficiaries}]."),
    )
    curve_multiples = serializers.ListField(
        child=serializers.FloatField(min_value=0.01, max_value=100), required=False, default=list, max_length=12,
        help_text=_("Multiples of the budget for the budget curve, e.g. [0.25, 0.5, 1, 2, 4]."),
    )


class PlanTotalsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    model_version = serializers.IntegerField(allow_null=True)
    budget_pen = serializers.DecimalField(max_digits=14, decimal_places=2)
    spent_pen = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = serializers.IntegerField()
    cases_averted = serializers.FloatField()
    cases_averted_interval = serializers.ListField(child=serializers.FloatField(),
                                                   help_text=_("The 80 percent interval."))
    share_to_poorest_fifth = serializers.FloatField(
        help_text=_("Share of the money spent in the poorest fifth of districts (by poverty rate)."))
    by_department = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))
    by_type = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))


class SideBySideSerializer(serializers.Serializer):
    key = serializers.CharField()
    a_pen = serializers.DecimalField(max_digits=14, decimal_places=2)
    b_pen = serializers.DecimalField(max_digits=14, decimal_places=2)


class PlanLineKeySerializer(serializers.Serializer):
    community = serializers.CharField()
    intervention_type = serializers.CharField()


class PlanComparisonSerializer(serializers.Serializer):
    a = PlanTotalsSerializer()
    b = PlanTotalsSerializer()
    by_department = SideBySideSerializer(many=True)
    by_type = SideBySideSerializer(many=True)
    only_in_a = PlanLineKeySerializer(many=True)
    only_in_b = PlanLineKeySerializer(many=True)
    in_both = serializers.IntegerField()


class PlanAcceptedSerializer(serializers.Serializer):
    plan = PlanDetailSerializer()
    task = TaskRunSerializer()


@extend_schema_serializer(examples=[
    OpenApiExample(
        "What if poverty fell by ten points and half the homes gained piped water?", request_only=True,
        value={"community": "010101", "target": "stunting_u5_pct",
               "changes": {"poverty_pct": 25.0, "water_public_network_pct": 80.0}},
    ),
])
class PredictionRequestSerializer(serializers.Serializer):
    community = CodeRelatedField(
        slug_field="code", queryset=Community.objects.all(), required=False, help_text=_("UBIGEO code.")
    )
    community_id = serializers.PrimaryKeyRelatedField(
        source="community_by_id", queryset=Community.objects.all(), required=False
    )
    target = CodeRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False,
        help_text=_("Target indicator code; needed only when several models are active at the community's level."),
    )
    changes = serializers.DictField(
        child=serializers.FloatField(), required=False, default=dict,
        help_text=_("Indicator code → the value to assume instead of the latest measured one."),
    )

    def validate(self, attrs):
        by_id, by_code = attrs.pop("community_by_id", None), attrs.get("community")
        if by_id is not None and by_code is not None and by_id.pk != by_code.pk:
            raise serializers.ValidationError({"community": [
                MSG_KEY_ID_MISMATCH % {"key": by_code.code, "key_id": "community_id"}]})
        community = by_id or by_code
        if community is None:
            raise serializers.ValidationError({"community": [MSG_COMMUNITY_REQUIRED]})
        attrs["community"] = community
        changes, errors = attrs.get("changes") or {}, []
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(changes))}
        for code, value in changes.items():
            indicator = indicators.get(code)
            if indicator is None:
                errors.append(str(MSG_NO_SUCH_INDICATOR % {"indicator": code}))
            elif not math.isfinite(value):
                errors.append(str(MSG_NOT_A_NUMBER % {"indicator": code}))
            elif (indicator.min_value is not None and value < indicator.min_value) or (
                    indicator.max_value is not None and value > indicator.max_value):
                errors.append(str(MSG_OUT_OF_RANGE % {
                    "indicator": code, "value": value,
                    "min": "−∞" if indicator.min_value is None else indicator.min_value,
                    "max": "∞" if indicator.max_value is None else indicator.max_value,
                }))
        if errors:
            raise serializers.ValidationError({"changes": errors})
        return attrs


class PredictedBurdenSerializer(serializers.Serializer):
    predicted = serializers.FloatField()
    lower = serializers.FloatField(help_text=_("80% interval, lower bound."))
    upper = serializers.FloatField(help_text=_("80% interval, upper bound."))


@extend_schema_serializer(examples=[
    OpenApiExample(
        "A what-if", response_only=True,
        value={"community": "010101", "community_name": "Chachapoyas", "target": "stunting_u5_pct",
               "model_version": 3, "year": 2022,
               "baseline": {"predicted": 18.4, "lower": 12.1, "upper": 24.7},
               "what_if": {"predicted": 15.2, "lower": 9.0, "upper": 21.5}, "change": -3.2,
               "inputs": {"poverty_pct": 25.0, "water_public_network_pct": 80.0, "electricity_pct": 91.2},
               "changed": ["poverty_pct", "water_public_network_pct"]},
    ),
])
class PredictionSerializer(serializers.Serializer):
    community = serializers.CharField()
    community_name = serializers.CharField()
    target = serializers.CharField()
    model_version = serializers.IntegerField()
    year = serializers.IntegerField(help_text=_("The year predicted (features from the years before it)."))
    baseline = PredictedBurdenSerializer(help_text=_("With the latest measured inputs."))
    what_if = PredictedBurdenSerializer(help_text=_("With the changed inputs."))
    change = serializers.FloatField(help_text=_("what_if.predicted − baseline.predicted."))
    inputs = serializers.DictField(child=serializers.FloatField(allow_null=True),
                                   help_text=_("Every indicator input of the model as used (null: missing)."))
    changed = serializers.ListField(child=serializers.CharField())
