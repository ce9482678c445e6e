"""Release control, exactly: continuous review, kanban cards over a routing, CONWIP jobs.

Deterministic times make every event time known in advance, so these tests compare exact logs of
releases and completions of a scenario run through the factory-only mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulator.demand import demand_table
from simulator.factory_mode import FactoryRun
from simulator.firms.kanban import CardPool
from simulator.scenario import parse_scenario


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def run(
    stages: list[dict[str, Any]],
    policy: dict[str, Any],
    times: list[float],
    days: int,
    initial_stock: int = 0,
) -> FactoryRun:
    s = parse_scenario(
        {
            "run": {"days": max(days, 2), "warmup_days": 0},
            "firms": [
                {
                    "name": "F",
                    "factory": {
                        "stages": stages,
                        "initial_stock": initial_stock,
                        "initial_material": 10_000,
                        "shipping_days": 0.0,
                        "supplier": {"lead_days": det(0.0)},
                    },
                    "policy": {"name": "demand_centric", "sop_days": 0, **policy},
                }
            ],
        }
    )
    table = demand_table(np.asarray(times, float), np.ones(len(times), np.int64))
    fr = FactoryRun(s, "F", table, seed=0)
    fr.run(days)
    return fr


def log_of(fr: FactoryRun, what: str) -> list[tuple[float, int]]:
    return [(round(t, 9), q) for t, w, _, q in fr.firm.plant.log if w == what]


def test_continuous_base_stock_releases_each_order_the_moment_it_comes() -> None:
    fr = run(
        [{"name": "make", "unit_time": det(0.25)}],
        {"buffer": 2, "review": "continuous"},
        [0.1, 0.3, 1.6],
        3,
        initial_stock=2,
    )
    assert log_of(fr, "release") == [(0.1, 1), (0.3, 1), (1.6, 1)]
    assert log_of(fr, "complete") == [(0.35, 1), (0.6, 1), (1.85, 1)]
    o = fr.firm.orders
    assert o.placed.tolist() == [0.1, 0.3, 1.6]  # booked when they came, not at the day's start
    assert o.from_stock.all()
    # the daily re-plan logs what was released since the last one
    e = [d for d in fr.firm.policy.decisions if d["action"] == "release"]  # type: ignore[union-attr]
    assert [d["time"] for d in e] == [0.5, 1.5, 2.5]
    assert [d["released"] for d in e] == [2, 0, 1]


def test_periodic_base_stock_releases_only_at_reviews() -> None:
    fr = run(
        [{"name": "make", "unit_time": det(0.25)}],
        {"buffer": 2},
        [0.1, 0.3, 1.6],
        3,
        initial_stock=2,
    )
    assert log_of(fr, "release") == [(0.5, 2), (2.5, 1)]


def test_kanban_cards_pull_units_through_a_two_stage_line() -> None:
    """Stage 1 (0.3 days a unit) has one card, stage 2 (1 day, the bottleneck) has the buffer's two.
    A unit done at stage 1 waits there while stage 2's cards are all out (blocked), so stage 1
    starts a new unit only when one moves on; a card of stage 2 comes back when an order takes a
    finished unit. Orders wait at the start (a backlog of ten)."""
    fr = run(
        [{"name": "fast", "unit_time": det(0.3)}, {"name": "slow", "unit_time": det(1.0)}],
        {"buffer": 2, "review": "continuous", "control": "kanban", "kanban_cards": 1},
        [0.0] * 10,
        4,
    )
    assert log_of(fr, "release") == [(0.0, 1), (0.3, 1), (0.6, 1), (1.3, 1), (2.3, 1), (3.3, 1)]
    assert log_of(fr, "complete") == [(1.3, 1), (2.3, 1), (3.3, 1)]
    plant = fr.firm.plant
    assert plant.units_in_process == 3  # one card at stage 1 + two at stage 2, none in stock
    assert plant.units_blocked == 1  # done at stage 1, waiting for a card of stage 2
    assert plant.kanban is not None and [p.in_use for p in plant.kanban] == [1, 2]


def test_periodic_kanban_sends_free_cards_back_at_reviews_only() -> None:
    fr = run(
        [{"name": "make", "unit_time": det(0.1)}],
        {"buffer": 3, "control": "kanban"},
        [0.0] * 5,
        3,
    )
    # three cards at the first review; the next day the three that came back as the first units
    # were ordered away; on the third day two: of the second three units one stays in stock (five
    # were ordered) and keeps its card
    assert log_of(fr, "release") == [(0.5, 1)] * 3 + [(1.5, 1)] * 3 + [(2.5, 1)] * 2
    assert int(fr.firm.on_hand[0]) + fr.firm.plant.units_in_process == 3


def test_conwip_releases_jobs_of_the_transfer_batch_as_jobs_leave() -> None:
    """Two stations of 0.1 days a unit, a cap of 4 units in jobs of 2: two jobs at the start, then a
    job each time one leaves the line (each job takes 0.2 days a station)."""
    fr = run(
        [{"name": "a", "unit_time": det(0.1)}, {"name": "b", "unit_time": det(0.1)}],
        {
            "buffer": 0,
            "review": "continuous",
            "control": "conwip",
            "wip_limit": 4,
            "transfer_batch": 2,
        },
        [0.0] * 40,
        1,
    )
    rel = log_of(fr, "release")
    assert rel[:5] == [(0.0, 2), (0.0, 2), (0.4, 2), (0.6, 2), (0.8, 2)]
    assert log_of(fr, "complete")[:3] == [(0.4, 2), (0.6, 2), (0.8, 2)]
    assert fr.firm.plant.units_in_process <= 4


def test_scrap_frees_a_card_and_the_policy_refills_it() -> None:
    """Every unit is scrapped at the only stage: its kanban card comes back at once, and under
    continuous review a new unit is released at that moment."""
    fr = run(
        [{"name": "make", "unit_time": det(0.25), "defect_rate": 0.999999, "rework": False}],
        {"buffer": 1, "review": "continuous", "control": "kanban"},
        [0.0],
        1,
    )
    assert log_of(fr, "release")[:4] == [(0.0, 1), (0.25, 1), (0.5, 1), (0.75, 1)]
    assert log_of(fr, "scrap")[:3] == [(0.25, 1), (0.5, 1), (0.75, 1)]


def test_card_pool_serves_first_come_first_served_and_can_shrink() -> None:
    import simpy

    env = simpy.Environment()
    pool = CardPool(env, 3)
    a, b = pool.take(2), pool.take(2)
    assert a.triggered and not b.triggered  # b waits whole, not one card now and one later
    pool.resize(2)
    pool.give_back(2)
    assert b.triggered and pool.in_use == 2 and pool.free == 0
    pool.resize(1)  # fewer cards than in use: none granted until enough come back
    c = pool.take(1)
    pool.give_back(1)
    assert not c.triggered
    pool.give_back(1)
    assert c.triggered
    with pytest.raises(ValueError, match="cards"):
        CardPool(env, 0)
