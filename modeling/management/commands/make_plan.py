import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from interventions.models import Community
from modeling.models import TaskKind, TaskStatus
from modeling.services.planning import ConstraintError, plan_create
from modeling.services.runs import run_now


class Command(BaseCommand):
    help = "Make a budget plan from the active model's scores."

    def add_arguments(self, parser):
        parser.add_argument("--budget", required=True, help="budget in soles (PEN)")
        parser.add_argument("--region", default=None, help="UBIGEO of a department or province")
        parser.add_argument("--target", default="stunting_u5_pct")
        parser.add_argument("--equity-weight", type=float, default=1.0)
        parser.add_argument("--max-coverage", type=float, default=0.9)
        parser.add_argument("--draws", type=int, default=200)
        parser.add_argument("--name", default="")
        parser.add_argument("--budget-curve", default="",
                            help="multiples of --budget to report, e.g. 0.25,0.5,1,2,4 (adds curve to --json)")
        parser.add_argument("--constraints", default="",
                            help="the plan's constraints as JSON, or @file.json (docs/modeling.md)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        try:
            budget = Decimal(o["budget"])
        except InvalidOperation:
            raise CommandError(f"“{o['budget']}” is not an amount in soles.") from None
        region = None
        if o["region"]:
            region = Community.objects.filter(code=o["region"]).first()
            if region is None:
                raise CommandError(f"There is no community with the UBIGEO code {o['region']}.")
        constraints = None
        if o["constraints"]:
            text = o["constraints"]
            try:
                if text.startswith("@"):
                    text = Path(text[1:]).read_text(encoding="utf-8")
                constraints = json.loads(text)
            except (OSError, ValueError) as exc:
                raise CommandError(f"--constraints: {exc}") from None
        try:
            plan = plan_create(budget_pen=budget, target=o["target"], region=region, equity_weight=o["equity_weight"],
                               max_coverage=o["max_coverage"], draws=o["draws"], name=o["name"],
                               constraints=constraints, curve_multiples=o["budget_curve"] or None, check=True)
        except ConstraintError as exc:
            option = {"curve_multiples": "--budget-curve"}.get(exc.field, "--constraints")
            raise CommandError(f"{option}: {exc}") from None
        except Exception as exc:
            raise CommandError(str(exc)) from exc
        run = run_now(kind=TaskKind.PLAN, plan=plan)
        if run.status != TaskStatus.SUCCEEDED:
            raise CommandError(run.error.splitlines()[0] if run.error else run.status)
        plan.refresh_from_db()
        items = list(plan.items.select_related("community", "intervention_type"))
        # With --json, stdout carries exactly one JSON document; the summary goes to stderr.
        out = self.stderr if o["json"] else self.stdout
        out.write(f"Plan {plan.pk}: {plan.total_cost_pen} of {plan.budget_pen} PEN, {len(items)} lines, "
                  f"{plan.total_cases_averted:.1f} cases averted (80%: {plan.cases_averted_lower:.1f}–"
                  f"{plan.cases_averted_upper:.1f}), model version {plan.model_version_id}")
        for item in items[:20]:
            out.write(f"{item.rank:>4} {item.community.code} {item.intervention_type.code:<32}"
                      f"{item.cost_pen:>12} {item.cases_averted:>8.2f} p={item.selection_probability:.2f}")
        if o["json"]:
            self.stdout.write(json.dumps({
                "plan": plan.pk, "model_version": plan.model_version_id, "fingerprint": plan.fingerprint,
                "budget_pen": str(plan.budget_pen), "total_cost_pen": str(plan.total_cost_pen),
                "cases_averted": plan.total_cases_averted,
                "cases_averted_interval": [plan.cases_averted_lower, plan.cases_averted_upper],
                "items": [{"community": i.community.code, "intervention": i.intervention_type.code,
                           "beneficiaries": i.beneficiaries, "children_reached": round(i.children_reached, 2),
                           "cost_pen": str(i.cost_pen), "cases_averted": round(i.cases_averted, 4),
                           "cases_averted_interval": [round(i.cases_averted_lower, 4),
                                                      round(i.cases_averted_upper, 4)],
                           "coverage_before": i.coverage_before, "coverage_after": i.coverage_after,
                           "coverage_source": i.coverage_source, "already_covered_by": i.already_covered_by,
                           "selection_probability": i.selection_probability} for i in items],
                "constraints": plan.constraints,
                "curve": plan.curve,
            }))
