"""Inventory theory on the plant: base-stock fill rate and the bullwhip effect of order-up-to.

- A make-to-stock M/M/1 stage with base stock S and one-for-one replenishment fills a share
  1 - rho^S of demands from stock (the units on order are the number in an M/M/1 queue, and a demand
  finds stock when fewer than S are on order).
- Order-up-to on a p-day moving-average forecast with i.i.d. demand (Chen, Drezner, Ryan and
  Simchi-Levi 2000): Var(q)/Var(D) = 1 + 2L/p + 2L^2/p^2, where L is the number of days of demand
  the level covers. In this simulator L = ``lead_time_days + review_days`` of the supplier-centric
  policy (:meth:`SupplierCentric.cover_days`): a daily review (R = 1) plus the planned lead time.
  The plant's real lead time does not enter: orders act on inventory position, so q_t = y_t -
  y_{t-1} + D (no safety stock, orders never negative at these parameters).

  Timing matters: the review at d + 0.5 sees day d's orders. Chen's rule forecasts from the demand
  just observed (:meth:`Firm.sales_history`); a rule that forecasts only from closed days lags one
  day, loses the covariance term and gives 1 + 2L^2/p^2 instead. Both are checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.demand import daily_table, generate_daily
from simulator.factory_mode import FactoryRun
from simulator.firms.firm import Firm
from simulator.policies.params import SupplierCentricParams
from simulator.policies.supplier_centric import SupplierCentric
from simulator.rng import Streams
from simulator.scenario import parse_scenario
from tests.plant_harness import assert_agrees, base_stock_firm, exp_stage, replications


def _base_stock(n: int, horizon: float) -> None:
    rho, s = 0.8, 5
    fills = [
        base_stock_firm([exp_stage(1, 1.0)], s, rho, horizon, 500.0, r) for r in replications(404, n)
    ]
    assert_agrees("base stock fill rate", fills, 1 - rho**s, 0.01, max_half=0.05)


def test_make_to_stock_fill_rate_is_one_minus_rho_to_the_s() -> None:
    """rho = 0.8, S = 5: fill rate 1 - 0.8^5 = 0.6723."""
    _base_stock(n=10, horizon=8_000.0)


@pytest.mark.long
def test_make_to_stock_fill_rate_long() -> None:
    _base_stock(n=30, horizon=40_000.0)


class ChenOrderUpTo(SupplierCentric):
    """The policy's own order-up-to level on the sales history including the day just observed."""

    def review(self, firm: Firm) -> None:
        level, _, _ = self.order_up_to(firm, firm.sales_history())
        gap = level - firm.inventory_position()
        if gap > 0:
            firm.release(0, int(np.ceil(gap)))


class LaggedOrderUpTo(SupplierCentric):
    """The same rule forecasting from closed days only (one day behind)."""

    def review(self, firm: Firm) -> None:
        if not firm.demand_history:
            return
        level, _, _ = self.order_up_to(firm, firm.demand_history)
        gap = level - firm.inventory_position()
        if gap > 0:
            firm.release(0, int(np.ceil(gap)))


SCENARIO = parse_scenario(
    {
        "run": {"days": 100, "warmup_days": 50},
        "firms": [
            {
                "name": "F",
                "factory": {
                    "unit_time": {"kind": "deterministic", "mean": 0.0005},
                    "initial_stock": 1000,
                    "initial_material": 5000,
                    "supplier_lead_days": {"kind": "deterministic", "mean": 1.0},
                },
            }
        ],
    }
)


def _bullwhip(kind: type[SupplierCentric], lead: float, p: int, seed: int, days: int) -> float:
    params = SupplierCentricParams(
        review_days=1, lead_time_days=lead, forecast_window=p, safety_factor=0.0, min_lot=0
    )
    units = generate_daily("normal", days, Streams(seed).get("demand"), mean=200.0, sd=20.0)
    policy = kind(params, np.random.default_rng(0))
    run = FactoryRun(SCENARIO, "F", daily_table(units), seed=seed, policy=policy)
    run.run(days)
    ts = run.timeseries()
    m = ts[ts["day"] >= 50]
    return float(m["released"].var(ddof=1) / m["units_ordered"].var(ddof=1))


@pytest.mark.parametrize(("lead", "p"), [(1.0, 5), (2.0, 4)])
def test_order_up_to_on_moving_average_gives_chen_bullwhip(lead: float, p: int) -> None:
    """L = lead + review: L = 2, p = 5 gives 2.12; L = 3, p = 4 gives 3.625."""
    big_l = lead + 1
    ratios = [_bullwhip(ChenOrderUpTo, lead, p, 500 + k, 900) for k in range(8)]
    chen = 1 + 2 * big_l / p + 2 * big_l**2 / p**2
    assert_agrees(f"bullwhip L={big_l:g} p={p}", ratios, chen, 0.01, max_half=0.05)


def test_forecast_one_day_behind_loses_the_covariance_term() -> None:
    """The lagged rule: 1 + 2L^2/p^2 = 1.32 at L = 2, p = 5 (not Chen's 2.12)."""
    ratios = [_bullwhip(LaggedOrderUpTo, 1.0, 5, 600 + k, 900) for k in range(6)]
    assert_agrees("lagged bullwhip L=2 p=5", ratios, 1 + 2 * 4 / 25, 0.01, max_half=0.05)
