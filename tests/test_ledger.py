"""The firm's ledger: costs on every stock, accrual profit, capacity with lead times, returns.

Exact books of small plants whose every event is deterministic, so each day's money can be written
down by hand; then the accounting laws on random runs (hypothesis).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.factory_mode import FactoryRun
from simulator.firms.firm import COST_ITEMS
from simulator.firms.invariants import check_firm
from simulator.scenario import ScenarioError, parse_scenario
from tests.policy_harness import drive, make_firm

RATE = 0.365  # holding rate a year: 0.001 of the value a day keeps the hand computations simple


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def quiet_factory(**extra: Any) -> dict[str, Any]:
    """Two stages (unit costs 4 and 6), material at 10, no fixed costs, a 3-day supplier."""
    return {
        "stages": [
            {"name": "a", "unit_time": det(0.3), "unit_cost": 4.0},
            {"name": "b", "unit_time": det(0.3), "unit_cost": 6.0},
        ],
        "supplier": {"lead_days": det(3.0)},
        "material_cost": 10.0,
        "initial_material": 10,
        "initial_stock": 0,
        "holding_rate_per_year": RATE,
        "obsolescence_rate_per_year": 0.0,
        "capacity_cost_per_machine_shift": 0.0,
        "overhead_cost_per_day": 0.0,
        "backorder_cost_per_day": 0.0,
        "shipping_cost": 1.0,
        **extra,
    }


IDLE = {"name": "demand_centric", "buffer": 0, "sop_days": 0}
"""A pull policy with no buffer and no S&OP: it releases nothing unless an order waits."""


def test_every_stock_is_valued_at_cost_and_carries_holding_cost() -> None:
    """Release 2 units at 0: stage a runs [0, 0.6), stage b [0.6, 1.2); material reordered at 0
    arrives at 3. Day by day: the stocks at cost, the holding cost on each, the accrual profit."""
    firm, env = make_firm({"price": 50.0, "factory": quiet_factory(), "policy": IDLE})
    assert firm.inventory_value_start == 100.0  # 10 units of material at 10
    firm.release(0, 2)
    days = drive(firm, env, [0, 0, 0, 0, 2])
    values = [(r.stock_value["material"], r.stock_value["wip"], r.stock_value["finished"]) for r in days]
    # day 0 closes with the batch in stage b (material 10 + stage a 4 each); day 1 with it finished
    # (10 + 4 + 6 each); the material bought at 0 lands at 3; day 4 sells both units
    assert values == [(80, 28, 0), (80, 0, 40), (80, 0, 40), (100, 0, 40), (100, 0, 0)]
    assert [r.money["production_cost"] for r in days] == [8, 12, 0, 0, 0]
    assert [r.money["material_cost"] for r in days] == [0, 0, 0, 20, 0]
    assert [r.money["holding_cost_material"] for r in days] == pytest.approx(
        [0.08, 0.08, 0.08, 0.1, 0.1]
    )
    assert [r.money["holding_cost_wip"] for r in days] == pytest.approx([0.028, 0, 0, 0, 0])
    assert [r.money["holding_cost_finished"] for r in days] == pytest.approx([0, 0.04, 0.04, 0.04, 0])
    assert [r.inventory_change for r in days] == [8, 12, 0, 20, -40]
    # paying for material and production only moves cash into stock: accrual profit is the
    # holding cost until the sale, which earns price - standard cost - shipping = 2 x (50 - 20 - 1)
    holding = [sum(r.money[f"holding_cost_{k}"] for k in ("material", "wip", "finished")) for r in days]
    assert [r.profit for r in days] == pytest.approx([-h for h in holding[:4]] + [58 - holding[4]])
    assert [r.cash_profit for r in days] == pytest.approx(
        [-8 - holding[0], -12 - holding[1], -holding[2], -20 - holding[3], 98 - holding[4]]
    )


def test_obsolescence_is_charged_on_finished_goods_only() -> None:
    factory = quiet_factory(initial_stock=3, holding_rate_per_year=0.0, obsolescence_rate_per_year=0.73)
    firm, env = make_firm({"factory": factory, "policy": IDLE})
    days = drive(firm, env, [0, 0])
    # 3 finished units at 20 each, 0.73 / 365 = 0.002 a day; 10 units of material pay nothing
    assert [r.money["obsolescence_cost"] for r in days] == pytest.approx([0.12, 0.12])
    assert firm.spec.factory.holding_cost_per_unit_day() == pytest.approx(0.04)
    assert firm.spec.factory.holding_cost_per_unit_day("material") == 0.0


def test_goods_past_their_shelf_life_are_written_off_oldest_first() -> None:
    """3 units in stock at 0 and 2 finished at 1.2; shelf life 4 days. One unit sold on day 2
    comes from the old lot; the other two old ones expire at the close of day 3 (t = 4); the new
    lot expires at the close of day 5 (t = 6 >= 1.2 + 4)."""
    factory = quiet_factory(initial_stock=3, shelf_life_days=4.0, holding_rate_per_year=0.0)
    firm, env = make_firm({"factory": factory, "policy": IDLE})
    firm.release(0, 2)
    days = drive(firm, env, [0, 0, 1, 0, 0, 0, 0])
    assert [r.expired for r in days] == [0, 0, 0, 2, 0, 2, 0]
    assert [r.written_off for r in days] == [0, 0, 0, 40, 0, 40, 0]
    assert firm.units_expired == 4 and int(firm.on_hand.sum()) == 0
    # a write-off costs nothing in cash (the goods were paid for) and its value under accrual
    assert days[5].cash_profit == 0.0 and days[5].profit == -40.0


def test_a_defective_delivery_is_refunded_handled_and_complained_about() -> None:
    factory = quiet_factory(initial_stock=10, shipping_days=2.0, return_cost=5.0)
    firm, env = make_firm({"price": 50.0, "quality": 0.0, "factory": factory, "policy": IDLE})
    firm.defect_escape_per_quality_gap = 1.0  # every unit shipped is defective
    firm._quality_rng = np.random.default_rng(0)
    days = drive(firm, env, [3, 0, 0, 0])
    # shipped at 0, delivered at 2.0: booked at the close of day 1 (deliveries in (1, 2])
    assert [r.defects_shipped for r in days] == [3, 0, 0, 0]
    assert [r.returned for r in days] == [0, 3, 0, 0]
    assert [r.complaints for r in days] == [0, 3, 0, 0]
    assert [r.money["refunds"] for r in days] == [0, 150, 0, 0]
    assert [r.money["return_cost"] for r in days] == [0, 15, 0, 0]


def test_capacity_changes_take_their_lead_time_and_are_paid_while_held() -> None:
    """Machine-shifts cost 100 whether used or not; a shift beyond plan costs 50% more."""
    stage = {"name": "make", "machines": 2, "shifts": 1, "unit_time": det(0.1)}
    factory = quiet_factory(
        stages=[stage],
        capacity_cost_per_machine_shift=100.0,
        overtime_premium=0.5,
        shift_change_lead_days=3,
        machine_change_lead_days=5,
    )
    firm, env = make_firm({"factory": factory, "policy": IDLE})
    assert firm.plan_capacity(0, shifts=2) == 3  # decided at 0: in effect from day 3
    assert firm.plan_capacity(0, machines=3) == 5
    assert firm.plan_capacity(0, shifts=2, lead_days=0) == 1  # never before tomorrow
    assert firm.planned_capacity(0) == (3, 2)
    days = drive(firm, env, [0] * 7)
    held = [r.machine_shifts for r in days]
    assert held == [2, 4, 4, 4, 4, 6, 6]
    assert [r.money["capacity_cost"] for r in days] == [100 * h for h in held]
    # shifts beyond the planned one: 2 machines x 1 from day 1, 3 machines from day 5
    assert [r.money["overtime_cost"] for r in days] == [0, 100, 100, 100, 100, 150, 150]
    assert firm.plant.stages[0].shifts == 2 and firm.plant.stages[0].n_machines == 3
    with pytest.raises(ValueError, match="round the clock"):
        make_firm({"factory": quiet_factory(), "policy": IDLE})[0].plan_capacity(0, shifts=2)


def test_sop_shift_changes_wait_for_the_shift_lead_time() -> None:
    stage = {"name": "make", "machines": 2, "shifts": 1, "unit_time": det(0.1)}
    firm, env = make_firm(
        {
            "factory": {"stages": [stage], "shift_change_lead_days": 7},
            "policy": {"name": "demand_centric", "decision": "data", "sop_days": 10},
        }
    )
    days = drive(firm, env, [10] * 20)
    cap = [e for e in firm.policy.decisions if e["action"] == "capacity"]
    assert cap[0]["chosen"] == 2 and "from day 18" in cap[0]["reason"]
    assert [r.machine_shifts for r in days] == [2.0] * 18 + [4.0] * 2


def test_removed_cost_fields_say_what_replaced_them() -> None:
    for old, new in (
        ("holding_cost_per_day", "holding_rate_per_year"),
        ("overtime_cost_per_machine_shift", "overtime_premium"),
    ):
        with pytest.raises(ScenarioError, match=new) as e:
            parse_scenario({"firms": [{"name": "A", "factory": {old: 1.0}}]})
        assert e.value.problems[0][0] == "firms.0.factory"


# --- the accounting laws on random runs ---------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    demand=st.lists(st.integers(0, 40), min_size=5, max_size=40),
    policy=st.sampled_from(
        [
            {"name": "supplier_centric", "review_days": 3, "min_lot": 20},
            {"name": "demand_centric", "buffer": 15, "sop_days": 7},
        ]
    ),
    shelf=st.sampled_from([None, 2.0, 9.0]),
    seed=st.integers(0, 2**16),
)
def test_books_balance_on_any_demand(
    demand: list[int], policy: dict[str, Any], shelf: float | None, seed: int
) -> None:
    """Whatever the demand: the daily accrual law, the cost breakdown adding up to revenue -
    profit, every share in [0, 1], and the conservation laws (checked daily by the factory run)."""
    from simulator.demand import daily_table

    scenario = parse_scenario(
        {
            "run": {"days": len(demand), "warmup_days": 1},
            "firms": [
                {
                    "name": "F",
                    "quality": 0.2,
                    "policy": policy,
                    "factory": {
                        "stages": [
                            {"name": "a", "unit_time": det(0.05), "shifts": 2, "defect_rate": 0.1},
                            {"name": "b", "unit_time": det(0.02), "defect_rate": 0.1, "rework": False},
                        ],
                        "initial_stock": 30,
                        "shelf_life_days": shelf,
                        "capacity_cost_per_machine_shift": 30.0,
                        "overhead_cost_per_day": 50.0,
                    },
                }
            ],
        }
    )
    run = FactoryRun(scenario, "F", daily_table(np.array(demand)), seed=seed, unit_orders=True)
    run.firm.defect_escape_per_quality_gap = 0.2
    run.run(len(demand))
    check_firm(run.firm)
    ts = run.timeseries()
    assert np.allclose(ts["profit"], ts["cash_profit"] + ts["inventory_change"])
    assert np.allclose(ts["cash_profit"], ts["revenue"] - ts[list(COST_ITEMS)].sum(axis=1))
    k = run.result(1).summary["firms"]["F"]
    assert sum(k["costs"].values()) == pytest.approx(k["revenue"] - k["profit"], abs=1e-6)
    from simulator.glossary import is_proportion

    for key, v in k.items():
        if is_proportion(key) and isinstance(v, float):
            assert 0.0 <= v <= 1.0, key


def test_shift_cost_fields_without_a_shift_calendar_are_an_error() -> None:
    with pytest.raises(ScenarioError, match="no stage has a shift calendar") as e:
        parse_scenario({"firms": [{"name": "A", "factory": {"overtime_premium": 1.0}}]})
    assert e.value.problems[0][0] == "firms.0.factory.overtime_premium"  # the field at fault
    stage = {"name": "s", "shifts": 2}
    parse_scenario({"firms": [{"name": "A", "factory": {"stages": [stage], "overtime_premium": 1.0}}]})


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda f: setattr(f, "inventory_value", f.inventory_value + 5.0), "inventory value booked"),
        (lambda f: setattr(f, "profit_total", f.profit_total + 5.0), "accrual profit"),
        (lambda f: f.books.__setitem__("capacity_cost", f.books["capacity_cost"] + 5.0), "capacity"),
        (lambda f: f.value_days.__setitem__("wip", f.value_days["wip"] + 50.0), "holding_cost_wip"),
        (lambda f: f.books.__setitem__("refunds", f.books["refunds"] + 5.0), "refunds"),
    ],
)
def test_a_corrupted_ledger_is_caught(corrupt: Any, message: str) -> None:
    from simulator.firms.invariants import InvariantError

    stage = {"name": "make", "machines": 1, "shifts": 2, "unit_time": det(0.05)}
    factory = quiet_factory(stages=[stage], capacity_cost_per_machine_shift=10.0, initial_stock=5)
    firm, env = make_firm({"factory": factory, "policy": {"name": "demand_centric", "buffer": 5}})
    firm.release(0, 3)
    drive(firm, env, [2, 3, 1])
    check_firm(firm)
    corrupt(firm)
    with pytest.raises(InvariantError, match=message):
        check_firm(firm, full=True)  # every law (a daily check reads only what moved)
