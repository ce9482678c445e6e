"""The optimiser against newsvendor theory: the critical fractile, its cost, and the override's price.

Layers: the analytic case of ANCHORS.md to the fourth decimal; any costs and demand (hypothesis)
against a numerical minimisation of the integrated cost; and a Monte Carlo newsvendor over
independent replications, whose mean cost and fill rate must fall within the Student-t interval of
the closed form (plus a 0.5 % relative allowance for the finite sample).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from simulator.policies import optimisation as opt
from simulator.policies.decisions import Costs, decide_stock
from simulator.policies.forecasting import Forecast
from simulator.policies.params import CxBuffer
from simulator.rng import replication_seeds

REL = 0.005


def _decide(mode: str, mean: float, sd: float, h: float, b: float, extra_sd: float = 1.0) -> dict:
    dec = decide_stock(
        mode,
        Forecast(mean, sd, "given"),
        safety_factor=0.0,
        service_level=0.5,
        costs=Costs(h, b),
        overrides=["cx_buffer"] if mode == "cobot" else [],
        cx=CxBuffer(extra_sd=extra_sd),
    )
    return {"level": dec.level, "recommended": dec.recommended, **dec.inputs, "override": dec.override}


def test_ai_recovers_the_analytic_newsvendor_optimum() -> None:
    d = _decide("ai", 120.0, 10.0, 2.0, 18.0)
    assert d["level"] == pytest.approx(132.8155, abs=5e-5)
    assert d["expected_cost"] == pytest.approx(35.0997, abs=5e-5)
    assert d["critical_ratio"] == pytest.approx(0.9)


def _integrated_cost(s: float, mu: float, sigma: float, h: float, b: float) -> float:
    def f(x: float) -> float:
        return (h * max(s - x, 0.0) + b * max(x - s, 0.0)) * stats.norm.pdf(x, mu, sigma)

    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    return float(integrate.quad(f, lo, hi, points=[s], limit=200)[0])


@settings(max_examples=25, deadline=None)
@given(
    h=st.floats(0.1, 50.0),
    b=st.floats(0.1, 50.0),
    mu=st.floats(1.0, 1000.0),
    cv=st.floats(0.02, 0.5),
)
def test_ai_level_minimises_the_integrated_cost_for_any_parameters(
    h: float, b: float, mu: float, cv: float
) -> None:
    sigma = mu * cv
    d = _decide("ai", mu, sigma, h, b)
    best = optimize.minimize_scalar(
        _integrated_cost,
        bounds=(mu - 6 * sigma, mu + 6 * sigma),
        args=(mu, sigma, h, b),
        method="bounded",
        options={"xatol": 1e-6 * sigma},
    )
    assert d["level"] == pytest.approx(best.x, abs=2e-3 * sigma)
    # closed form at the optimum: (h + b) sigma phi(z*), and equal to the integral
    z = (d["level"] - mu) / sigma
    assert d["expected_cost"] == pytest.approx((h + b) * sigma * stats.norm.pdf(z), rel=1e-9)
    assert d["expected_cost"] == pytest.approx(_integrated_cost(d["level"], mu, sigma, h, b), rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(h=st.floats(0.1, 50.0), b=st.floats(0.1, 50.0), extra=st.floats(0.1, 3.0))
def test_cx_buffer_costs_what_the_closed_form_says(h: float, b: float, extra: float) -> None:
    mu, sigma = 120.0, 10.0
    d = _decide("cobot", mu, sigma, h, b, extra)
    assert d["override"] == "cx_buffer"
    assert d["level"] == pytest.approx(d["recommended"] + extra * sigma)
    integrated = _integrated_cost(d["level"], mu, sigma, h, b) - _integrated_cost(
        d["recommended"], mu, sigma, h, b
    )
    assert d["override_extra_cost"] == pytest.approx(integrated, rel=1e-6, abs=1e-9)
    assert d["override_extra_cost"] > 0.0  # the optimum is unique: any move away costs
    assert d["fill_rate_chosen"] > d["fill_rate_recommended"]


def _t_interval(x: np.ndarray) -> tuple[float, float]:
    m = float(x.mean())
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return m - half, m + half


def _covers(x: np.ndarray, target: float) -> bool:
    lo, hi = _t_interval(x)
    return lo - REL * abs(target) <= target <= hi + REL * abs(target)


def test_simulated_newsvendor_matches_closed_form_cost_fill_rate_and_override_price() -> None:
    """20 replications of 20,000 days of N(120, 10) demand; the same days for both levels (CRN)."""
    mu, sigma, h, b = 120.0, 10.0, 2.0, 18.0
    d = _decide("cobot", mu, sigma, h, b, extra_sd=1.0)
    s_opt, s_cx = d["recommended"], d["level"]
    costs, extra, fill_opt, fill_cx = [], [], [], []
    for seed in replication_seeds(2026, 20):
        demand = np.random.default_rng(seed).normal(mu, sigma, 20_000)

        def cost(s: float, demand: np.ndarray = demand) -> np.ndarray:
            return h * np.maximum(s - demand, 0) + b * np.maximum(demand - s, 0)

        costs.append(cost(s_opt).mean())
        extra.append((cost(s_cx) - cost(s_opt)).mean())
        fill_opt.append(np.minimum(demand, s_opt).sum() / demand.sum())
        fill_cx.append(np.minimum(demand, s_cx).sum() / demand.sum())
    assert _covers(np.array(costs), 35.0997)
    assert _covers(np.array(extra), d["override_extra_cost"])
    assert _covers(np.array(fill_opt), d["fill_rate_recommended"])
    assert _covers(np.array(fill_cx), d["fill_rate_chosen"])
    # the override buys a higher fill rate: every replication agrees (paired)
    assert (np.array(fill_cx) > np.array(fill_opt)).all()


def test_closed_form_helpers_on_edge_cases() -> None:
    assert opt.newsvendor_level(50.0, 0.0, 1.0, 9.0) == 50.0
    assert opt.expected_cost(40.0, 50.0, 0.0, 1.0, 9.0) == 90.0
    assert opt.fill_rate(10.0, 0.0, 3.0) == 1.0
    assert opt.normal_loss(0.0) == pytest.approx(stats.norm.pdf(0.0))


def _rounded_normal_shortage(level: int, mu: float, sigma: float) -> float:
    """E[(round(X) - level)+] for X ~ N(mu, sigma): the shortage of integer orders, exactly."""
    k = np.arange(level + 1, int(mu + 12 * sigma))
    p = stats.norm.cdf(k + 0.5, mu, sigma) - stats.norm.cdf(k - 0.5, mu, sigma)
    return float(((k - level) * p).sum())


def test_ai_policy_in_the_plant_is_the_newsvendor() -> None:
    """Daily review, no lead time: each day's orders meet exactly the stock the optimiser chose.

    Demand N(120, 10) rounded to units; holding 2, shortage 18. Per replication, the day's units not
    filled from stock are compared with the exact expected shortage at the level the policy set the
    evening before (paired); the mean level is compared with S* = 132.8155 (estimation error only).
    """
    from tests.policy_harness import drive, make_firm

    mu, sigma, warm, days = 120.0, 10.0, 60, 400
    spec = {
        "factory": {
            "unit_time": {"kind": "deterministic", "mean": 0.0},
            "supplier_lead_days": {"kind": "deterministic", "mean": 0.0},
            "initial_stock": 133,
        },
        "policy": {
            "name": "supplier_centric",
            "decision": "ai",
            "review_days": 1,
            "lead_time_days": 0,
            "min_lot": 0,
            "forecast_window": 365,
            "holding_cost": 2.0,
            "shortage_cost": 18.0,
        },
    }
    diffs, levels, theory_mean = [], [], []
    for seed in replication_seeds(77, 8):
        demand = np.maximum(np.rint(np.random.default_rng(seed).normal(mu, sigma, days)), 0).astype(int)
        firm, env = make_firm(spec, seed=1)
        records = drive(firm, env, demand, check_every=100)
        by_day = {e["day"]: e for e in firm.policy.decisions if e["action"] == "release"}
        short, theory = [], []
        for d in range(warm, days):
            stock = by_day[d - 1]["inputs"]["inventory_position"] + by_day[d - 1]["released"]
            short.append(records[d].units_ordered - records[d].filled_from_stock)
            theory.append(_rounded_normal_shortage(stock, mu, sigma))
        diffs.append(np.mean(short) - np.mean(theory))
        theory_mean.append(np.mean(theory))
        levels.append(np.mean([by_day[d]["inputs"]["order_up_to"] for d in range(warm, days)]))
    lo, hi = _t_interval(np.array(diffs))
    allowance = REL * 4 * float(np.mean(theory_mean))  # 2 % of the expected shortage
    assert lo - allowance <= 0.0 <= hi + allowance
    assert _covers(np.array(levels), 132.8155)
