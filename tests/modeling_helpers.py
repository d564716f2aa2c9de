"""Shared helpers for the modeling tests: a tiny, quick training configuration."""
TINY_CONFIG = {"members": 2, "hidden": [8], "epochs": 12, "patience": 4, "batch_size": 64,
               "learning_rate": 0.02, "seed": 11, "baseline_trees": 40}
TRAIN_PARAMS = {"target": "stunting_u5_pct", "level": "district", "year": 2022, "n_splits": 3,
                "config": TINY_CONFIG}


def assert_reach_invariant(plan):
    """Every line of a computed plan: at least one beneficiary, and no more cases averted
    than effect × the upper bound of the estimated prevalence × the children it reaches
    (docs/modeling.md, "Impact on the cohort reached")."""
    from modeling.models import CommunityScore

    upper = {c: (e if e is not None else u) for c, e, u in CommunityScore.objects.filter(
        version=plan.model_version_id).values_list("community_id", "estimate_upper", "upper")}
    lines = list(plan.items.select_related("intervention_type"))
    assert lines, "the plan has no lines"
    broken = []
    for line in lines:
        bound = line.intervention_type.effect_relative * upper[line.community_id] / 100.0 * line.children_reached
        if not (line.beneficiaries >= 1 and line.children_reached > 0 and line.cases_averted <= bound * (1 + 1e-9)
                and line.cases_averted_upper <= bound * (1 + 1e-9)):
            broken.append((line.rank, line.community_id, line.intervention_type.code, line.beneficiaries,
                           line.children_reached, line.cases_averted, bound))
    assert not broken, f"{len(broken)} of {len(lines)} lines break the reach invariant: {broken[:5]}"
    return len(lines)
