"""The constraints a planner sets on a plan, checked and turned into the optimiser's groups.

A plan's ``constraints`` (JSON, all optional)::

    {"type_share": {"iron_supplementation": {"min": 0.1, "max": 0.5}},   # shares of the budget
     "department": {"08": {"min_pen": 100000, "max_pen": 900000}},          # soles per department
     "community_cap_pen": 50000,                                           # soles per community
     "commitments": [{"community": "080101", "intervention_type": "growth_monitoring_counselling",
                      "beneficiaries": 300}]}                              # people the plan must reach

Allowed types stay the plan's ``intervention_types``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _

from .allocation import Group

__all__ = ["PlanConstraints", "ConstraintError", "constraints_clean", "constraint_groups", "infeasible_message",
           "MSG_INFEASIBLE"]

MSG_NOT_AN_OBJECT = _("Constraints are an object with type_share, department, community_cap_pen and commitments.")
MSG_UNKNOWN_KEY = _("Unknown constraint “%(key)s”: use type_share, department, community_cap_pen or commitments.")
MSG_SHARE = _("A share of the budget is a number from 0 to 1, with min at most max (type %(code)s).")
MSG_UNKNOWN_TYPE = _("“%(code)s” is not an intervention type this plan can use.")
MSG_DEPARTMENT = _("A department is a two-digit UBIGEO code with min_pen at most max_pen, in soles (got %(code)s).")
MSG_CAP = _("community_cap_pen is a positive amount in soles.")
MSG_COMMITMENT = _("Each commitment names a community (UBIGEO), an intervention_type and a whole number of "
                   "beneficiaries of at least 1.")
MSG_SHARES_OVER = _("The minimum shares of the budget add up to more than the whole budget.")
MSG_INFEASIBLE = {
    "type_min": _("The minimum share for %(name)s cannot be met: not enough of it can be bought within the other "
                  "constraints."),
    "type_max": _("The maximum share for %(name)s conflicts with the other constraints (a commitment or a "
                  "minimum)."),
    "department_min": _("The minimum for department %(name)s cannot be met within the other constraints."),
    "department_max": _("The maximum for department %(name)s conflicts with the other constraints (a commitment "
                        "or a minimum)."),
    "community_cap": _("The cap per community conflicts with the commitment in %(name)s."),
    "commitment": _("The commitment of %(beneficiaries)s beneficiaries of %(type)s in %(name)s cannot be kept: "
                    "it is beyond the maximum coverage or conflicts with another constraint."),
    "together": _("The constraints cannot all be met together: relax a minimum or a commitment."),
}


class ConstraintError(ValueError):
    """A constraint is malformed or cannot be met; ``field`` names it."""

    def __init__(self, message, field="constraints"):
        super().__init__(str(message))
        self.field = field


@dataclass
class PlanConstraints:
    type_share: dict[str, tuple[float, float]] = field(default_factory=dict)
    department: dict[str, tuple[float, float]] = field(default_factory=dict)
    community_cap_pen: float | None = None
    commitments: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.type_share or self.department or self.community_cap_pen or self.commitments)

    def as_dict(self) -> dict:
        out = {}
        if self.type_share:
            out["type_share"] = {c: {"min": lo, "max": hi} for c, (lo, hi) in self.type_share.items()}
        if self.department:
            out["department"] = {c: {"min_pen": lo, "max_pen": hi if np.isfinite(hi) else None}
                                 for c, (lo, hi) in self.department.items()}
        if self.community_cap_pen:
            out["community_cap_pen"] = self.community_cap_pen
        if self.commitments:
            out["commitments"] = [{"community": c, "intervention_type": t, "beneficiaries": b}
                                  for c, t, b in self.commitments]
        return out


def _number(value, message, *, minimum=0.0, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConstraintError(message)
    try:
        number = float(value)
    except ValueError:
        raise ConstraintError(message) from None
    if not np.isfinite(number) or number < minimum or (maximum is not None and number > maximum):
        raise ConstraintError(message)
    return number


def constraints_clean(data, *, type_codes=None) -> PlanConstraints:
    """Check a plan's constraints (JSON) and return them; ``ConstraintError`` names what is wrong."""
    if data in (None, ""):
        return PlanConstraints()
    if not isinstance(data, dict):
        raise ConstraintError(MSG_NOT_AN_OBJECT)
    for key in data:
        if key not in ("type_share", "department", "community_cap_pen", "commitments"):
            raise ConstraintError(MSG_UNKNOWN_KEY % {"key": key})
    out = PlanConstraints()
    for key, message in (("type_share", MSG_SHARE % {"code": "—"}), ("department", MSG_DEPARTMENT % {"code": "—"})):
        if not isinstance(data.get(key) or {}, dict):
            raise ConstraintError(message)
    for code, bounds in (data.get("type_share") or {}).items():
        if type_codes is not None and code not in type_codes:
            raise ConstraintError(MSG_UNKNOWN_TYPE % {"code": code})
        if not isinstance(bounds, dict):
            raise ConstraintError(MSG_SHARE % {"code": code})
        low = _number(bounds.get("min", 0), MSG_SHARE % {"code": code}, maximum=1)
        high = _number(bounds.get("max", 1), MSG_SHARE % {"code": code}, maximum=1)
        if low > high:
            raise ConstraintError(MSG_SHARE % {"code": code})
        out.type_share[code] = (low, high)
    if sum(lo for lo, _hi in out.type_share.values()) > 1 + 1e-9:
        raise ConstraintError(MSG_SHARES_OVER)
    for code, bounds in (data.get("department") or {}).items():
        message = MSG_DEPARTMENT % {"code": code}
        if not (isinstance(code, str) and len(code) == 2 and code.isdigit()) or not isinstance(bounds, dict):
            raise ConstraintError(message)
        low = _number(bounds.get("min_pen", 0), message)
        high = _number(bounds.get("max_pen", float("inf")), message) if bounds.get("max_pen") is not None \
            else float("inf")
        if low > high:
            raise ConstraintError(message)
        out.department[code] = (low, high)
    if data.get("community_cap_pen") not in (None, ""):
        out.community_cap_pen = _number(data["community_cap_pen"], MSG_CAP)
        if out.community_cap_pen <= 0:
            raise ConstraintError(MSG_CAP)
    commitments = data.get("commitments") or []
    if not isinstance(commitments, list):
        raise ConstraintError(MSG_COMMITMENT)
    for item in commitments:
        if not isinstance(item, dict) or not isinstance(item.get("community"), str) \
                or not isinstance(item.get("intervention_type"), str):
            raise ConstraintError(MSG_COMMITMENT)
        people = item.get("beneficiaries")
        if isinstance(people, bool) or not isinstance(people, int) or people < 1:
            raise ConstraintError(MSG_COMMITMENT)
        if type_codes is not None and item["intervention_type"] not in type_codes:
            raise ConstraintError(MSG_UNKNOWN_TYPE % {"code": item["intervention_type"]})
        out.commitments.append((item["community"], item["intervention_type"], people))
    return out


def constraint_groups(constraints: PlanConstraints, *, rows, piece_cost, gain, pool, budget, segments):
    """The optimiser's groups for ``rows`` (one (score, type, …) per curve, ``segments``
    pieces each, laid out curve by curve)."""
    groups = []
    curve_pieces = lambda curves: (np.repeat(np.asarray(curves, dtype=int) * segments, segments)  # noqa: E731
                                   + np.tile(np.arange(segments), len(curves)))
    codes = np.array([r[1].code for r in rows])
    departments = np.array([r[0].community.code[:2] for r in rows])
    for code, (low, high) in constraints.type_share.items():
        curves = np.flatnonzero(codes == code)
        groups.append(Group(name="type_min", pieces=curve_pieces(curves), low=low * budget, meta={"name": code}))
        if high < 1:
            groups[-1].high = high * budget
    for code, (low, high) in constraints.department.items():
        curves = np.flatnonzero(departments == code)
        groups.append(Group(name="department_min", pieces=curve_pieces(curves), low=low, high=high,
                            meta={"name": code}))
    if constraints.community_cap_pen:
        communities = np.array([r[0].community.code for r in rows])
        for code in np.unique(communities):
            groups.append(Group(name="community_cap", pieces=curve_pieces(np.flatnonzero(communities == code)),
                                high=constraints.community_cap_pen, meta={"name": code}))
    for community, type_code, people in constraints.commitments:
        curves = [i for i, r in enumerate(rows) if r[0].community.code == community and r[1].code == type_code]
        meta = {"name": community, "type": type_code, "beneficiaries": people}
        if not curves:
            groups.append(Group(name="commitment", pieces=np.zeros(0, dtype=int), low=1.0, meta=meta))
            continue
        i = curves[0]
        # The money that reaches ``people`` along this line's curve (pieces in order).
        need, cost = float(people), 0.0
        for j in range(segments):
            piece_people = gain[i, j] * pool[i]
            if need <= 0 or piece_people <= 0:
                break
            take = min(1.0, need / piece_people)
            cost += take * piece_cost[i, j]
            need -= take * piece_people
        if need > 1e-6:
            cost = float(piece_cost[i].sum()) + 1.0  # beyond the curve: cannot be kept
        groups.append(Group(name="commitment", pieces=curve_pieces([i]), low=cost, meta=meta))
    return groups


def infeasible_message(group) -> str:
    if group is None:
        return str(MSG_INFEASIBLE["together"])
    name = group.name
    if name == "type_min" and np.isfinite(group.high) and group.low == 0:
        name = "type_max"
    if name == "department_min" and group.low == 0:
        name = "department_max"
    return str(MSG_INFEASIBLE[name] % group.meta) if "%(" in str(MSG_INFEASIBLE[name]) else str(MSG_INFEASIBLE[name])
