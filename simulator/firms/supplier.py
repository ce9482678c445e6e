"""The raw-material supplier: orders go out, material comes back after a lead time.

Picture a mill that a plant orders its material from. Each order waits its turn at the mill's
dispatch (when the mill can only send so many units a day), then travels for a random lead time and
lands on the plant's material shelf. Sometimes the mill is down (a strike, a flood, a scandal at the
source): scheduled in the scenario, fired by a scenario event, or at random. While it is down it
dispatches nothing, and a shipment on the road when it goes down is held until it is up again.
Ethical sourcing buys from a mill that pays fair wages and pollutes less: dearer material, a better
ethics profile for the firm.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.firms.distributions import draw_one
from simulator.scenario import Supplier as SupplierSpec


class Supplier:
    """One firm's material supplier on the shared environment.

    Args:
        env: the simulation environment (days).
        spec: the supplier's scenario section.
        rng: the supplier's stream (lead times); random disruptions use a child of it.
        deliver: called with the quantity when a shipment arrives (it goes on the shelf).
        log: an optional event log to append ``(time, what, -1, qty)`` to.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: SupplierSpec,
        rng: np.random.Generator,
        deliver: Callable[[int], Any],
        log: list[tuple[float, str, int, int]] | None = None,
    ) -> None:
        self.env = env
        self.spec = spec
        self.rng = rng
        self.deliver = deliver
        self.log = log
        self.down_until = -np.inf
        self.on_order = 0
        self.shipped = 0
        self.received = 0
        self.orders = 0
        self.down_periods: list[tuple[float, float]] = []
        """(start, end) of every disruption that was applied."""
        lead = spec.lead_days
        self._instant = (
            spec.capacity_per_day is None and lead.kind == "deterministic" and lead.mean == 0.0
        )
        self._dispatch = simpy.Resource(env, capacity=1) if spec.capacity_per_day is not None else None
        for d in spec.disruptions:
            env.process(self._scheduled(float(d.day), float(d.day + d.duration_days)))
        if spec.disruption_mtbf_days is not None:
            env.process(self._random_disruptions(rng.spawn(1)[0]))

    @property
    def is_down(self) -> bool:
        """Whether the supplier ships nothing right now."""
        return self.env.now < self.down_until

    def disrupt(self, until: float) -> None:
        """The supplier ships nothing from now until time ``until``."""
        if until > self.env.now:
            self.down_periods.append((self.env.now, until))
        self.down_until = max(self.down_until, until)

    def order(self, qty: int) -> None:
        """Order ``qty`` units of material now."""
        if qty <= 0:
            raise ValueError(f"material order quantity must be > 0, got {qty}")
        self.on_order += qty
        self.orders += 1
        if self._instant and not self.is_down:
            # an instant, unlimited supplier that is up: the material is there at once
            self.shipped += qty
            self._arrive(qty)
            return
        self.env.process(self._ship(qty))

    def _wait_while_down(self) -> Generator[simpy.Event, Any, None]:
        # A disruption can be extended while we wait, so look again after each wait.
        while self.env.now < self.down_until:
            yield self.env.timeout(self.down_until - self.env.now)

    def _ship(self, qty: int) -> Generator[simpy.Event, Any, None]:
        yield from self._wait_while_down()
        if self._dispatch is not None:
            assert self.spec.capacity_per_day is not None
            with self._dispatch.request() as turn:
                yield turn
                yield from self._wait_while_down()
                yield self.env.timeout(qty / self.spec.capacity_per_day)
        self.shipped += qty
        yield self.env.timeout(draw_one(self.spec.lead_days, self.rng))
        # A disruption that began while the shipment travelled holds it until the supplier is up.
        yield from self._wait_while_down()
        self._arrive(qty)

    def _arrive(self, qty: int) -> None:
        self.on_order -= qty
        self.received += qty
        if self.log is not None:
            self.log.append((self.env.now, "material", -1, qty))
        self.deliver(qty)

    def _scheduled(self, start: float, end: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(start - self.env.now)
        self.disrupt(end)

    def _random_disruptions(self, rng: np.random.Generator) -> Generator[simpy.Event, Any, None]:
        assert self.spec.disruption_mtbf_days is not None
        while True:
            yield self.env.timeout(float(rng.exponential(self.spec.disruption_mtbf_days)))
            length = draw_one(self.spec.disruption_days, rng)
            self.disrupt(self.env.now + length)
            yield self.env.timeout(length)
