"""Policies in the market: they act on consumers only through offers, and never see consumers.

- With every firm ethically equal, unlimited capacity and no delays, which policy and decision mode
  each firm runs does not change the consumers' choices at all (common random numbers: the same
  seed gives the same choices, day by day), and equal firms split the market evenly within a
  binomial confidence interval.
- No policy object can reach the population or the model (the graph of references from each policy
  and its feed is searched), and a planted leak is caught.
"""

from __future__ import annotations

import gc
import types
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator.experiments.run import run_once
from simulator.model import MarketModel
from simulator.scenario import parse_scenario
from tests.conftest import tiny_scenario

EQUAL_FACTORY = {
    "unit_time": {"kind": "deterministic", "mean": 0.0},
    "supplier_lead_days": {"kind": "deterministic", "mean": 0.0},
    "initial_stock": 5000,
    "initial_material": 5000,
    "shipping_days": 2.0,
}
ASSIGNMENTS: list[list[dict[str, Any]]] = [
    [{"name": "supplier_centric"}] * 3,
    [
        {"name": "supplier_centric", "decision": "ai", "pricing": "fixed"},
        {"name": "demand_centric", "decision": "cobot", "overrides": ["cx_buffer"]},
        {"name": "demand_centric", "decision": "data", "control": "kanban"},
    ],
    [
        {"name": "demand_centric", "decision": "rules", "buffer": 0},
        {"name": "supplier_centric", "decision": "data", "forecast": "exp_smoothing"},
        {"name": "supplier_centric", "decision": "cobot", "overrides": ["cx_buffer"], "frozen_days": 14},
    ],
]


def _equal_market(policies: list[dict[str, Any]]) -> Any:
    firms = [
        {
            "name": f"F{i}",
            "price": 100.0,
            "quality": 0.7,
            "reputation": 0.7,
            "factory": EQUAL_FACTORY,
            "policy": p,
        }
        for i, p in enumerate(policies)
    ]
    return parse_scenario(
        {"run": {"days": 60, "warmup_days": 10, "seed": 8}, "population": {"size": 3000}, "firms": firms}
    )


def test_policies_do_not_change_choices_when_firms_are_equal_and_supply_is_unlimited() -> None:
    runs = [run_once(_equal_market(a)) for a in ASSIGNMENTS]
    cols = ["day", "firm", "orders", "units_ordered", "market_share", "quoted_days"]
    base = runs[0].timeseries[cols]
    assert base["orders"].sum() > 3000  # a market, not an empty test
    for r, assignment in zip(runs[1:], ASSIGNMENTS[1:], strict=True):
        pd.testing.assert_frame_equal(r.timeseries[cols], base)
        assert r.decisions is not None
        assert set(r.decisions["decision"]) == {p.get("decision", "rules") for p in assignment}
    # the firms are interchangeable: each share within the 99 % binomial interval of 1/3
    m = base[base["day"] >= 10]
    total = int(m["units_ordered"].sum())
    lo, hi = stats.binom.interval(0.99, total, 1 / 3)
    for _, units in m.groupby("firm")["units_ordered"].sum().items():
        assert lo <= units <= hi


def _reachable(root: object, targets: list[object], limit: int = 200_000) -> bool:
    """Whether any of ``targets`` can be reached from ``root`` by following object references."""
    want = {id(t) for t in targets}
    seen: set[int] = set()
    stack = [root]
    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip) or isinstance(obj, np.ndarray):
            continue
        if id(obj) in want:
            return True
        seen.add(id(obj))
        stack.extend(gc.get_referents(obj))
    assert len(seen) < limit, "reference search did not finish"
    return False


def test_policies_cannot_reach_consumers_or_the_model() -> None:
    s = tiny_scenario(
        **{
            "firms.0.policy.decision": "ai",
            "firms.1.policy": {
                "name": "demand_centric",
                "decision": "cobot",
                "overrides": ["cx_buffer"],
            },
        }
    )
    model = MarketModel(s, seed=2)
    model.run(20)
    for firm in model.firms:
        policy = firm.policy
        assert policy is not None
        assert not _reachable(policy, [model.population, model])
        assert not _reachable(policy.feed, [model.population, model])  # type: ignore[attr-defined]
    # the search is not blind: a planted reference is found
    leaky = model.firms[1].policy
    leaky.leak = {"hidden": [model.population]}  # type: ignore[union-attr]
    assert _reachable(leaky, [model.population])


def test_kind_codes_follow_the_event_log() -> None:
    """The policies' copy of the log's kind codes (kept to avoid importing the market) cannot drift."""
    from simulator.market.eventlog import EventKind
    from simulator.policies.sensing import KIND_CODES

    for name, code in KIND_CODES.items():
        assert EventKind[name.upper()] == code


def test_sensed_forecast_is_exactly_what_the_event_log_shows() -> None:
    """Every release decision's forecast is the sensing regression recomputed from the event log's
    public and own counts (independently: numpy least squares on the augmented system)."""
    from simulator.market.eventlog import EventKind
    from simulator.policies.sensing import PRIOR_DAYS

    prior = {"purchase": 1.0, "boycott_announce": -0.5, "buycott_announce": 0.5}
    s = tiny_scenario(
        **{
            "run.days": 30,
            "firms.1.policy": {"name": "demand_centric", "decision": "data", "sensing_days": 7},
            "events": [{"kind": "scandal", "day": 5, "firm": "Pull", "magnitude": 0.5}],
        }
    )
    model = MarketModel(s, seed=5)
    model.run()
    log = model.event_log
    w = 7
    checked = fitted = 0
    for e in model.firms[1].policy.decisions:  # type: ignore[union-attr]
        if e["action"] != "release":
            continue
        d = e["day"]
        x = {k: log.daily_counts(EventKind[k.upper()], 1, 0, d).astype(float) for k in prior}
        means = {
            k: np.array([v[max(0, t - w + 1) : t + 1].mean() for t in range(d + 1)])
            for k, v in x.items()
        }
        rows = d + 1 - w
        beta = np.array([0.0, *prior.values()])
        if rows >= 1:
            xs = np.column_stack([np.ones(rows), *(means[k][:rows] for k in prior)])
            ys = means["purchase"][w : w + rows]
            lam = np.sqrt(PRIOR_DAYS * np.maximum((xs**2).mean(axis=0), 1e-9))
            aug_x = np.vstack([xs, np.diag(lam)])
            aug_y = np.concatenate([ys, lam * beta])
            beta = np.linalg.lstsq(aug_x, aug_y, rcond=None)[0]
            fitted += 1
        first = max(d - w + 1, 0)
        daily = beta[0] + sum(b * x[k][first:] for b, k in zip(beta[1:], prior, strict=True))
        assert e["inputs"]["forecast_mean"] == pytest.approx(np.maximum(daily, 0.0).mean())
        checked += 1
    assert checked == 30 and fitted > 15
    assert log.daily_counts(EventKind.PURCHASE, 1, 0, 29).sum() > 0
    assert log.daily_counts(EventKind.BOYCOTT_ANNOUNCE, 1, 0, 29).sum() > 0
