"""Policy mechanics on a firm fed exact demand: inventory position, lots, frozen plans, pull control."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.firms.firm import Firm
from simulator.policies.params import SupplierCentricParams
from simulator.policies.supplier_centric import SupplierCentric
from tests.policy_harness import drive, make_firm

SLOW_SUPPLIER = {
    "supplier_lead_days": {"kind": "deterministic", "mean": 40.0},
    "unit_time": {"kind": "deterministic", "mean": 0.001},
    "initial_stock": 50,
    "initial_material": 0,
}


class OnHandOrderUpTo(SupplierCentric):
    """The classic mistake: order up to the level on on-hand stock, forgetting what is on order."""

    def review(self, firm: Firm) -> None:
        if not firm.demand_history:
            return
        level, _, _ = self.order_up_to(firm, firm.demand_history)
        gap = level - int(firm.on_hand.sum())
        if gap > 0:
            firm.release(0, max(int(np.ceil(gap)), self.params.min_lot))


def _outstanding(firm: Firm) -> int:
    return firm.plant.units_in_process


def test_inventory_position_keeps_outstanding_orders_bounded_with_long_lead_times() -> None:
    """Supply lead 40 days, review 7: on position the pipeline stays under S + lot; on hand it
    re-orders the whole gap at every review until the first material lands (about L / R times)."""
    params = {"name": "supplier_centric", "review_days": 7, "lead_time_days": 40, "min_lot": 20}
    demand = np.random.default_rng(5).poisson(10, 300)
    firm, env = make_firm({"factory": SLOW_SUPPLIER, "policy": params})
    excess, pipeline = [], []

    def watch(d: int) -> None:
        levels = [
            e["inputs"]["order_up_to"] for e in firm.policy.decisions if "order_up_to" in e["inputs"]
        ]
        pipeline.append(_outstanding(firm) - firm.backorders())
        if levels:
            # After a review the position is at most max(S) + lot; it only falls between reviews.
            excess.append(firm.inventory_position() - (max(levels) + 20))

    drive(firm, env, demand, after_day=watch)
    assert excess and max(excess) <= 0
    s_max = max(
        e["inputs"]["order_up_to"] for e in firm.policy.decisions if "order_up_to" in e["inputs"]
    )
    # in process - backorders = position - on hand <= S + lot, every day
    assert max(pipeline) <= s_max + 20

    naive, env2 = make_firm(
        {"factory": SLOW_SUPPLIER},
        policy=OnHandOrderUpTo(SupplierCentricParams(**params), np.random.default_rng(0)),  # type: ignore[arg-type]
    )
    naive_pipeline: list[int] = []
    drive(
        naive,
        env2,
        demand,
        after_day=lambda d: naive_pipeline.append(_outstanding(naive) - naive.backorders()),
    )
    assert max(naive_pipeline) > 4 * (s_max + 20)


def test_min_lot_and_eoq_lot_sizes() -> None:
    firm, env = make_firm(
        {
            "factory": {
                "setup_cost": 200.0,
                "holding_rate_per_year": 0.3,
                "obsolescence_rate_per_year": 0.065,
                "initial_stock": 0,
            },
            "policy": {"name": "supplier_centric", "lot_sizing": "eoq", "review_days": 7},
        }
    )
    # a finished unit is worth material 30 + production 15 at cost: h = (0.3 + 0.065) / 365 * 45
    h = 0.045
    assert firm.spec.factory.holding_cost_per_unit_day() == pytest.approx(h)
    drive(firm, env, [10] * 30)
    rel = [e for e in firm.policy.decisions if e["released"] > 0]
    assert rel
    for e in rel:
        # EOQ = sqrt(2 * D * K / h) on the day's forecast mean
        eoq = int(np.ceil(np.sqrt(2 * e["inputs"]["forecast_mean"] * 200.0 / h)))
        assert e["inputs"]["lot"] == eoq
        assert e["released"] == max(int(np.ceil(e["chosen"])), eoq)


def test_frozen_plan_is_executed_whatever_demand_does() -> None:
    firm, env = make_firm(
        {
            "factory": {"initial_stock": 0},
            "policy": {"name": "supplier_centric", "review_days": 7, "frozen_days": 28, "min_lot": 10},
        }
    )
    drive(firm, env, [5])  # the review at 0.5 sees day 0's orders and plans days 7, 14 and 21 too
    planner = firm.policy.decisions[-1]
    assert planner["time"] == 0.5 and "frozen for the next 3 reviews" in planner["reason"]
    plan = [int(x) for x in planner["reason"].split(": ")[-1].strip("[]").split(", ")]
    drive(firm, env, [40] * 28)  # demand jumps eightfold; the plan does not move
    frozen = [e for e in firm.policy.decisions if e["rule"].startswith("frozen plan")]
    assert [e["time"] for e in frozen] == [7.5, 14.5, 21.5]
    assert [e["released"] for e in frozen] == plan
    released = [(t, q) for t, what, _, q in firm.plant.log if what == "release"]
    assert [q for t, q in released if t in (7.5, 14.5, 21.5)] == [q for q in plan if q > 0]
    # the next plan (day 28) sees the new demand
    assert firm.policy.decisions[-1]["time"] == 28.5 and firm.policy.decisions[-1]["released"] > max(
        plan
    )


def test_cost_plus_price_is_logged() -> None:
    firm, env = make_firm(
        {"policy": {"name": "supplier_centric", "pricing": "cost_plus", "markup": 0.5}}
    )
    drive(firm, env, [3])
    f = firm.spec.factory
    assert firm.price == pytest.approx((f.material_cost + f.production_cost + f.shipping_cost) * 1.5)
    price = [e for e in firm.policy.decisions if e["action"] == "price"]
    assert len(price) == 1 and price[0]["chosen"] == firm.price


@pytest.mark.parametrize("review", ["periodic", "continuous"])
@pytest.mark.parametrize("control", ["base_stock", "kanban", "conwip"])
def test_pull_control_caps_work_in_process(control: str, review: str) -> None:
    extra = {"wip_limit": 8} if control == "conwip" else {}
    firm, env = make_firm(
        {
            "factory": {"unit_time": {"kind": "deterministic", "mean": 0.2}, "initial_stock": 0},
            "policy": {
                "name": "demand_centric",
                "buffer": 6,
                "control": control,
                "review": review,
                "sop_days": 0,
                **extra,
            },
        }
    )
    seen = []
    plant = firm.plant

    def watch() -> None:
        seen.append((int(firm.on_hand[0]), plant.units_in_process))

    # after every event of the plant: the cap holds at every moment, not only at reviews
    firm.listeners.append(lambda what: watch())
    drive(firm, env, [8] * 30, after_day=lambda d: watch())  # 8 a day against 5 a day of capacity
    assert seen
    for on_hand, wip in seen:
        if control == "kanban":
            assert on_hand + wip <= 6  # the cards: finished goods + in process
        elif control == "conwip":
            assert wip <= 8
    if control == "base_stock":
        assert plant.units_in_process > 50  # every order is released: the backlog sits in the plant
    elif review == "continuous":
        # saturated: a card (a unit of the cap) goes back in the moment it is free
        assert plant.units_in_process == (6 if control == "kanban" else 8)
    if control == "base_stock" or review == "continuous":
        # the plant never idled: 5 a day, less the first half day and the last batch (up to 8 units)
        assert plant.units_completed >= 5 * 29.5 - 8


def test_sop_sets_shifts_from_sensed_demand_and_pays_for_the_shifts_it_holds() -> None:
    stage = {"name": "make", "machines": 2, "unit_time": {"kind": "deterministic", "mean": 0.1}}
    firm, env = make_firm(
        {
            "factory": {
                "stages": [{**stage, "shifts": 1}],
                "capacity_cost_per_machine_shift": 50.0,
                "overtime_premium": 0.5,
                "shift_change_lead_days": 0,
            },
            "policy": {
                "name": "demand_centric",
                "decision": "data",
                "sop_days": 10,
                "target_utilisation": 0.8,
            },
        }
    )
    # one shift: 2 machines x 1/3 day / 0.1 = 6.67 a day; demand 10 a day, constant (sd 0)
    days = drive(firm, env, [10] * 12)
    cap = [e for e in firm.policy.decisions if e["action"] == "capacity"]
    assert [e["time"] for e in cap] == [10.5]
    # data: the fewest shifts with 10 <= capacity * 0.8: 2 shifts give 13.3 * 0.8 = 10.67
    assert cap[0]["chosen"] == 2 and firm.plant.stages[0].shifts == 2
    assert cap[0]["inputs"]["capacity_2_shifts"] == pytest.approx(2 / 3 * 2 / 0.1)
    # decided at 10.5 with no lead time: two shifts from day 11 on; every machine-shift held is
    # paid (2 machines x 1 shift x 50, then x 2 shifts), the second shift with the premium too
    assert [r.money["capacity_cost"] for r in days] == [100.0] * 11 + [200.0]
    assert [r.money["overtime_cost"] for r in days] == [0.0] * 11 + [50.0]
    assert [r.machine_shifts for r in days] == [2.0] * 11 + [4.0]


def test_ai_sop_maximises_expected_profit_over_shift_options() -> None:
    stage = {"name": "make", "machines": 1, "unit_time": {"kind": "deterministic", "mean": 0.05}}
    spec = {
        "price": 100.0,
        "factory": {"stages": [{**stage, "shifts": 1}], "capacity_cost_per_machine_shift": 200.0},
        "policy": {"name": "demand_centric", "decision": "ai", "sop_days": 20},
    }
    firm, env = make_firm(spec, seed=3)
    demand = np.random.default_rng(1).poisson(12, 21)
    drive(firm, env, demand)
    cap = next(e for e in firm.policy.decisions if e["action"] == "capacity")
    mean, sd = cap["inputs"]["forecast_mean"], cap["inputs"]["forecast_sd"]
    margin = cap["inputs"]["unit_margin"]
    profits = []
    for n in (1, 2, 3):
        k = 20.0 * n / 3  # units a day on n shifts
        sold = integrate.quad(lambda x, k=k: min(x, k) * stats.norm.pdf(x, mean, sd), -np.inf, np.inf)[0]
        # n machine-shifts a day at 200, those beyond the planned one at time and a half
        profits.append(margin * sold - 200.0 * (n + 0.5 * (n - 1)))
    assert cap["chosen"] == 1 + int(np.argmax(profits))
    for n, p in zip((1, 2, 3), profits, strict=True):
        assert cap["inputs"][f"expected_profit_{n}_shifts"] == pytest.approx(p, rel=1e-6)


def test_customised_variants_are_made_to_order_by_pull_and_never_by_push() -> None:
    factory = {"variants": ["standard", "custom"], "initial_stock": 20}
    demand, custom = [6] * 20, [0, 3, 0, 5, 1] * 4
    pull, env = make_firm(
        {"factory": factory, "policy": {"name": "demand_centric", "buffer": 10, "sop_days": 0}}
    )
    drive(pull, env, demand, custom=custom)
    mto = [e for e in pull.policy.decisions if e["rule"].startswith("make to order")]
    # one work order per day with new custom orders, for exactly those units
    assert [(e["time"], e["released"]) for e in mto] == [
        (d + 0.5, q) for d, q in enumerate(custom) if q > 0
    ]
    assert [q for _, what, v, q in pull.plant.log if what == "release" and v == 1] == [
        q for q in custom if q
    ]
    push, env2 = make_firm({"factory": factory, "policy": {"name": "supplier_centric", "min_lot": 10}})
    drive(push, env2, demand, custom=custom)
    assert all(v == 0 for _, what, v, _ in push.plant.log if what == "release")
    assert push.orders.backlog_units(1) == sum(custom)  # standard variants only: custom orders wait
