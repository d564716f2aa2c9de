"""Properties of the allocation and the LiST arithmetic (pure functions, no database)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from modeling.services.allocation import allocate, segment_table
from modeling.services.impact import combined_reduction
from modeling.services.planning import SEGMENTS

# Money in soles (a cent at least, or nothing) and cases averted (a thousandth at least, or none):
# sub-cent costs only test the LP solver's tolerances, not the plan.
costs_st = st.one_of(st.just(0.0), st.floats(0.01, 5000.0, allow_nan=False))
values_st = st.one_of(st.just(0.0), st.floats(0.001, 50.0, allow_nan=False))
pieces = st.lists(st.tuples(costs_st, values_st), min_size=0, max_size=40)
budgets = st.floats(0.0, 100000.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(pieces, budgets)
def test_budget_respected_and_no_negative_allocations(items, budget):
    costs = np.array([c for c, _v in items])
    values = np.array([v for _c, v in items])
    taken = allocate(costs, values, budget)
    assert np.all(taken >= 0) and np.all(taken <= 1)
    assert float((taken * costs).sum()) <= budget + 1e-6 * max(1.0, budget)


@settings(max_examples=200, deadline=None)
@given(pieces, budgets, st.floats(0.0, 50000.0, allow_nan=False))
def test_more_budget_never_averts_fewer_cases(items, budget, extra):
    costs = np.array([c for c, _v in items])
    values = np.array([v for _c, v in items])
    less = (allocate(costs, values, budget) * values).sum()
    more = (allocate(costs, values, budget + extra) * values).sum()
    assert more >= less - 1e-9


@settings(max_examples=60, deadline=None)
@given(pieces.filter(lambda x: len(x) > 0), budgets)
def test_greedy_is_optimal_against_linear_programming(items, budget):
    costs = np.array([c for c, _v in items])
    values = np.array([v for _c, v in items])
    usable = (costs > 0) & (values > 0)
    greedy = (allocate(costs, values, budget) * values).sum()
    if not usable.any():
        assert greedy == 0
        return
    res = linprog(-values[usable], A_ub=[costs[usable]], b_ub=[budget], bounds=[(0, 1)] * int(usable.sum()),
                  method="highs")
    assert res.status == 0
    assert greedy == pytest.approx(-res.fun, rel=1e-7, abs=1e-7)


def test_allocation_is_deterministic_with_ties():
    costs = np.array([10.0, 10.0, 10.0])
    values = np.array([5.0, 5.0, 5.0])
    first = allocate(costs, values, 15.0)
    assert list(first) == [1.0, 0.5, 0.0]
    assert list(allocate(costs, values, 15.0)) == list(first)


def test_coverage_saturates():
    spend, coverage = segment_table([0.2], 0.9, [1000.0], [30.0], SEGMENTS)
    piece_cost = np.diff(spend[0], prepend=0.0)
    gain = np.diff(coverage[0], prepend=0.2)
    per_sol = gain / piece_cost
    assert spend.shape == (1, SEGMENTS)
    assert np.all(np.diff(per_sol) < 0)  # returns diminish
    assert coverage[0, -1] < 0.9 and coverage[0, -1] == pytest.approx(0.2 + 0.95 * 0.7)
    # The first sol buys coverage at the catalogue's unit cost.
    assert per_sol[0] < 1 / (1000 * 30) and per_sol[0] > 0.8 / (1000 * 30)


def test_multiplicative_combination():
    assert combined_reduction([0.2, 0.5]) == pytest.approx(1 - 0.8 * 0.5)
    assert combined_reduction([0.2, 0.5]) <= 0.2 + 0.5
