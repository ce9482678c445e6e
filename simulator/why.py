"""Why a firm did what it did: a run's decision log told in sentences.

Like a shift log in a plant ("day 14: released 300 units; the plan covers the forecast plus one
standard deviation"), each line says on which day a firm decided what, who decided it (rules of
thumb, statistics, the optimiser, or a person overriding it) by which rule, and why, with its
numbers. A decision to do nothing (``hold``) is said as such, never as a missing number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

WHO = {
    "rules": "rule of thumb",
    "data": "statistical forecast",
    "ai": "optimiser",
    "cobot": "optimiser with a human in the loop",
}


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _what(r: Mapping[Any, Any]) -> str:
    act = str(r["action"])
    chosen = _num(r.get("chosen"))
    recommended = _num(r.get("recommended"))
    if act == "release":
        n = int(_num(r.get("released")) or 0)
        return f"released {n:,} units to production" if n else "released nothing to production"
    if act == "hold":
        return "released nothing and waited"
    if act == "capacity":
        if chosen is None:
            return "kept its capacity"
        before = f" (was {recommended:g})" if recommended is not None and recommended != chosen else ""
        return f"set capacity to {chosen:g} shifts a day{before}"
    if act == "price":
        before = (
            f" (was {recommended:,.2f})" if recommended is not None and recommended != chosen else ""
        )
        return f"set its price to {chosen:,.2f}{before}" if chosen is not None else "kept its price"
    if act == "quality":
        before = f" from {recommended:.3f}" if recommended is not None else ""
        return f"raised quality{before} to {chosen:.3f}" if chosen is not None else "kept its quality"
    if act == "marketing":
        return (
            f"held marketing spend back until day {chosen:g}"
            if chosen is not None
            else "changed its marketing"
        )
    return f"{act} {chosen:g}" if chosen is not None else act


def sentence(r: Mapping[Any, Any]) -> str:
    """One decision as a sentence: day, firm, what, who decided by which rule, why."""
    who = WHO.get(str(r.get("decision")), str(r.get("decision")))
    rule = str(r.get("rule") or "")
    override = str(r.get("override") or "")
    how = rule if rule.lower().startswith(who.lower()) else (f"{who}: {rule}" if rule else who)
    if override:
        how += f"; overridden by {override.replace('_', ' ')}"
    reason = str(r.get("reason") or "").strip()
    day = int(r["day"]) if _num(r.get("day")) is not None else int(float(r["time"]))
    text = f"Day {day} (t={float(r['time']):g}): {r['firm']} {_what(r)} ({how})."
    if reason:
        text += f" Why: {reason[0].upper()}{reason[1:]}."
    return text


def explain(
    decisions: pd.DataFrame, firm: str | None = None, day: int | None = None, action: str | None = None
) -> list[str]:
    """The sentences of the decisions matching ``firm``, ``day`` and ``action`` (None: any)."""
    d = decisions
    if firm is not None:
        d = d[d["firm"] == firm]
    if day is not None:
        d = d[d["day"] == day]
    if action is not None:
        d = d[d["action"] == action]
    return [sentence(r) for r in d.to_dict("records")]
