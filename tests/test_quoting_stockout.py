"""Measured lead times, quotes from the pipeline, stock-outs at booking, the optimiser's costs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_harness import drive, make_firm

from simulator.market.choice import Offers
from simulator.market.stockout import book_day
from simulator.policies.base import WALKAWAY_PRIOR, unit_margin, walkaway_share
from simulator.policies.measure import cover_sd, measured_lead_time
from simulator.scenario import load_scenario

PUSH = {"name": "supplier_centric", "review_days": 7, "min_lot": 0, "safety_factor": 2.0}


def test_measured_lead_time_is_the_unit_weighted_release_to_finish_time() -> None:
    # deterministic unit times and supplier lead: a batch of q released at r finishes at
    # r + 3 (material) + q * 0.01 (processing), so the measured lead time is known exactly
    spec = {
        "factory": {
            "initial_material": 0,
            "initial_stock": 0,
            "supplier_lead_days": {"kind": "deterministic", "mean": 3.0},
            "unit_time": {"kind": "deterministic", "mean": 0.01},
        },
        "policy": {**PUSH, "lead_time_days": 1.0},
    }
    firm, env = make_firm(spec)
    firm.release(0, 10)
    env.run(until=1.0)
    firm.release(0, 30)
    env.run(until=10.0)
    lead = measured_lead_time(firm, window=28, batch=10)
    flows = np.array([3.0 + 0.1, 3.0 + 0.3])  # each waits 3 days for its own material
    assert lead.batches == 2
    assert lead.mean == pytest.approx(np.average(flows, weights=[10, 30]))
    assert lead.sd == pytest.approx(np.sqrt(np.average((flows - lead.mean) ** 2, weights=[10, 30])))


def test_before_any_batch_finishes_the_planner_uses_the_prior() -> None:
    firm, _ = make_firm({"policy": PUSH})
    lead = measured_lead_time(firm, window=28, batch=250)
    assert lead.batches == 0 and lead.source.startswith("prior")
    assert lead.mean == pytest.approx(3.0 + 250 / firm.plant.capacity_per_day)


def test_cover_sd_adds_lead_time_spread() -> None:
    assert cover_sd(10.0, 2.0, 9.0, 0.0) == pytest.approx(6.0)
    assert cover_sd(10.0, 0.0, 9.0, 0.5) == pytest.approx(5.0)


def test_push_plans_on_the_measured_lead_time_not_a_wrong_constant() -> None:
    # the supplier takes 6 days; a planner told "1 day" runs out, one that measures does not
    base = {
        "factory": {
            "initial_stock": 100,
            "supplier_lead_days": {"kind": "deterministic", "mean": 6.0},
            "initial_material": 0,
        },
    }
    fills = {}
    for name, lead in (("given", 1.0), ("measured", None)):
        firm, env = make_firm({**base, "policy": {**PUSH, "lead_time_days": lead}})
        days = drive(firm, env, [20] * 120, check_every=30)
        late = days[40:]
        fills[name] = sum(r.filled_from_stock for r in late) / sum(r.orders for r in late)
    assert fills["measured"] > 0.9 and fills["given"] < fills["measured"] - 0.2, fills


def test_a_firm_with_stock_quotes_the_shipping_time_and_one_without_quotes_its_pipeline() -> None:
    spec = {
        "factory": {"initial_stock": 50, "shipping_days": 2.0},
        "policy": {**PUSH, "lead_time_days": 4.0},
    }
    firm, env = make_firm(spec)
    env.run(until=1.0)
    assert firm.policy.quote_for(firm, 10) == 2.0
    # 60 units needed beyond 50 on the shelf, nothing in the plant: the next review is at 7.5,
    # the batch due 4 days later; no error history yet and a given lead time has no spread
    q = firm.policy.quote_for(firm, 60)
    assert q == math.floor(7.5 + 4.0 + 2.0) - 1


def test_quotes_meet_their_reliability_by_calendar_day_on_the_baseline() -> None:
    from simulator.experiments.run import run_once

    sc = load_scenario("scenarios/baseline.toml").with_overrides(
        {"run.days": 150, "run.warmup_days": 50, "population.size": 3000}
    )
    res = run_once(sc, seed=3, agents=False)
    for firm, k in res.summary["firms"].items():
        assert k["otif"] >= 0.95, firm


def _offers(quotes: list[float]) -> Offers:
    n = len(quotes)
    return Offers(
        price=np.full(n, 100.0),
        ethics=np.full((n, 3), 0.5),
        quality=np.full(n, 0.7),
        quoted_days=np.array(quotes, dtype=float),
        available=np.ones(n, dtype=bool),
    )


def test_booking_fills_from_the_shelf_first_come_and_requotes_the_rest() -> None:
    offers = _offers([2.0, 3.0])
    choice = np.array([0, 0, 0, 1])
    arrival = np.array([2, 0, 1, 3])  # shopper 1 comes first, then 2, then 0
    calls = []

    def rechoose(rows: np.ndarray, o: Offers) -> np.ndarray:
        calls.append((rows.tolist(), o.quoted_days.tolist()))
        return np.array([0 if r == 2 else 1 for r in rows])  # shopper 2 waits, 0 switches

    b = book_day(
        offers, choice, arrival, shelf=np.array([1, 0]), requote=np.array([6.0, 3.0]), rechoose=rechoose
    )
    assert calls == [([2, 0], [6.0, 3.0])]
    assert b.choice.tolist() == [1, 0, 0, 1]
    assert b.quote.tolist() == [3.0, 2.0, 6.0, 3.0]
    assert b.stocked_out[:, 0].tolist() == [True, False, True, False]
    assert b.turned_away.tolist() == [1, 0] and b.went_without.tolist() == [0, 0]


def test_a_requote_no_later_than_the_day_quote_changes_nothing() -> None:
    offers = _offers([5.0])

    def never(rows: np.ndarray, o: Offers) -> np.ndarray:
        raise AssertionError("nobody should choose again")

    b = book_day(offers, np.array([0, 0, 0]), np.arange(3), np.array([0]), np.array([5.0]), never)
    assert b.choice.tolist() == [0, 0, 0] and not b.stocked_out.any()


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    shelves=st.lists(st.integers(0, 10), min_size=3, max_size=3),
    seed=st.integers(0, 10_000),
)
def test_booking_never_fills_more_than_the_shelf_and_counts_every_lost_shopper(
    n: int, shelves: list[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    offers = _offers([2.0, 2.0, 3.0])
    choice = rng.integers(-1, 3, n)
    u = rng.random(n)

    def rechoose(rows: np.ndarray, o: Offers) -> np.ndarray:
        # a shopper's rule on their own draw: the cheapest-to-wait offer if u is high, else none
        best = int(np.argmin(o.quoted_days))
        return np.where(u[rows] > 0.3, best, -1)

    b = book_day(
        offers, choice, rng.permutation(n), np.array(shelves), np.array([4.0, 5.0, 6.0]), rechoose
    )
    for f in range(3):
        buyers = b.choice == f
        on_time = buyers & (b.quote == offers.quoted_days[f])
        assert on_time.sum() <= shelves[f]  # day-quote buyers are served from the shelf
        # everyone who first chose f and ended elsewhere was turned away (switchers may add to it)
        assert b.turned_away[f] >= int(((choice == f) & (b.choice != f)).sum())
        assert b.went_without[f] <= b.turned_away[f]
    assert ((b.choice >= 0) == ~np.isnan(b.quote)).all()


def test_the_optimiser_prices_a_shortage_as_the_market_does() -> None:
    firm, _ = make_firm({"policy": {"name": "demand_centric", "decision": "ai", "sop_days": 0}})
    margin = unit_margin(firm)
    assert margin == pytest.approx(firm.spec.factory.unit_contribution(firm.price))
    b0 = firm.policy.costs(firm).shortage
    backorder = firm.spec.factory.backorder_cost_per_day * firm.policy.review_days
    assert b0 == pytest.approx(WALKAWAY_PRIOR * margin + (1 - WALKAWAY_PRIOR) * backorder)
    firm.stockouts_total, firm.turned_away_total = 100, 10  # its desk saw only 10 % walk away
    assert walkaway_share(firm) == pytest.approx(0.1)
    assert firm.policy.costs(firm).shortage == pytest.approx(0.1 * margin + 0.9 * backorder)
