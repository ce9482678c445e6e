"""The optimiser against newsvendor theory: the critical fractile, its cost, and the override's price.

Layers: the analytic case of ANCHORS.md to the fourth decimal; any costs and demand (hypothesis)
against a numerical minimisation of the integrated cost. The policy in the plant against the
newsvendor (level, fill, cost and the override's price, over replications of a scenario) is the
``newsvendor`` case of ``marketsim validate`` (:mod:`tests.test_validate`).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from simulator.policies import optimisation as opt
from simulator.policies.decisions import Costs, decide_stock
from simulator.policies.forecasting import Forecast
from simulator.policies.params import CxBuffer

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


def test_closed_form_helpers_on_edge_cases() -> None:
    assert opt.newsvendor_level(50.0, 0.0, 1.0, 9.0) == 50.0
    assert opt.expected_cost(40.0, 50.0, 0.0, 1.0, 9.0) == 90.0
    assert opt.fill_rate(10.0, 0.0, 3.0) == 1.0
    assert opt.normal_loss(0.0) == pytest.approx(stats.norm.pdf(0.0))
