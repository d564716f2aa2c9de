"""Two plans side by side: totals, cases averted with intervals, the share of the money
reaching the poorest fifth of districts, the allocation by department and by type, and the
lines only one of them buys."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import numpy as np

from ..models import CommunityScore, Plan

__all__ = ["plan_compare", "plan_summary", "poorest_fifth"]


def poorest_fifth(version_id) -> set[int]:
    """Community ids of the poorest fifth (highest poverty) of the version's scored
    communities with a known poverty rate."""
    rows = list(CommunityScore.objects.filter(version_id=version_id, poverty__isnull=False)
                .values_list("community_id", "poverty"))
    if not rows:
        return set()
    threshold = np.quantile([p for _c, p in rows], 0.8)
    return {c for c, p in rows if p >= threshold}


def plan_summary(plan: Plan) -> dict:
    """One plan's totals and allocations (by department, by type), from its lines."""
    lines = list(plan.items.select_related("community", "intervention_type"))
    poorest = poorest_fifth(plan.model_version_id) if plan.model_version_id else set()
    spent = sum((line.cost_pen for line in lines), Decimal("0"))
    to_poorest = sum((line.cost_pen for line in lines if line.community_id in poorest), Decimal("0"))
    by_department, by_type = defaultdict(Decimal), defaultdict(Decimal)
    for line in lines:
        by_department[line.community.code[:2]] += line.cost_pen
        by_type[line.intervention_type.code] += line.cost_pen
    return {
        "id": plan.pk, "name": str(plan), "status": plan.status, "model_version": plan.model_version_id,
        "budget_pen": str(plan.budget_pen), "spent_pen": str(spent), "lines": len(lines),
        "cases_averted": plan.total_cases_averted,
        "cases_averted_interval": [plan.cases_averted_lower, plan.cases_averted_upper],
        "share_to_poorest_fifth": round(float(to_poorest / spent), 4) if spent else 0.0,
        "by_department": {k: str(v) for k, v in sorted(by_department.items())},
        "by_type": {k: str(v) for k, v in sorted(by_type.items())},
        "_keys": {(line.community.code, line.intervention_type.code) for line in lines},
    }


def plan_compare(*, a: Plan, b: Plan) -> dict:
    """A and B side by side; ``only_in_a`` / ``only_in_b`` list the (community, type) lines
    one plan buys and the other does not."""
    sa, sb = plan_summary(a), plan_summary(b)
    keys_a, keys_b = sa.pop("_keys"), sb.pop("_keys")

    def side_by_side(key):
        names = sorted(set(sa[key]) | set(sb[key]))
        return [{"key": n, "a_pen": sa[key].get(n, "0"), "b_pen": sb[key].get(n, "0")} for n in names]

    return {
        "a": sa, "b": sb,
        "by_department": side_by_side("by_department"),
        "by_type": side_by_side("by_type"),
        "only_in_a": [{"community": c, "intervention_type": t} for c, t in sorted(keys_a - keys_b)],
        "only_in_b": [{"community": c, "intervention_type": t} for c, t in sorted(keys_b - keys_a)],
        "in_both": len(keys_a & keys_b),
    }
