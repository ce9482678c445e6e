"""The conservation laws hold on many random plants, policies and demands (hypothesis).

Every factory-only run checks the firm's laws after every day (:func:`check_firm`): material
balance at each stock point, units started = finished + scrapped + in process (and found at the
stages), orders = delivered + in transit + open + cancelled, money adds up, inventory position =
on hand + on order - backorders, no negative stock, Little's law on the sample path. A market run
checks the same every day through :func:`run_once`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.demand import daily_table, generate_daily, unit_orders
from simulator.experiments.run import run_once
from simulator.factory_mode import FactoryRun
from simulator.rng import Streams
from simulator.scenario import parse_scenario
from tests.conftest import tiny_scenario

KINDS = ["deterministic", "exponential", "gamma", "lognormal"]


@st.composite
def distributions(draw: st.DrawFn, lo: float, hi: float) -> dict[str, Any]:
    return {
        "kind": draw(st.sampled_from(KINDS)),
        "mean": draw(st.floats(lo, hi)),
        "cv": draw(st.floats(0.2, 2.0)),
    }


@st.composite
def stages(draw: st.DrawFn, k: int) -> dict[str, Any]:
    return {
        "name": f"s{k}",
        "machines": draw(st.integers(1, 3)),
        "unit_time": draw(distributions(0.001, 0.08)),
        "setup_days": draw(st.sampled_from([0.0, 0.05, 0.3])),
        "setup_cost": draw(st.sampled_from([0.0, 25.0])),
        "setup_when": draw(st.sampled_from(["every_batch", "variant_change"])),
        "mtbf_days": draw(st.sampled_from([None, 0.5, 5.0])),
        "mttr_days": draw(distributions(0.01, 0.5)),
        "defect_rate": draw(st.sampled_from([0.0, 0.05, 0.4])),
        "rework": draw(st.booleans()),
        "shifts": draw(st.integers(1, 3)),
    }


@st.composite
def factories(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    return {
        "stages": [draw(stages(k)) for k in range(n)],
        "supplier": {
            "lead_days": draw(distributions(0.0, 6.0)),
            "capacity_per_day": draw(st.sampled_from([None, 15.0, 200.0])),
            "ethical": draw(st.booleans()),
            "disruptions": draw(
                st.lists(
                    st.fixed_dictionaries(
                        # inside the 20-day market run (a disruption after the end is an error)
                        {"day": st.integers(0, 19), "duration_days": st.integers(1, 10)}
                    ),
                    max_size=2,
                )
            ),
            "disruption_mtbf_days": draw(st.sampled_from([None, 10.0])),
        },
        "initial_stock": draw(st.integers(0, 60)),
        "initial_material": draw(st.integers(0, 200)),
        "shipping_days": draw(st.sampled_from([0.0, 1.0, 2.5])),
        "marketing_cost_per_day": draw(st.sampled_from([0.0, 10.0])),
        "variants": draw(st.sampled_from([["standard"], ["standard", "custom"]])),
    }


POLICIES = st.one_of(
    st.fixed_dictionaries(
        {
            "name": st.just("supplier_centric"),
            "review_days": st.integers(1, 7),
            "min_lot": st.integers(0, 60),
            "lead_time_days": st.floats(0.0, 6.0),
        }
    ),
    st.fixed_dictionaries({"name": st.just("demand_centric"), "buffer": st.integers(0, 40)}),
    st.fixed_dictionaries(
        {
            "name": st.just("demand_centric"),
            "buffer": st.integers(0, 40),
            "review": st.sampled_from(["periodic", "continuous"]),
            "control": st.just("kanban"),
        }
    ),
    st.fixed_dictionaries(
        {
            "name": st.just("demand_centric"),
            "buffer": st.integers(0, 40),
            "review": st.sampled_from(["periodic", "continuous"]),
            "control": st.just("conwip"),
            "wip_limit": st.integers(1, 30),
            "transfer_batch": st.integers(1, 4),
        }
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    factory=factories(),
    policy=POLICIES,
    kind=st.sampled_from(["normal", "poisson", "ar1", "seasonal"]),
    mean=st.floats(1.0, 30.0),
    patience=st.sampled_from([None, 0.0, 3.0]),
    within_day=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_laws_hold_in_factory_runs(
    factory: dict[str, Any],
    policy: dict[str, Any],
    kind: str,
    mean: float,
    patience: float | None,
    within_day: bool,
    seed: int,
) -> None:
    s = parse_scenario(
        {
            "run": {"days": 40, "warmup_days": 5},
            "firms": [{"name": "F", "factory": factory, "policy": policy}],
        }
    )
    units = generate_daily(kind, 40, Streams(seed).get("demand"), mean=mean, sd=mean / 3, period=14)  # type: ignore[arg-type]
    # one order a day at its start, or one order per unit at random times within the day
    table = unit_orders(units, Streams(seed).get("times")) if within_day else daily_table(units)
    if len(factory["variants"]) > 1:  # on about a third of the days the orders are for the custom one
        table["variant"] = (Streams(seed).get("variants").random(len(table)) < 0.35).astype(np.int16)
    if patience is not None:
        table["patience_days"] = patience
    run = FactoryRun(s, "F", table, seed=seed, unit_orders=not within_day)
    run.run(40)  # check_firm after every day, the full audit on days 1, 2, 4, ... and at the end
    firm = run.firm
    ts = run.timeseries()
    assert ts["units_ordered"].sum() == units.sum()
    assert (ts[["on_hand", "backorders", "wip", "material_on_hand"]] >= 0).all().all()
    daily_util = ts.filter(like="utilisation_").to_numpy()
    assert ((daily_util >= 0) & (daily_util <= 1 + 1e-9)).all()
    k = run.result(5).summary["firms"]["F"]
    for key in ("fill_rate", "cycle_service_level", "otif", "unit_fill_rate"):
        assert k[key] is None or 0.0 <= k[key] <= 1.0
    assert all(0.0 <= u <= 1.0 + 1e-9 for u in k["utilisation"].values())
    assert firm.plant.units_completed + firm.plant.units_scrapped <= firm.plant.units_released


@settings(max_examples=8, deadline=None)
@given(factory=factories(), seed=st.integers(0, 10_000))
def test_laws_hold_in_the_market(factory: dict[str, Any], seed: int) -> None:
    s = tiny_scenario(**{"run.days": 20, "firms.1.factory": factory})
    result = run_once(s, seed=seed, agents=False)  # check_firm after every day
    assert np.isfinite(result.timeseries["profit"]).all()


def _long_run(days: int, patience: float) -> FactoryRun:
    s = parse_scenario(
        {
            "run": {"days": days, "warmup_days": 5},
            "firms": [
                {
                    "name": "F",
                    "factory": {"initial_stock": 20, "shipping_days": 2.0},
                    "policy": {"name": "demand_centric", "buffer": 10, "review": "continuous"},
                }
            ],
        }
    )
    units = generate_daily("poisson", days, Streams(1).get("demand"), mean=20.0)
    table = unit_orders(units, Streams(1).get("times")).assign(patience_days=patience)
    return FactoryRun(s, "F", table, seed=1)


def test_the_daily_check_reads_the_days_orders_not_the_history() -> None:
    """Its time is in proportion to the orders booked since the last check and those still open or
    on the road: after 400 days of 20 orders a day it reads no more than a few days' orders."""
    run = _long_run(400, 3.0)
    read, total = [], []
    for _ in range(400):
        run.step()
        read.append(run.firm.__dict__["_order_audit"].last_read)
        total.append(run.firm.orders.n)
    assert total[-1] > 7_000
    # new orders (about 20) + open ones + those in transit (2 days of shipping: about 40)
    assert max(read[10:]) < 150, max(read)


def test_a_corrupt_open_order_is_caught_the_same_day() -> None:
    run = _long_run(40, np.inf)
    for _ in range(20):
        run.step()
    o = run.firm.orders
    queue = o.backlog(0)
    if len(queue) == 0:  # make sure an order is open: book one the plant cannot fill today
        run.firm.book(np.array([0]), np.array([0], np.int16), np.array([np.inf]), qty=np.array([10_000]))
        queue = o.backlog(0)
    o._queues[0]._head += 1  # an order falls off the backlog without being filled or cancelled
    import pytest

    from simulator.firms.invariants import InvariantError

    with pytest.raises(InvariantError, match="backlog queues hold"):
        run.step()


def test_a_corrupt_old_record_is_caught_by_the_full_audit() -> None:
    """A delivered order is not read again by the daily check; the full audit (days 1, 2, 4, ...,
    and the end of the run) reads every order and finds the damage."""
    from simulator.firms.invariants import InvariantError, check_firm

    run = _long_run(40, np.inf)
    for _ in range(20):
        run.step()
    o = run.firm.orders
    first = int(np.flatnonzero(~np.isnan(o.delivered))[0])
    o._cols["cancelled"][first] = 3.0  # a delivered order now also says it was cancelled
    run.step()  # day 20: no full audit, and the order is not watched any more
    import pytest

    with pytest.raises(InvariantError, match="both filled and cancelled"):
        check_firm(run.firm, full=True)
