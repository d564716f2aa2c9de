"""Modeling endpoints: model versions, scores, plans, what-if predictions and task runs.
Thin callers of ``modeling.services``; on the shared bases of ``healthplanner.api``."""
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from healthplanner.api.permissions import ReadAndAddModelPermissions, ViewModelPermissions
from healthplanner.api.renderers import CSVRenderer, XLSXRenderer
from healthplanner.api.viewsets import FORMAT_PARAMETER, BaseViewSet, CountedRows, JSONErrorsMixin, ReadOnlyBaseViewSet
from interventions.api.filtersets import DEPARTMENT_CODE

from ..models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanItem, TaskKind, TaskRun
from ..selectors import plan_line_list, plan_list
from ..services.comparison import plan_compare
from ..services.planning import MSG_NO_ACTIVE_MODEL, ConstraintError, NoOrganisation, plan_create
from ..services.runs import run_enqueue
from ..services.whatif import AmbiguousTarget, NoActiveModel, active_version_for, prediction_what_if
from . import filtersets, serializers

MSG_PLAN_ID = _("Give a plan id (a whole number).")
PLAN_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
LINES_FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"],
    description=_("Response format: json (default), csv or xlsx (one row per line of this page; page_size=all for "
                  "every matching line)."),
)

__all__ = [
    "ModelVersionViewSet",
    "CommunityScoreViewSet",
    "PlanViewSet",
    "PredictionViewSet",
    "TaskRunViewSet",
]

DEFAULT_TARGET = "stunting_u5_pct"


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "no_active_model"


class ModelVersionViewSet(ReadOnlyBaseViewSet):
    """Trained models: their held-out metrics next to the baselines on the same folds, and
    their status (candidate, active, retired)."""

    queryset = ModelVersion.objects.select_related("target")
    serializer_class = serializers.ModelVersionSerializer
    filterset_class = filtersets.ModelVersionFilterSet
    search_fields = ["target__code", "fingerprint"]
    ordering_fields = ["created_at", "target_year", "n_rows", "status"]


class CommunityScoreViewSet(ReadOnlyBaseViewSet):
    """The ranked priorities of the active model (or of ``version``): each community's
    predicted burden with its 80% interval, the priority's components and the expected
    impact of each intervention type. Highest priority first."""

    queryset = CommunityScore.objects.select_related("community", "version__target").order_by(
        "-priority", "community__code")
    serializer_class = serializers.CommunityScoreSerializer
    filterset_class = filtersets.CommunityScoreFilterSet
    search_fields = ["community__code", "community__name"]
    ordering_fields = ["priority", "predicted", "estimate", "cases", "poverty", "community__code"]

    # Output name → ORM path, the serializer's fields in its order (a test holds the two
    # outputs equal); the components are gathered into one object.
    COLUMNS = {
        "id": "id", "version": "version_id", "target": "version__target__code", "community": "community__code",
        "community_id": "community_id", "community_name": "community__name", "year": "year",
        "priority": "priority", "burden": "burden_component", "equity": "equity_component",
        "cost_effectiveness": "cost_effectiveness_component", "observed": "observed", "predicted": "predicted",
        "lower": "lower", "upper": "upper", "estimate": "estimate", "estimate_lower": "estimate_lower",
        "estimate_upper": "estimate_upper", "measurement_weight": "measurement_weight",
        "target_population": "target_population", "cases": "cases",
        "poverty": "poverty", "interventions": "interventions",
    }
    COMPONENTS = ("burden", "equity", "cost_effectiveness")

    def list(self, request, *args, **kwargs):
        """Read straight from ``values_list`` (no model instances nor serializer fields):
        the same output, about twice as fast for this large JSON column."""
        names, paths = zip(*self.COLUMNS.items(), strict=True)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(queryset.values_list(*paths), counted=queryset))
        rows = []
        for values in page:
            row = dict(zip(names, values, strict=True))
            components = {name: row.pop(name) for name in self.COMPONENTS}
            rows.append({**{k: row[k] for k in names[:8]}, "components": components,
                         **{k: row[k] for k in names[11:]}})
        return self.get_paginated_response(rows)


class TaskRunViewSet(ReadOnlyBaseViewSet):
    """Background runs (train, score, plan): status, times, log lines and error."""

    queryset = TaskRun.objects.all()
    serializer_class = serializers.TaskRunSerializer
    filterset_class = filtersets.TaskRunFilterSet
    ordering_fields = ["created_at", "started_at", "finished_at", "status", "kind"]


@extend_schema_view(
    list=extend_schema(parameters=[FORMAT_PARAMETER]),
    create=extend_schema(
        request=serializers.PlanCreateSerializer,
        responses={202: serializers.PlanAcceptedSerializer},
        description=_(
            "Create a budget plan with the active model of the target and queue its computation. "
            "202 with the plan (status draft) and its task run; follow either until computed. "
            "409 when the target has no active model. Needs modeling.add_plan (Analysts, and Partners for their "
            "own organisation's scenarios: a partner sees its own plans and the directorate's, never another "
            "partner's)."
        ),
    ),
)
class PlanViewSet(BaseViewSet):
    """Budget plans: the allocation the optimiser proposes, each line explained. The list
    gives each plan's status and totals; one plan's detail adds its lines and runs."""

    queryset = Plan.objects.select_related("model_version__target").prefetch_related("intervention_types")
    filterset_class = filtersets.PlanFilterSet
    permission_classes = [ReadAndAddModelPermissions]
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["created_at", "computed_at", "budget_pen", "total_cases_averted", "status"]

    def get_queryset(self):
        queryset = plan_list(user=self.request.user, queryset=super().get_queryset())
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("items", PlanItem.objects.select_related("community", "intervention_type")),
                Prefetch("runs", TaskRun.objects.order_by("-created_at", "-id")),
            )
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("a", PLAN_ID, required=True, description=_("Id of plan A.")),
                    OpenApiParameter("b", PLAN_ID, required=True, description=_("Id of plan B."))],
        responses={200: serializers.PlanComparisonSerializer}, filters=False,
        description=_("Two plans side by side: totals, cases averted with their intervals, the share of the money "
                      "reaching the poorest fifth of districts, the allocation by department and by type, and the "
                      "lines only one of them buys. 404 when either plan is not visible to this account."),
    )
    @action(detail=False, methods=["get"], url_path="compare", pagination_class=None, filter_backends=[])
    def compare(self, request):
        ids, errors = {}, {}
        for key in ("a", "b"):
            raw = request.query_params.get(key, "").strip()
            if raw.isdigit() and 0 < len(raw) <= 18:
                ids[key] = int(raw)
            else:
                errors[key] = [str(MSG_PLAN_ID)]
        if errors:
            raise exceptions.ValidationError(errors)
        plans = {key: get_object_or_404(self.get_queryset(), pk=pk) for key, pk in ids.items()}
        return Response(plan_compare(a=plans["a"], b=plans["b"]))

    @extend_schema(
        parameters=[
            LINES_FORMAT_PARAMETER,
            OpenApiParameter("department", {"type": "string", "pattern": f"^$|{DEPARTMENT_CODE.regex.pattern}"},
                             description=_("Department (two-digit UBIGEO code)")),
            OpenApiParameter("intervention_type", OpenApiTypes.STR,
                             description=_("Intervention type code(s), comma-separated")),
        ],
        responses={200: serializers.PlanItemSerializer(many=True)}, filters=False,
        description=_("A plan's lines by rank, paginated like every list, filtered by department and intervention "
                      "type; format=csv or xlsx gives one row per line as a file (page_size=all: every matching "
                      "line, at most API_EXPORT_MAX_ROWS). 404 when the plan is not visible to this account."),
    )
    @action(detail=True, methods=["get"], url_path="lines", filter_backends=[],
            renderer_classes=[JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer])
    def lines(self, request, pk=None):
        raw = str(pk)
        if not (raw.isdigit() and 0 < len(raw) <= 18):
            raise exceptions.NotFound()
        plan = get_object_or_404(self.get_queryset(), pk=int(raw))
        lines = filtersets.PlanLineFilterSet(request.query_params, queryset=plan_line_list(plan=plan),
                                             request=request)
        if not lines.is_valid():
            raise exceptions.ValidationError(lines.errors)
        page = self.paginate_queryset(lines.qs)
        response = self.get_paginated_response(serializers.PlanItemSerializer(page, many=True).data)
        renderer_format = getattr(request.accepted_renderer, "format", "json")
        if renderer_format in ("csv", "xlsx"):
            response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}-lines.{renderer_format}"'
        return response

    def get_serializer_class(self):
        if self.action == "lines":
            return serializers.PlanItemSerializer
        if self.action == "compare":
            return serializers.PlanComparisonSerializer
        if self.action == "create":
            return serializers.PlanCreateSerializer
        if self.action == "retrieve":
            return serializers.PlanDetailSerializer
        return serializers.PlanSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        target = data.pop("target", None)
        target = target.code if target is not None else DEFAULT_TARGET
        if not ModelVersion.objects.filter(target__code=target, status=ModelStatus.ACTIVE).exists():
            raise Conflict(MSG_NO_ACTIVE_MODEL % {"target": target})
        try:
            with transaction.atomic():
                plan = plan_create(target=target, user=request.user, check=True, **data)
                # The worker is handed the run once this transaction commits.
                run = run_enqueue(kind=TaskKind.PLAN, plan=plan, user=request.user)
        except ConstraintError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        except NoOrganisation as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        plan = self.get_queryset().prefetch_related("items", "runs").get(pk=plan.pk)
        context = self.get_serializer_context()
        return Response({
            "plan": serializers.PlanDetailSerializer(plan, context=context).data,
            "task": serializers.TaskRunSerializer(run, context=context).data,
        }, status=status.HTTP_202_ACCEPTED)


class PredictionPermissions(ViewModelPermissions):
    """A what-if reads a model and writes nothing: POST needs ``view_modelversion``."""

    perms_map = {"POST": ViewModelPermissions.perms_map["GET"]}


@extend_schema_view(
    create=extend_schema(
        request=serializers.PredictionRequestSerializer,
        responses={200: serializers.PredictionSerializer},
        description=_(
            "A what-if: the active model's predicted burden for one community, with its 80% interval, "
            "with the latest measured inputs and with the changed indicator values. 400 for an indicator "
            "that is not an input of the model or a value outside its range; 409 when no model is active. "
            "Needs modeling.view_modelversion."
        ),
    ),
)
class PredictionViewSet(JSONErrorsMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """What-if predictions from the active model (nothing is stored)."""

    queryset = ModelVersion.objects.all()
    serializer_class = serializers.PredictionRequestSerializer
    permission_classes = [PredictionPermissions]
    http_method_names = ["post", "options"]
    pagination_class = None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            version = active_version_for(community=data["community"], target=data.get("target"))
        except NoActiveModel as exc:
            raise Conflict(str(exc)) from None
        except AmbiguousTarget as exc:
            raise exceptions.ValidationError({"target": [str(exc)]}) from None
        changes = data.get("changes") or {}
        unknown = sorted(set(changes) - set(version.features))
        if unknown:
            raise exceptions.ValidationError({"changes": [
                str(serializers.MSG_UNKNOWN_INDICATOR % {
                    "indicator": code, "version": version.pk, "inputs": ", ".join(version.features)})
                for code in unknown
            ]})
        result = prediction_what_if(version=version, community=data["community"], changes=changes)
        return Response(serializers.PredictionSerializer(result).data, status=status.HTTP_200_OK)
