"""The factory: a SimPy plant that turns raw material into finished goods.

Picture a workshop with a raw-material shelf, a row of identical machines and a finished-goods
cage. When a work order (a batch of one variant) is released, the same quantity of material is
ordered from the supplier (one-for-one replenishment: material on hand plus on order, less what
released batches still need, stays at its base stock); it arrives after the supplier's lead time,
later if the supplier is disrupted. The batch takes its material off the shelf (waiting if the shelf
is short), waits for a free machine, is set up, and is processed unit by unit; the whole batch moves
to the cage when its last unit is done.

Times are in days on the market's one :class:`simpy.Environment`. Counters kept here give the
material balance: ``material_received + initial_material = material_on_hand + material_used`` and
``units_released = units_completed + units_in_process``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from simulator.scenario import Distribution, Factory


def draw_times(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws (days) from a processing- or lead-time distribution."""
    if dist.kind == "deterministic" or dist.mean == 0.0:
        return np.full(n, dist.mean)
    if dist.kind == "exponential":
        return rng.exponential(dist.mean, n)
    if dist.kind == "gamma":
        shape = 1.0 / dist.cv**2
        return rng.gamma(shape, dist.mean / shape, n)
    # lognormal with the given mean and coefficient of variation
    s2 = np.log1p(dist.cv**2)
    return rng.lognormal(np.log(dist.mean) - s2 / 2.0, np.sqrt(s2), n)


class Plant:
    """One firm's plant on a shared SimPy environment.

    Args:
        env: the market's environment (days).
        spec: the factory section of the scenario.
        rng: the plant's own stream (processing times).
        supplier_rng: the supplier's own stream (lead times).
        on_complete: called with ``(variant, qty)`` when a work order's batch reaches finished goods.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: Factory,
        rng: np.random.Generator,
        supplier_rng: np.random.Generator,
        on_complete: Callable[[int, int], None],
    ) -> None:
        self.env = env
        self.spec = spec
        self.rng = rng
        self.supplier_rng = supplier_rng
        self.on_complete = on_complete
        self.material = simpy.Container(env, init=spec.initial_material)
        self.machines = simpy.Resource(env, capacity=spec.machines)
        self.supplier_down_until = -np.inf
        # counters (units)
        self.material_received = 0
        self.material_used = 0
        self.material_on_order = 0
        self.units_released = 0
        self.units_completed = 0
        self.work_orders = 0
        self.setups = 0
        self.busy_time = 0.0
        self.log: list[tuple[float, str, int, int]] = []
        """(time, what, variant, qty) for releases, starts and completions: the plant's event log."""

    @property
    def units_in_process(self) -> int:
        """Units released to the plant and not yet in finished goods."""
        return self.units_released - self.units_completed

    @property
    def capacity_per_day(self) -> float:
        """Units the machines can make in a day at the mean processing time (no set-ups)."""
        if self.spec.unit_time.mean == 0.0:
            return float("inf")
        return self.spec.machines / self.spec.unit_time.mean

    def release(self, variant: int, qty: int) -> None:
        """Start a work order of ``qty`` units of ``variant`` now."""
        if qty <= 0:
            raise ValueError(f"work order quantity must be > 0, got {qty}")
        self.units_released += qty
        self.work_orders += 1
        self.log.append((self.env.now, "release", variant, qty))
        # Material for the batch is ordered at release (one-for-one on the material position), so
        # a batch larger than the shelf waits for its delivery instead of blocking for ever.
        self._reorder_material(qty)
        self.env.process(self._work_order(variant, qty))

    def disrupt_supplier(self, until: float) -> None:
        """The supplier ships nothing before time ``until``."""
        self.supplier_down_until = max(self.supplier_down_until, until)

    def _work_order(self, variant: int, qty: int) -> Generator[simpy.Event, object, None]:
        yield self.material.get(qty)
        self.material_used += qty
        with self.machines.request() as req:
            yield req
            start = self.env.now
            self.log.append((start, "start", variant, qty))
            if self.spec.setup_days > 0.0:
                self.setups += 1
                yield self.env.timeout(self.spec.setup_days)
            elif self.spec.setup_cost > 0.0:
                self.setups += 1
            yield self.env.timeout(float(draw_times(self.spec.unit_time, self.rng, qty).sum()))
            self.busy_time += self.env.now - start
        self.units_completed += qty
        self.log.append((self.env.now, "complete", variant, qty))
        self.on_complete(variant, qty)

    def _reorder_material(self, qty: int) -> None:
        self.material_on_order += qty
        self.env.process(self._supply(qty))

    def _supply(self, qty: int) -> Generator[simpy.Event, object, None]:
        # Shipping starts when the supplier is up; a disruption holds orders placed during it.
        wait = self.supplier_down_until - self.env.now
        if wait > 0:
            yield self.env.timeout(wait)
        lead = float(draw_times(self.spec.supplier_lead_days, self.supplier_rng, 1)[0])
        yield self.env.timeout(lead)
        # A disruption that began while the shipment travelled delays it until the supplier is up.
        wait = self.supplier_down_until - self.env.now
        if wait > 0:
            yield self.env.timeout(wait)
        yield self.material.put(qty)
        self.material_on_order -= qty
        self.material_received += qty
        self.log.append((self.env.now, "material", -1, qty))
