"""The optimiser: pieces of cost-coverage curves, bought to maximise their value.

With the budget as the only constraint the problem ``max Σ v·x  s.t.  Σ c·x ≤ B,
0 ≤ x ≤ 1`` is a fractional knapsack: taking pieces in decreasing value per sol and a
fraction of the first that does not fit is optimal (the exchange argument), and more
budget takes a longer prefix of the same order. With the constraints planners set
(shares of the budget per type, amounts per department, a cap per community, commitments
the plan must keep) it is a linear programme, solved exactly by SciPy's HiGHS.

Inside one curve the pieces' values per sol strictly decrease, and every constraint sums
whole lines (a line, its type, its department, its community), so moving money to an
earlier piece of the same line keeps every constraint and adds value: the LP's optimum
also fills each curve from its start.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["Group", "Infeasible", "allocate", "allocate_constrained", "segment_table"]

REACH = 0.95  # the curve is followed up to 95% of the gap to the maximum coverage


def segment_table(c0, cmax, pool, unit_cost, segments):
    """Per curve: cumulative spending and coverage at each segment's end, shape (k, segments)."""
    c0, pool, unit_cost = (np.asarray(a, dtype=float) for a in (c0, pool, unit_cost))
    gap = np.maximum(cmax - c0, 0.0)
    scale = gap * pool * unit_cost
    fractions = REACH * np.arange(1, segments + 1) / segments
    coverage = c0[:, None] + gap[:, None] * fractions[None, :]
    spend = -scale[:, None] * np.log1p(-fractions)[None, :]
    return spend, coverage


def allocate(costs, values, budget):
    """Greedy fractional knapsack over pieces; returns the fraction taken of each piece.

    ``costs`` and ``values`` are 1-D; the order is by value per sol, then by index, so
    the result is deterministic. Pieces with no value or no cost are never bought.
    """
    costs = np.asarray(costs, dtype=float)
    values = np.asarray(values, dtype=float)
    taken = np.zeros(len(costs))
    if budget <= 0 or len(costs) == 0:
        return taken
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where((costs > 0) & (values > 0), values / costs, -1.0)
    order = np.lexsort((np.arange(len(costs)), -ratio))
    order = order[ratio[order] > 0]
    cumulative = np.cumsum(costs[order])
    full = cumulative <= budget
    taken[order[full]] = 1.0
    n_full = int(full.sum())
    if n_full < len(order):
        left = budget - (cumulative[n_full - 1] if n_full else 0.0)
        nxt = order[n_full]
        taken[nxt] = max(0.0, min(1.0, left / costs[nxt]))
    return taken


@dataclass
class Group:
    """A constraint on the money spent on some pieces: ``low ≤ Σ cost·x ≤ high``.
    ``name`` says which constraint it is, for the message when it cannot be met."""

    name: str
    pieces: np.ndarray
    low: float = 0.0
    high: float = float("inf")
    meta: dict = field(default_factory=dict)


class Infeasible(ValueError):
    """No allocation meets the constraints; ``group`` is the one that conflicts (None when
    only several together do)."""

    def __init__(self, group: Group | None):
        super().__init__(group.name if group else "")
        self.group = group


def _solve(costs, values, budget, groups):
    n = len(costs)
    row_ids, cols, data, bounds = [], [], [], []

    def add_row(pieces, sign, bound):
        row_ids.append(np.full(len(pieces), len(bounds)))
        cols.append(pieces)
        data.append(sign * costs[pieces])
        bounds.append(sign * bound)

    for group in groups:
        pieces = np.asarray(group.pieces, dtype=int)
        if np.isfinite(group.high):
            add_row(pieces, 1.0, group.high)
        if group.low > 0:
            add_row(pieces, -1.0, group.low)
    add_row(np.arange(n), 1.0, budget)
    matrix = sparse.csr_array((np.concatenate(data), (np.concatenate(row_ids), np.concatenate(cols))),
                              shape=(len(bounds), n))
    # Pieces without value may still be needed to meet a minimum; they add nothing to the
    # objective, so they are bought only then.
    usable = (costs > 0) & (values > 0)
    upper = np.where(costs > 0, 1.0, 0.0)
    # HiGHS's presolve spends ~14 s on the national problem (56,000 pieces, one dense budget
    # row) for nothing it could remove; the simplex alone takes ~2 s (benchmarks/plan_bench.py).
    return linprog(-np.where(usable, values, 0.0), A_ub=matrix, b_ub=np.array(bounds),
                   bounds=np.column_stack([np.zeros(n), upper]), method="highs",
                   options={"presolve": False})


def allocate_constrained(costs, values, budget, groups):
    """The LP optimum under ``groups`` (each a ``Group``) and the budget; the greedy's own
    answer when there is no group. Raises ``Infeasible`` naming a conflicting group."""
    costs = np.asarray(costs, dtype=float)
    values = np.asarray(values, dtype=float)
    if not groups:
        return allocate(costs, values, budget)
    if len(costs) == 0:
        if any(g.low > 0 for g in groups):
            raise Infeasible(next(g for g in groups if g.low > 0))
        return np.zeros(0)
    for group in groups:
        if group.low > costs[np.asarray(group.pieces, dtype=int)].sum() * (1 + 1e-9) + 1e-9:
            raise Infeasible(group)  # more than all its pieces together cost
    result = _solve(costs, values, budget, groups)
    if result.status == 2:  # infeasible: find a group whose removal makes it feasible
        for group in groups:
            rest = [g for g in groups if g is not group]
            if _solve(costs, values, budget, rest).status == 0:
                raise Infeasible(group)
        raise Infeasible(None)
    if result.status != 0:
        raise RuntimeError(f"HiGHS: {result.message}")
    return np.clip(result.x, 0.0, 1.0)
