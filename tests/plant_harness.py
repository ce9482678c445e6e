"""Plants driven by generated arrivals on a bare SimPy clock, for agreement with queueing theory.

Theory needs many events; the market would only slow them down. :func:`open_plant` feeds a plant
built from stage sections with a Poisson stream of unit work orders; :func:`closed_plant` keeps a
fixed number of unit work orders in it (a saturated plant); :func:`base_stock_firm` puts a firm's
finished goods and order book in front of the plant and replenishes one for one. Each returns what
it measured after a warm-up. :func:`t_interval` gives the replication mean and its 95% half-width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from scipy import stats

from simulator.firms.factory import Plant
from simulator.firms.firm import Firm
from simulator.firms.invariants import check_firm, check_plant
from simulator.rng import Streams, replication_seeds
from simulator.scenario import Factory
from simulator.scenario import Firm as FirmSpec

AMPLE = 10**12
"""Raw material so plentiful that no batch ever waits for it."""


def exp_stage(machines: int = 1, mean: float = 1.0, **extra: Any) -> dict[str, Any]:
    """A stage section with exponential unit times."""
    return {
        "name": "s",
        "machines": machines,
        "unit_time": {"kind": "exponential", "mean": mean},
        **extra,
    }


def factory(stages: list[dict[str, Any]], **extra: Any) -> Factory:
    """A factory section with ample material from an instant supplier."""
    return Factory(
        stages=stages,
        initial_material=AMPLE,
        supplier={"lead_days": {"kind": "deterministic", "mean": 0.0}},
        **extra,
    )


@dataclass
class QueueStats:
    """What one open-plant replication measured after its warm-up."""

    wq: float
    """Mean wait in queue at the first stage (customers arriving after the warm-up)."""
    w: float
    """Mean time in the plant."""
    l_time_avg: float
    """Time-average number of units in the plant."""
    throughput: float
    """Units finished per day."""
    plant: Plant
    """The plant at the end of the run."""


def open_plant(
    stages: list[dict[str, Any]], rate: float, horizon: float, warmup: float, seed: Any
) -> QueueStats:
    """Poisson arrivals of unit work orders at ``rate`` a day; statistics after ``warmup``."""
    env = simpy.Environment()
    streams = Streams(seed)
    plant = Plant(
        env, factory(stages), streams.get("factory"), streams.get("supplier"), _noop, log=False
    )
    arrivals = streams.get("arrivals")

    def arrive() -> Any:
        # draw inter-arrival times in blocks: one numpy call per thousand arrivals
        while True:
            for gap in arrivals.exponential(1.0 / rate, 1024):
                yield env.timeout(gap)
                plant.release(0, 1)

    env.process(arrive())
    env.run(until=warmup)
    area0, done0 = plant.wip_area_now(), plant.units_completed
    env.run(until=horizon)
    check_plant(plant)
    v = plant.stages[0].visits
    wo = plant.orders
    sel = (v["arrived"] >= warmup) & (v["started"] >= 0)
    fin = (wo["released"] >= warmup) & ~np.isnan(wo["completed"])
    span = horizon - warmup
    return QueueStats(
        wq=float((v["started"][sel] - v["arrived"][sel]).mean()),
        w=float((wo["completed"][fin] - wo["released"][fin]).mean()),
        l_time_avg=(plant.wip_area_now() - area0) / span,
        throughput=(plant.units_completed - done0) / span,
        plant=plant,
    )


def closed_plant(
    stages: list[dict[str, Any]], jobs: int, horizon: float, warmup: float, seed: Any
) -> tuple[float, Plant]:
    """Keep ``jobs`` unit work orders in the plant (one more at each completion): (throughput, plant)."""
    env = simpy.Environment()
    streams = Streams(seed)
    holder: list[Plant] = []

    def again(variant: int, qty: int) -> None:
        holder[0].release(variant, qty)

    plant = Plant(
        env, factory(stages), streams.get("factory"), streams.get("supplier"), again, log=False
    )
    holder.append(plant)
    for _ in range(jobs):
        plant.release(0, 1)
    env.run(until=warmup)
    done0 = plant.units_completed
    env.run(until=horizon)
    check_plant(plant)
    return (plant.units_completed - done0) / (horizon - warmup), plant


def base_stock_firm(
    stages: list[dict[str, Any]], base_stock: int, rate: float, horizon: float, warmup: float, seed: Any
) -> float:
    """Make-to-stock with base stock ``S`` and one-for-one replenishment; the fill rate after warm-up.

    Each demand (Poisson, one unit) is booked with the firm (filled from stock, else backordered
    first in first out) and releases a unit work order at once, so the inventory position stays
    at ``S`` and the orders outstanding at the plant are the number in an M/M/1 queue.
    """
    env = simpy.Environment()
    streams = Streams(seed)
    spec = FirmSpec(name="MTS", factory=factory(stages, initial_stock=base_stock))
    firm = Firm(0, spec, env, streams.get("factory"), streams.get("supplier"), log=False)
    arrivals = streams.get("arrivals")
    one = np.zeros(1, dtype=np.int64)
    variant = np.zeros(1, dtype=np.int16)
    never = np.full(1, np.inf)

    def arrive() -> Any:
        while True:
            for gap in arrivals.exponential(1.0 / rate, 1024):
                yield env.timeout(gap)
                firm.book(one, variant, never)
                firm.release(0, 1)

    env.process(arrive())
    env.run(until=horizon)
    check_firm(firm)
    assert firm.inventory_position() == base_stock
    o = firm.orders
    measured = o.placed >= warmup
    return float(o.from_stock[measured].mean())


def t_interval(xs: list[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the Student t interval) over replications."""
    x = np.asarray(xs, dtype=float)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return float(x.mean()), half


def replications(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The replication seeds (``SeedSequence(seed).spawn(n)``)."""
    return replication_seeds(seed, n)


def assert_agrees(name: str, xs: list[float], theory: float, rel: float, max_half: float) -> None:
    """Theory lies within the t interval widened by ``rel`` x theory, and the interval is tight.

    ``max_half`` bounds the half-width relative to theory, so a test with too few events fails
    instead of passing on a uselessly wide interval.
    """
    mean, half = t_interval(xs)
    print(f"{name}: simulated {mean:.4f} +/- {half:.4f} (n={len(xs)}), theory {theory:.4f}")
    assert half <= max_half * abs(theory), f"{name}: interval too wide ({half:.4g}) to judge"
    assert abs(mean - theory) <= half + rel * abs(theory), (
        f"{name}: simulated {mean:.4f} +/- {half:.4f} vs theory {theory:.4f}"
    )


def _noop(variant: int, qty: int) -> None:
    return None
