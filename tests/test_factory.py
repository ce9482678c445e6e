"""The plant's mechanics, exactly: routing, set-ups, shifts, supplier capacity and disruptions.

Deterministic times make every event time known in advance, so these tests compare exact event
logs and stage records; a golden test pins the random draws of one seeded plant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import simpy

from simulator.factory_mode import FactoryRun
from simulator.firms.factory import Plant
from simulator.firms.invariants import InvariantError, check_plant
from simulator.rng import Streams
from simulator.scenario import Factory, ScenarioError, load_scenario, parse_scenario
from tests.conftest import SCENARIOS


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def build(
    seed: int = 0, **factory: Any
) -> tuple[simpy.Environment, Plant, list[tuple[float, int, int]]]:
    env = simpy.Environment()
    done: list[tuple[float, int, int]] = []
    streams = Streams(seed)
    plant = Plant(
        env,
        Factory(**factory),
        streams.get("factory"),
        streams.get("supplier"),
        lambda v, q: done.append((env.now, v, q)),
    )
    return env, plant, done


def test_a_batch_visits_each_stage_in_turn() -> None:
    env, plant, done = build(
        stages=[
            {"name": "fab", "unit_time": det(0.25)},
            {"name": "pack", "unit_time": det(0.1)},
        ],
        initial_material=10,
    )
    plant.release(0, 4)
    env.run(until=5)
    assert plant.log == [
        (0, "release", 0, 4),
        (0, "start", 0, 4),
        (pytest.approx(1.4), "complete", 0, 4),
        (3.0, "material", -1, 4),
    ]
    fab, pack = plant.stages
    assert fab.visits["arrived"].tolist() == [0.0] and fab.visits["finished"].tolist() == [1.0]
    assert pack.visits["started"].tolist() == [1.0]
    assert done == [(pytest.approx(1.4), 0, 4)]
    assert plant.material.level == 10 and plant.material_used == 4
    check_plant(plant)


@pytest.mark.parametrize(
    ("when", "finishes", "setups"),
    [("variant_change", [1.0, 1.5, 2.5], 2), ("every_batch", [1.0, 2.0, 3.0], 3)],
)
def test_setups_every_batch_or_on_variant_change(when: str, finishes: list[float], setups: int) -> None:
    env, plant, _ = build(
        stages=[
            {
                "name": "s",
                "unit_time": det(0.25),
                "setup_days": 0.5,
                "setup_cost": 10.0,
                "setup_when": when,
            }
        ],
        variants=["a", "b"],
    )
    for v in (0, 0, 1):
        plant.release(v, 2)
    env.run(until=10)
    s = plant.stages[0]
    assert s.visits["finished"].tolist() == finishes
    assert s.setups == setups and plant.money["setup_cost"] == 10.0 * setups
    assert s.set_up_for == [1]


def test_a_batch_stops_outside_its_shifts_and_resumes() -> None:
    """Two shifts: the machine works [0, 2/3) of each day; one day of work ends at 4/3."""
    env, plant, _ = build(stages=[{"name": "s", "unit_time": det(0.1), "shifts": 2}])
    plant.release(0, 10)
    env.run(until=3.5)  # an off-shift period is counted when it ends: three by 3.5
    s = plant.stages[0]
    assert s.visits["finished"][0] == pytest.approx(4 / 3)
    assert s.busy_time == pytest.approx(1.0)
    assert s.off_time == pytest.approx(3 * 1 / 3)
    assert s.capacity_per_day == pytest.approx(10 * 2 / 3)


def test_overtime_shift_is_charged_per_machine() -> None:
    _env, plant, _ = build(stages=[{"name": "s", "machines": 2, "shifts": 2}])
    assert plant.overtime_machine_shifts() == 0
    plant.set_shifts(0, 3)
    assert plant.overtime_machine_shifts() == 2
    with pytest.raises(ValueError, match="shifts"):
        plant.set_shifts(0, 4)


def test_more_machines_start_queued_batches_at_once() -> None:
    env, plant, _ = build(stages=[{"name": "s", "unit_time": det(1.0)}])
    plant.release(0, 1)
    plant.release(0, 1)
    env.run(until=0.5)
    plant.set_capacity(2)
    env.run(until=5)
    assert plant.stages[0].visits["started"].tolist() == [0.0, 0.5]
    assert plant.capacity_per_day == pytest.approx(2.0)


def test_supplier_capacity_and_lead_time() -> None:
    """10 units/day dispatch, 2 days on the road: two orders of 10 land at 3 and 4."""
    env, plant, _ = build(
        stages=[{"name": "s", "unit_time": det(0.01)}],
        initial_material=0,
        supplier={"lead_days": det(2.0), "capacity_per_day": 10.0},
    )
    plant.release(0, 10)
    plant.release(0, 10)
    env.run(until=6)
    assert [e for e in plant.log if e[1] in ("material", "start")] == [
        (3.0, "material", -1, 10),
        (3.0, "start", 0, 10),
        (4.0, "material", -1, 10),
        (4.0, "start", 0, 10),
    ]


def test_disruption_holds_orders_and_shipments_on_the_road() -> None:
    env, plant, _ = build(
        stages=[{"name": "s", "unit_time": det(0.01)}],
        initial_material=100,
        supplier={"lead_days": det(2.0), "disruptions": [{"day": 1, "duration_days": 4}]},
    )
    plant.release(0, 5)  # ships at 0, would land at 2: held on the road until 5
    env.run(until=2)
    plant.release(0, 7)  # ordered while the supplier is down: ships at 5, lands at 7
    env.run(until=10)
    assert [e for e in plant.log if e[1] == "material"] == [
        (5.0, "material", -1, 5),
        (7.0, "material", -1, 7),
    ]
    assert plant.supplier.down_periods == [(1.0, 5.0)]


def test_ethical_sourcing_costs_more_and_shows_in_the_profile() -> None:
    spec = {
        "run": {"days": 30, "warmup_days": 5},
        "firms": [
            {
                "name": "E",
                "ethics": {"environment": 0.5, "fair_labour": 0.95, "animal_welfare": 0.2},
                "factory": {
                    "material_cost": 40.0,
                    "supplier": {"ethical": True, "ethical_premium": 0.5},
                },
            }
        ],
    }
    s = parse_scenario(spec)
    table = _daily(30, 20)
    run = FactoryRun(s, "E", table, seed=1)
    run.run(30)
    firm = run.firm
    assert firm.ethics.tolist() == pytest.approx([0.6, 1.0, 0.3])
    assert firm.plant.material_price == 60.0
    assert firm.books["material_cost"] == 60.0 * firm.plant.material_received


def _daily(days: int, units: int) -> Any:
    from simulator.demand import daily_table

    return daily_table(np.full(days, units))


def test_scrap_and_rework_keep_the_unit_balance() -> None:
    env, plant, done = build(
        seed=4,
        stages=[
            {"name": "a", "unit_time": det(0.01), "defect_rate": 0.3, "rework": True},
            {"name": "b", "unit_time": det(0.01), "defect_rate": 0.2, "rework": False},
        ],
        initial_material=1000,
    )
    for _ in range(20):
        plant.release(0, 25)
    env.run(until=50)
    a, b = plant.stages
    assert a.units_processed > 500 and a.units_scrapped == 0 and a.units_out == 500
    assert 0 < b.units_scrapped < 250 and b.units_processed == 500
    assert plant.units_completed + plant.units_scrapped == 500
    assert sum(q for _, _, q in done) == plant.units_completed
    # production cost: each unit operation at its stage's share of the factory's cost (15 / 2)
    assert plant.money["production_cost"] == pytest.approx(7.5 * (a.units_processed + b.units_processed))
    check_plant(plant)


def test_golden_values_under_a_seed() -> None:
    """Seeded draws pinned: a change in how the plant draws shows here first."""
    env, plant, _ = build(
        seed=11,
        stages=[
            {
                "name": "a",
                "machines": 2,
                "unit_time": {"kind": "gamma", "mean": 0.05, "cv": 0.5},
                "mtbf_days": 3.0,
                "defect_rate": 0.1,
            },
            {
                "name": "b",
                "unit_time": {"kind": "lognormal", "mean": 0.02, "cv": 1.0},
                "defect_rate": 0.05,
                "rework": False,
            },
        ],
        initial_material=10_000,
    )
    for k in range(30):
        plant.release(0, 10 + k)
    env.run(until=40)
    a, _b = plant.stages
    got = (plant.units_completed, plant.units_scrapped, a.failures, a.units_processed, round(env.now, 6))
    assert got == GOLDEN
    assert plant.stages[1].visits["finished"][-1] == pytest.approx(GOLDEN_LAST, rel=1e-12)


GOLDEN = (695, 40, 28, 838, 40.0)
GOLDEN_LAST = 22.955245773157024


def test_invariant_breach_is_loud() -> None:
    env, plant, _ = build(stages=[{"name": "s"}])
    plant.release(0, 3)
    env.run(until=1)
    plant.units_completed += 1  # a bookkeeping bug
    with pytest.raises(InvariantError, match="started 3 != finished"):
        check_plant(plant)


def test_short_and_long_forms_cannot_be_mixed() -> None:
    with pytest.raises(ScenarioError, match="with stages, set machines"):
        parse_scenario({"firms": [{"name": "A", "factory": {"machines": 2, "stages": [{"name": "s"}]}}]})
    with pytest.raises(ScenarioError, match="stage names must be unique"):
        parse_scenario({"firms": [{"name": "A", "factory": {"stages": [{"name": "s"}, {"name": "s"}]}}]})
    with pytest.raises(ScenarioError, match=r"supplier\.lead_days"):
        parse_scenario(
            {"firms": [{"name": "A", "factory": {"supplier_lead_days": det(5.0), "supplier": {}}}]}
        )


def test_factory_run_is_reproducible_and_checks_its_books() -> None:
    s = load_scenario(SCENARIOS / "factory.toml")
    from simulator.demand import load_demand_csv

    table = load_demand_csv(SCENARIOS / "demand_example.csv")
    a = FactoryRun(s, "Workshop", table, seed=3)
    a.run(60)
    b = FactoryRun(s, "Workshop", table, seed=3)
    b.run(60)
    assert a.timeseries().equals(b.timeseries())
    firm = a.firm
    ts = a.timeseries()
    assert ts["units_ordered"].sum() == table[table["day"] < 60]["quantity"].sum()
    cash = firm.books["revenue"] - sum(v for k, v in firm.books.items() if k != "revenue")
    assert ts["cash_profit"].sum() == pytest.approx(cash)
    # accrual profit = cash profit + the change in the stocks' value at cost over the run
    stocks = firm.stock_values()["total"]
    assert ts["profit"].sum() == pytest.approx(cash + stocks - firm.inventory_value_start)
    assert firm.plant.units_scrapped > 0 and firm.plant.stages[0].failures > 0


def test_factory_run_keeps_the_models_order_of_events() -> None:
    """A batch finishing at exactly t = 1 is in stock before day 1's orders are booked; an order
    whose patience ran out is cancelled at the start of the next day, before that day's orders."""
    from simulator.demand import daily_table

    s = parse_scenario(
        {
            "run": {"days": 10, "warmup_days": 1},
            "firms": [
                {
                    "name": "F",
                    # weekly reviews at 0.5 and 7.5 release nothing here; the quote is shipping
                    "policy": {"name": "supplier_centric", "review_days": 7, "quoted_days": 1.0},
                    "factory": {"initial_stock": 0, "unit_time": det(0.5), "shipping_days": 1.0},
                }
            ],
        }
    )
    table = daily_table(np.array([0, 2, 0, 0, 0]))
    table.loc[len(table)] = {"day": 2, "variant": 0, "quantity": 50, "patience_days": 0.0}
    run = FactoryRun(s, "F", table, seed=0)
    run.firm.release(0, 2)  # two units at 0.5 days each: complete at exactly t = 1.0
    run.run(5)
    o = run.firm.orders
    assert (1.0, "complete", 0, 2) in run.firm.plant.log
    assert o.from_stock[0] and o.filled[0] == 1.0  # booked at 1.0 after the completion
    # the day-2 order of 50 (deadline 2 + quote 1 + patience 0 = 3) is cancelled at the start of day 4
    assert o.cancelled[1] == 4.0 and np.isnan(o.filled[1])


def test_a_preempted_batch_waits_for_a_free_machine_and_never_takes_a_running_one() -> None:
    """Two machines busy with A (from 0) and B (from 0.1), a day's work each. At 0.5 a machine fails
    for 0.25 days and takes B's machine (the later batch); B resumes when the repair ends (0.75)
    and finishes at 1.35, while A is left alone and finishes at 1.0. (Were B allowed to take A's
    machine, A would finish at 1.25 and B at 1.1.)"""
    env, plant, _ = build(
        stages=[{"name": "s", "machines": 2, "unit_time": det(1.0), "mtbf_days": 1e12}]
    )
    stage = plant.stages[0]
    plant.release(0, 1)  # A
    env.run(until=0.1)
    plant.release(0, 1)  # B

    def failure() -> Any:
        yield env.timeout(0.4)
        req, machine = yield from stage._hold()
        yield env.timeout(0.25)
        stage._give_back(machine)
        stage.machines.release(req)

    env.process(failure())
    env.run(until=3)
    v = stage.visits
    assert dict(zip(v["work_order"].tolist(), v["finished"].tolist(), strict=True)) == {
        0: 1.0,
        1: pytest.approx(1.35),
    }
    assert stage.busy_time == pytest.approx(2.0)


def test_random_disruptions_take_the_supplier_down_for_their_share_of_time() -> None:
    """Up for Exp(10) days, down for 5: down a share 5 / 15 of the time in the long run."""
    env, plant, _ = build(
        seed=5,
        stages=[{"name": "s"}],
        supplier={"disruption_mtbf_days": 10.0, "disruption_days": det(5.0)},
    )
    env.run(until=20_000)
    periods = plant.supplier.down_periods
    down = sum(min(b, 20_000) - a for a, b in periods)
    assert [b - a for a, b in periods] == pytest.approx([5.0] * len(periods))
    # about 1,333 cycles: the share's standard error is about 0.006
    assert down / 20_000 == pytest.approx(1 / 3, abs=0.02)
