"""A fast source of replications with a known mean, for the statistics tests only.

:func:`base_stock_firm` puts a firm's finished goods and order book in front of a one-stage plant
on a bare SimPy clock and replenishes one for one, so its fill rate is 1 - rho^S: the statistics
tests (:mod:`tests.test_stats`) use it to check that their intervals cover a known value about as
often as they claim. It is not evidence that the simulator is right: that is ``marketsim
validate``, whose cases run scenarios through the code a user runs (:mod:`simulator.validate`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from simulator.firms.firm import Firm
from simulator.firms.invariants import check_firm
from simulator.rng import Streams
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


def _noop(variant: int, qty: int) -> None:
    return None
