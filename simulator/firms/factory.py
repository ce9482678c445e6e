"""The factory: a SimPy plant that turns raw material into finished goods.

Picture a plant with a raw-material shelf, a routing of bays (say fabrication, assembly, packing)
and a finished-goods cage. When the planner releases a work order (a batch of one variant) the same
quantity of material is ordered from the supplier (one-for-one replenishment: material on hand plus
on order, less what released batches still need, stays at its base stock). The batch takes its
material off the shelf (waiting if the shelf is short), then visits each stage in turn
(:mod:`simulator.firms.stages`: queue, set-up, processing, failures, defects) and reaches the cage
with the units that survived.

Under kanban control (:meth:`Plant.install_kanban`) the batches of one variant move as units with
cards (:mod:`simulator.firms.kanban`): a unit enters a stage only with one of its cards and gives the
previous stage's card back as it does; a finished unit keeps the last stage's card in finished goods
until an order takes it (:meth:`Plant.withdrawn`). A unit done at a stage whose successor has no card
free waits there (blocked).

Times are in days on one :class:`simpy.Environment`. Counters kept here give the plant's balances:
``initial_material + material_received = material_on_hand + material_used``;
``units_released = units_completed + units_scrapped + units_in_process``. Work in process is
integrated over time, and every unit's time in the plant is summed when it leaves, so Little's law
holds on the sample path: the area under the WIP curve equals the time spent by the units that left
plus the age of those still inside.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from simulator.firms.columns import Columns
from simulator.firms.distributions import draw_times
from simulator.firms.kanban import CardPool
from simulator.firms.stages import Stage, WorkOrder
from simulator.firms.supplier import Supplier
from simulator.scenario import Factory

__all__ = ["PLANT_COST_ITEMS", "Plant", "draw_times"]

PLANT_COST_ITEMS: tuple[str, ...] = ("material_cost", "production_cost", "setup_cost")
"""Money the plant spends as it works (the firm books it on the day it is spent)."""


class Plant:
    """One firm's plant on a (shared) SimPy environment.

    Args:
        env: the simulation environment (days).
        spec: the factory section of the scenario.
        rng: the plant's own stream (each stage gets a child: processing times, defects, failures).
        supplier_rng: the supplier's own stream (lead times, disruptions).
        on_complete: called with ``(variant, qty)`` when a work order's good units reach finished goods.
        log: keep the event log ``self.log`` (switch off for long validation runs).
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: Factory,
        rng: np.random.Generator,
        supplier_rng: np.random.Generator,
        on_complete: Callable[[int, int], None],
        log: bool = True,
    ) -> None:
        self.env = env
        self.spec = spec
        self.rng = rng
        self.on_complete = on_complete
        self.log: list[tuple[float, str, int, int]] = []
        """(time, what, variant, qty) for releases, starts, completions, scrap and material receipts."""
        self._logging = log
        self.money = dict.fromkeys(PLANT_COST_ITEMS, 0.0)
        """Money spent so far, by ledger item."""
        routing = spec.routing()
        share = spec.production_cost / len(routing)
        self.stages = [
            Stage(
                env,
                s,
                r,
                share if s.unit_cost is None else s.unit_cost,
                self._accrue,
                self._scrapped,
            )
            for s, r in zip(routing, rng.spawn(len(routing)), strict=True)
        ]
        supply = spec.supply()
        premium = supply.ethical_premium if supply.ethical else 0.0
        self.material_price = spec.material_cost * (1.0 + premium)
        self.material = simpy.Container(env, init=spec.initial_material)
        self.supplier = Supplier(env, supply, supplier_rng, self._receive, self.log if log else None)
        # counters (units)
        self.material_used = 0
        self.units_released = 0
        self.units_completed = 0
        self.units_scrapped = 0
        self.units_waiting_material = 0
        self.units_blocked = 0
        """Units waiting for a kanban card: at the release point or done at a stage whose successor
        has none free."""
        self.kanban: list[CardPool] | None = None
        """Each stage's kanban cards (None: no kanban; batches flow freely)."""
        self.kanban_variant = 0
        self.on_scrap: Callable[[int, int], None] | None = None
        """Called with ``(variant, units)`` after units are scrapped (a listening policy may release)."""
        self.on_card_free: Callable[[], None] | None = None
        """Called when kanban cards of the first stage come back inside the plant (a unit moved on
        or was scrapped there): a continuous-review policy releases on it."""
        self.in_process_by_variant = np.zeros(len(spec.variants), dtype=np.int64)
        """Units of each variant in the plant (released, not yet finished or scrapped)."""
        self.work_orders = 0
        # Little's law on the sample path: WIP area, time spent by units that left, release times
        # of the units still inside.
        self.wip_area = 0.0
        self.exited_time = 0.0
        self._wip_since = env.now
        self._inside_release_sum = 0.0
        self.orders = Columns(
            {
                "variant": np.int16,
                "qty": np.int64,
                "good": np.int64,
                "released": np.float64,
                "completed": np.float64,
            },
            capacity=256,
        )
        """One row per work order; ``completed`` is NaN while it is in the plant."""

    # --- counters kept for callers of the one-stage plant -------------------------------------------
    @property
    def units_in_process(self) -> int:
        """Units released to the plant and not yet in finished goods or scrapped (on order)."""
        return self.units_released - self.units_completed - self.units_scrapped

    @property
    def material_received(self) -> int:
        """Units of material delivered so far."""
        return self.supplier.received

    @property
    def material_on_order(self) -> int:
        """Units of material ordered and not yet delivered."""
        return self.supplier.on_order

    @property
    def supplier_down_until(self) -> float:
        """Time until which the supplier ships nothing."""
        return self.supplier.down_until

    @property
    def setups(self) -> int:
        """Set-ups done on all stages."""
        return sum(s.setups for s in self.stages)

    @property
    def busy_time(self) -> float:
        """Machine-days spent setting up or processing, all stages."""
        return sum(s.busy_time for s in self.stages)

    @property
    def capacity_per_day(self) -> float:
        """Units a day the bottleneck stage can make at mean times (no set-ups)."""
        return min(s.capacity_per_day for s in self.stages)

    # --- the planner's levers -------------------------------------------------------------------
    def release(self, variant: int, qty: int) -> None:
        """Start a work order of ``qty`` units of ``variant`` now."""
        if qty <= 0:
            raise ValueError(f"work order quantity must be > 0, got {qty}")
        if not 0 <= variant < len(self.spec.variants):
            raise ValueError(f"no variant {variant} (the plant makes {len(self.spec.variants)})")
        now = self.env.now
        self._wip_to_now()
        self.units_released += qty
        self.in_process_by_variant[variant] += qty
        self._inside_release_sum += qty * now
        row = self.orders.append(variant=variant, qty=qty, good=0, released=now, completed=np.nan)
        wo = WorkOrder(row, variant, qty, now)
        self.work_orders += 1
        if self._logging:
            self.log.append((now, "release", variant, qty))
        card = None
        if self.kanban is not None and variant == self.kanban_variant:
            # ask for the first stage's cards now, so that the next look at the rack sees them gone
            wo.carded = True
            self.units_blocked += qty
            card = self.kanban[0].take(qty)
        # Material for the batch is ordered at release (one-for-one on the material position), so
        # a batch larger than the shelf waits for its delivery instead of blocking for ever.
        self.supplier.order(qty)
        self.env.process(self._work_order(wo, card))

    def install_kanban(self, cards: Sequence[int], variant: int = 0, finished: int = 0) -> None:
        """Run ``variant`` under kanban from now on: ``cards[i]`` cards at stage ``i``.

        ``finished`` units of it already in finished goods hold cards of the last stage. Work orders
        of other variants flow freely (made to order outside the kanban loop).
        """
        if self.kanban is not None:
            raise ValueError("kanban is installed already")
        if len(cards) != len(self.stages):
            raise ValueError(
                f"kanban needs one card count per stage ({len(self.stages)}), got {len(cards)}"
            )
        if self.units_in_process:
            raise ValueError("install kanban before any work order is released")
        self.kanban = [CardPool(self.env, int(k)) for k in cards]
        self.kanban[-1].in_use = finished
        self.kanban_variant = variant

    def set_cards(self, stage: int, cards: int) -> None:
        """Keep ``cards`` kanban cards at ``stage`` from now on."""
        if self.kanban is None:
            raise ValueError("no kanban installed")
        self.kanban[stage].resize(cards)

    def free_cards(self, stage: int = 0) -> int:
        """Kanban cards free at ``stage`` now, less those asked for by units already waiting."""
        if self.kanban is None:
            raise ValueError("no kanban installed")
        pool = self.kanban[stage]
        return max(pool.free - pool.waiting, 0)

    def withdrawn(self, variant: int, units: int) -> None:
        """``units`` of ``variant`` left finished goods (an order took them): their cards come back."""
        if self.kanban is not None and variant == self.kanban_variant and units > 0:
            last = self.kanban[-1]
            last.give_back(min(units, last.in_use))

    def disrupt_supplier(self, until: float) -> None:
        """The supplier ships nothing before time ``until``."""
        self.supplier.disrupt(until)

    def set_shifts(self, stage: int, shifts: int) -> None:
        """Work ``shifts`` shifts a day on a stage (overtime when above its planned shifts)."""
        self.stages[stage].set_shifts(shifts)

    def set_capacity(self, machines: int, stage: int | None = None) -> None:
        """Run ``machines`` machines on a stage (default: the bottleneck; a short plant has one)."""
        if stage is None:
            stage = min(range(len(self.stages)), key=lambda i: self.stages[i].capacity_per_day)
        self.stages[stage].set_machines(machines)

    def overtime_machine_shifts(self) -> int:
        """Machine-shifts a day worked beyond plan at the current settings."""
        return sum(max(s.shifts - s.spec.shifts, 0) * s.n_machines for s in self.stages)

    # --- the flow -------------------------------------------------------------------------------------
    def _card(self, stage: int, wo: WorkOrder) -> Generator[simpy.Event, Any, None]:
        # wait for a card of ``stage``, then give the previous stage's back (the unit left it)
        assert self.kanban is not None
        pool = self.kanban[stage]
        self.units_blocked += wo.qty
        yield pool.take(wo.qty)
        self.units_blocked -= wo.qty
        if stage > 0:
            self.kanban[stage - 1].give_back(wo.qty)
            if stage == 1 and self.on_card_free is not None:
                self.on_card_free()

    def _work_order(self, wo: WorkOrder, card: simpy.Event | None) -> Generator[simpy.Event, Any, None]:
        if card is not None:
            yield card
            self.units_blocked -= wo.qty
        self.units_waiting_material += wo.qty
        yield self.material.get(wo.qty)
        self.units_waiting_material -= wo.qty
        self.material_used += wo.qty
        if self._logging:
            self.log.append((self.env.now, "start", wo.variant, wo.qty))
        for i, stage in enumerate(self.stages):
            if wo.carded and i > 0:
                yield from self._card(i, wo)
            wo.stage = i
            yield from stage.visit(wo)
            if wo.qty == 0:
                break
        self._leave(wo, wo.qty)
        self.units_completed += wo.qty
        self.orders.raw("good")[wo.id] = wo.qty
        self.orders.raw("completed")[wo.id] = self.env.now
        if self._logging:
            self.log.append((self.env.now, "complete", wo.variant, wo.qty))
        if wo.qty:
            self.on_complete(wo.variant, wo.qty)

    def _scrapped(self, wo: WorkOrder, units: int) -> None:
        self._leave(wo, units)
        self.units_scrapped += units
        if wo.carded:
            assert self.kanban is not None
            self.kanban[wo.stage].give_back(units)  # a scrapped unit frees its card
            if wo.stage == 0 and self.on_card_free is not None:
                self.on_card_free()
        if self._logging:
            self.log.append((self.env.now, "scrap", wo.variant, units))
        if self.on_scrap is not None:
            self.on_scrap(wo.variant, units)

    def _leave(self, wo: WorkOrder, units: int) -> None:
        self._wip_to_now()
        self.exited_time += units * (self.env.now - wo.released)
        self.in_process_by_variant[wo.variant] -= units
        self._inside_release_sum -= units * wo.released

    def _receive(self, qty: int) -> None:
        self.money["material_cost"] += qty * self.material_price
        self.material.put(qty)

    def _accrue(self, item: str, amount: float) -> None:
        self.money[item] += amount

    # --- Little's law -------------------------------------------------------------------------------
    def _wip_to_now(self) -> None:
        now = self.env.now
        self.wip_area += self.units_in_process * (now - self._wip_since)
        self._wip_since = now

    def wip_area_now(self) -> float:
        """Unit-days of work in process from the start until now."""
        return self.wip_area + self.units_in_process * (self.env.now - self._wip_since)

    def inside_age_now(self) -> float:
        """Unit-days spent so far by the units still in the plant."""
        return self.units_in_process * self.env.now - self._inside_release_sum
