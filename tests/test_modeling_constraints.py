"""The constrained optimiser (SciPy's HiGHS) against the greedy, and every constraint kept."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling.services.allocation import Group, Infeasible, allocate, allocate_constrained
from modeling.services.constraints import ConstraintError, constraints_clean, infeasible_message

SEG = 5


def _curves(draw_costs, draw_values):
    """Curves of SEG pieces each with decreasing value per sol, flattened curve by curve."""
    costs, values = [], []
    for base_cost, base_value in zip(draw_costs, draw_values, strict=True):
        for j in range(SEG):
            costs.append(base_cost * (1 + j))          # each piece costs more …
            values.append(base_value * (SEG - j) / SEG)  # … and buys less
    return np.array(costs), np.array(values)


curves_st = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.floats(1.0, 500.0), min_size=n, max_size=n),
    st.lists(st.floats(0.01, 20.0), min_size=n, max_size=n),
    st.lists(st.integers(0, 2), min_size=n, max_size=n),   # type of each curve
    st.lists(st.integers(0, 1), min_size=n, max_size=n),   # department of each curve
))


def _pieces(mask):
    return np.flatnonzero(np.repeat(np.asarray(mask), SEG))


@settings(max_examples=80, deadline=None)
@given(curves_st, st.floats(0.0, 20000.0))
def test_lp_equals_greedy_where_both_apply(curves, budget):
    costs, values = _curves(curves[0], curves[1])
    greedy = (allocate(costs, values, budget) * values).sum()
    # A constraint that binds nothing: the LP path, the greedy's problem.
    loose = [Group(name="community_cap", pieces=np.arange(len(costs)), high=costs.sum() + 1)]
    lp = (allocate_constrained(costs, values, budget, loose) * values).sum()
    assert lp == pytest.approx(greedy, rel=1e-6, abs=1e-6)
    assert (allocate_constrained(costs, values, budget, []) * values).sum() == greedy


@settings(max_examples=80, deadline=None)
@given(curves_st, st.floats(100.0, 20000.0), st.floats(0.0, 0.4), st.floats(0.3, 1.0), st.floats(0.0, 3000.0),
       st.floats(50.0, 3000.0))
def test_every_constraint_is_kept(curves, budget, type_min, type_max, dept_min, cap):
    costs, values = _curves(curves[0], curves[1])
    types, departments = np.array(curves[2]), np.array(curves[3])
    groups = [
        Group(name="type_min", pieces=_pieces(types == 0), low=type_min * budget,
              high=max(type_min, type_max) * budget),
        Group(name="department_min", pieces=_pieces(departments == 1), low=dept_min),
        *[Group(name="community_cap", pieces=np.arange(i * SEG, (i + 1) * SEG), high=cap) for i in range(len(types))],
    ]
    try:
        taken = allocate_constrained(costs, values, budget, groups)
    except Infeasible as exc:
        assert exc.group is None or any(exc.group is g for g in groups)
        return
    spent = taken * costs
    tol = 1e-6 * max(1.0, budget)
    assert np.all(taken >= -1e-9) and np.all(taken <= 1 + 1e-9)
    assert spent.sum() <= budget + tol
    for group in groups:
        assert group.low - tol <= spent[group.pieces].sum() <= group.high + tol, group.name
    # Each curve is filled from its start (its pieces in order).
    per_curve = taken.reshape(-1, SEG)
    assert np.all(np.diff(per_curve, axis=1) <= 1e-6)


def test_an_impossible_minimum_is_named():
    costs, values = _curves([10.0, 10.0], [1.0, 1.0])
    group = Group(name="type_min", pieces=_pieces([True, False]), low=10_000.0, meta={"name": "iron"})
    with pytest.raises(Infeasible) as err:
        allocate_constrained(costs, values, 1_000_000.0, [group])
    assert err.value.group is group
    assert "iron" in infeasible_message(err.value.group)  # named in any language
    # Two minimums each possible alone but not within the budget together.
    a = Group(name="type_min", pieces=_pieces([True, False]), low=100.0, meta={"name": "a"})
    b = Group(name="department_min", pieces=_pieces([False, True]), low=100.0, meta={"name": "15"})
    with pytest.raises(Infeasible) as err:
        allocate_constrained(costs, values, 150.0, [a, b])
    assert err.value.group is a or err.value.group is b


@pytest.mark.parametrize("data, fragment", [
    ([1], "object"),
    ({"speed": 1}, "speed"),
    ({"type_share": {"x": {"min": 0.1}}}, "x"),
    ({"type_share": ["a"]}, "share"),
    ({"department": "08"}, "department"),
    ({"commitments": {"a": 1}}, "commitment"),
    ({"type_share": {"a": {"min": 0.7, "max": 0.2}}}, "a"),
    ({"type_share": {"a": {"min": 0.6}, "b": {"min": 0.6}}}, "whole budget"),
    ({"department": {"8": {"min_pen": 1}}}, "8"),
    ({"community_cap_pen": -5}, "community_cap_pen"),
    ({"commitments": [{"community": "080101", "intervention_type": "a", "beneficiaries": 0}]}, "beneficiaries"),
])
def test_malformed_constraints_are_refused_with_a_reason(data, fragment):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ConstraintError) as err:
        constraints_clean(data, type_codes={"a", "b"})
    assert fragment in str(err.value)


def test_constraints_round_trip():
    data = {"type_share": {"a": {"min": 0.1, "max": 0.5}}, "department": {"08": {"min_pen": 10.0, "max_pen": 99.0}},
            "community_cap_pen": 500.0,
            "commitments": [{"community": "080101", "intervention_type": "b", "beneficiaries": 30}]}
    assert constraints_clean(data, type_codes={"a", "b"}).as_dict() == data
    assert constraints_clean({}).empty and constraints_clean(None).empty


@settings(max_examples=60, deadline=None)
@given(curves_st, st.lists(st.floats(0.0, 20000.0), min_size=3, max_size=8, unique=True))
def test_the_budget_curve_is_non_decreasing_and_concave(curves, budgets):
    """The curve's equity-weighted objective: an optimum as a function of the budget."""
    costs, values = _curves(curves[0], curves[1])
    budgets = sorted(budgets)
    cap = [Group(name="community_cap", pieces=np.arange(i * SEG, (i + 1) * SEG), high=800.0)
           for i in range(len(curves[0]))]
    for groups in ([], cap):
        best = np.array([(allocate_constrained(costs, values, b, groups) * values).sum() for b in budgets])
        assert np.all(np.diff(best) >= -1e-6)
        slopes = np.diff(best) / np.diff(budgets)
        gaps = np.diff(budgets)
        ok = gaps > 1e-3  # slopes over vanishing gaps only measure the solver's tolerance
        assert np.all(np.diff(slopes[ok]) <= 1e-6 * max(1.0, slopes[ok].max(initial=0.0))) if ok.sum() > 1 else True


def test_a_department_without_maximum_is_stored_as_json():
    import json

    stored = constraints_clean({"department": {"15": {"min_pen": 1000}}}).as_dict()
    assert json.loads(json.dumps(stored, allow_nan=False)) == {"department": {"15": {"min_pen": 1000.0,
                                                                                     "max_pen": None}}}
    assert constraints_clean(stored).department == {"15": (1000.0, float("inf"))}
