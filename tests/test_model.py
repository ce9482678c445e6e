"""The coupled day loop: determinism, the documented order of events, conservation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.experiments.run import run_once
from simulator.firms.invariants import check_firm
from simulator.model import MarketModel
from tests.conftest import tiny_scenario


def test_same_seed_same_series_other_seed_differs() -> None:
    s = tiny_scenario()
    a = run_once(s, seed=7).timeseries
    b = run_once(s, seed=7).timeseries
    c = run_once(s, seed=8).timeseries
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_consumer_agents_are_views_on_columns(tiny) -> None:  # type: ignore[no-untyped-def]
    m = MarketModel(tiny)
    assert len(m.agents) == tiny.population.size
    agent = m.agents[10]
    m.population.delay_tolerance[agent.row] = 4.25
    assert agent.delay_tolerance == 4.25


def test_completion_at_day_start_fills_that_days_orders() -> None:
    """A batch finishing at exactly t = d is in stock before day d's purchases."""
    s = tiny_scenario(
        **{
            "firms.1.factory.initial_stock": 0,
            "firms.1.factory.unit_time": {"kind": "deterministic", "mean": 0.5},
            "firms.1.policy.buffer": 0,
        }
    )
    m = MarketModel(s, seed=1)
    pull = m.firms[1]
    pull.release(0, 2)  # two units at 0.5 days each: complete at exactly t = 1.0
    m.step()
    assert pull.orders.n == 0  # nobody's need falls due at t = 0
    m.step()
    assert (1.0, "complete", 0, 2) in pull.plant.log
    day1 = np.flatnonzero(pull.orders.placed == 1.0)
    assert len(day1) >= 2
    # completion first, purchases second: the day's first two orders ship from stock at once
    assert pull.orders.from_stock[day1[:2]].all()
    assert (pull.orders.filled[day1[:2]] == 1.0).all()
    assert not pull.orders.from_stock[day1[2:]].any()


def test_review_runs_after_the_days_purchases() -> None:
    """The demand-centric review at d + 0.5 releases exactly day d's orders (buffer 0)."""
    s = tiny_scenario(**{"firms.1.factory.initial_stock": 0, "firms.1.policy.buffer": 0})
    m = MarketModel(s, seed=2)
    pull = m.firms[1]
    for _ in range(6):
        m.step()
    ordered = [int(pull.orders.qty[pull.orders.placed == d].sum()) for d in range(6)]
    assert sum(ordered) > 0
    assert [dec["time"] for dec in pull.policy.decisions] == [d + 0.5 for d in range(6)]
    assert [dec["released"] for dec in pull.policy.decisions] == ordered


def test_same_time_events_follow_scheduling_order() -> None:
    """A review and a material receipt at the same instant run in the order they were scheduled.

    The review at 14.5 was scheduled at 7.5 by the review before it; the material it ordered at
    7.5 was scheduled after that, so at 14.5 the review comes first and sees the material still
    on order.
    """
    s = tiny_scenario(
        **{
            "firms.0.factory.supplier_lead_days": {"kind": "deterministic", "mean": 7.0},
            "firms.0.policy.review_days": 7,
        }
    )
    m = MarketModel(s, seed=3)
    push = m.firms[0]
    for _ in range(16):
        m.step()
    at = [what for t, what, _, _ in push.plant.log if t == 14.5]
    assert at[0] == "review"
    assert "material" in at
    assert at.index("review") < at.index("material")


def test_conservation_holds_every_day() -> None:
    s = tiny_scenario(**{"run.days": 60})
    m = MarketModel(s, seed=11)
    for _ in range(60):
        m.step()
        for f in m.firms:
            check_firm(f)
    for f in m.firms:
        o = f.orders
        filled = ~np.isnan(o.filled)
        produced = f.plant.units_completed
        sold = int(o.qty[filled].sum())
        assert produced + f.spec.factory.initial_stock == sold + int(f.on_hand.sum())
        assert o.n == filled.sum() + o.open_count() + (~np.isnan(o.cancelled)).sum()
        assert (f.on_hand >= 0).all()
