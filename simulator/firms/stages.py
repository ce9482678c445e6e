"""A production stage: a group of identical machines that batches queue for.

Picture the fabrication bay of a plant: a few identical machines and a queue of batches (work
orders) in front of them. A batch takes the first free machine, preferably one already set up for
its variant; the machine is set up (every batch, or only when it last ran another variant: the
cost of customisation), then works through the batch unit by unit. Some units come out defective
and are reworked on the spot (each pass may fail again) or scrapped. Machines fail now and then and
are repaired; the batch on a failed machine waits for a machine again and resumes where it stopped
(preemptive resume). Outside its shifts the bay stands still the same way.

The machines are a SimPy resource (a :class:`simpy.PreemptiveResource` when failures or shifts can
take a machine away). Each visit of a batch is one row of numpy columns (arrival, start, finish,
units in and out), so waiting times and utilisation come straight from the record.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import simpy

from simulator.firms.columns import Columns
from simulator.firms.distributions import draw_one, draw_total
from simulator.scenario import Stage as StageSpec

NEW, RESUMED, MACHINE_HOLD = 1, 0, -1
"""Request priorities: a resumed batch goes before new ones; failures and off-shift holds take a
machine from any batch (they preempt) but not from each other."""


class _InsertedQueue(simpy.resources.resource.SortedQueue):
    """SimPy's queue of requests by priority, kept sorted by inserting each new request in place
    (a binary search) instead of re-sorting the whole queue with a Python key per request: the same
    order (a new request goes after those of equal key), without a cost that grows with the queue
    in every request of a plant whose backlog grows."""

    _key = attrgetter("key")

    def append(self, item: Any) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        bisect.insort_right(self, item, key=self._key)


class _Machines(simpy.PreemptiveResource):
    """A preemptive group of machines whose queue inserts requests in place."""

    PutQueue = _InsertedQueue


@dataclass(slots=True)
class WorkOrder:
    """A batch of one variant moving through the routing (one per release, never one per unit)."""

    id: int
    variant: int
    qty: int
    """Good units still in the batch (scrap lowers it)."""
    released: float
    stage: int = -1
    """Index of the stage the batch is at (or has last left); -1 before the first."""
    carded: bool = False
    """Whether the batch moves under kanban cards (it holds a card of the stage it is at)."""


class Stage:
    """One stage of a plant's routing.

    Args:
        env: the simulation environment (days).
        spec: the stage's scenario section.
        rng: the stage's stream (processing times, defects); failures use a child of it.
        unit_cost: money per unit processed once (rework passes included).
        accrue: called with ``(ledger item, amount)`` when the stage spends money.
        on_scrap: called with ``(work order, units)`` when units are scrapped.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: StageSpec,
        rng: np.random.Generator,
        unit_cost: float,
        accrue: Callable[[str, float], None],
        on_scrap: Callable[[WorkOrder, int], None],
    ) -> None:
        self.env = env
        self.spec = spec
        self.name = spec.name
        self.rng = rng
        self.unit_cost = unit_cost
        self.accrue = accrue
        self.on_scrap = on_scrap
        c = spec.machines
        self.preemptive = spec.mtbf_days is not None or spec.shifts < 3
        kind = _Machines if self.preemptive else simpy.Resource
        self.machines: simpy.Resource = kind(env, capacity=c)
        self.set_up_for = [-1] * c
        """Variant each machine is set up for (-1: none yet)."""
        self._free = list(range(c))
        self._retire = 0
        self._busy_since: dict[int, float] = {}
        """Machine -> time it took its current batch (busy time not yet booked)."""
        self.n_machines = c
        """Machines now (the planner may change it: :meth:`set_machines`)."""
        self._machine_days = 0.0
        self._machines_since = env.now
        self._fail_rng: np.random.Generator | None = None
        self.shifts = spec.shifts
        # counters: units and machine-days
        self.units_in = 0
        self.units_out = 0
        self.units_scrapped = 0
        self.units_processed = 0
        """Unit operations, rework passes included."""
        self.units_waiting = 0
        self.units_in_service = 0
        self.setups = 0
        self.busy_time = 0.0
        """Machine-days spent setting up or processing (a set-up cut short counts)."""
        self.down_time = 0.0
        """Machine-days under repair."""
        self.off_time = 0.0
        """Machine-days outside shifts."""
        self.failures = 0
        self.visits = Columns(
            {
                "work_order": np.int64,
                "variant": np.int16,
                "qty_in": np.int64,
                "qty_out": np.int64,
                "arrived": np.float64,
                "started": np.float64,
                "finished": np.float64,
            },
            capacity=256,
        )
        if spec.mtbf_days is not None:
            self._fail_rng = rng.spawn(1)[0]
            for k in range(c):
                env.process(self._failures(k))
        if spec.shifts < 3:
            env.process(self._calendar())

    # --- capacity --------------------------------------------------------------------------------
    @property
    def availability(self) -> float:
        """Long-run share of calendar time a machine can work (shifts and failures)."""
        a = self.shifts / 3.0
        if self.spec.mtbf_days is not None:
            a *= self.spec.mtbf_days / (self.spec.mtbf_days + self.spec.mttr_days.mean)
        return a

    @property
    def capacity_per_day(self) -> float:
        """Units a day the stage can make at its mean processing time, net of availability and rework."""
        t = self.spec.unit_time.mean
        if t == 0.0:
            return float("inf")
        passes = 1.0 / (1.0 - self.spec.defect_rate) if self.spec.rework else 1.0
        return self.n_machines * self.availability / (t * passes)

    def set_machines(self, machines: int) -> None:
        """Run ``machines`` machines from now on (a batch on a retired machine finishes first)."""
        if machines < 1:
            raise ValueError(f'"machines" must be >= 1, got {machines}')
        now = self.env.now
        self._machine_days += self.n_machines * (now - self._machines_since)
        self._machines_since = now
        old = self.n_machines
        self.n_machines = machines
        self.machines._capacity = machines  # SimPy has no public setter; grants follow the new value
        if machines > old:
            keep = min(self._retire, machines - old)  # machines on their way out stay after all
            self._retire -= keep
            for _ in range(machines - old - keep):
                k = len(self.set_up_for)
                self.set_up_for.append(-1)
                self._free.append(k)
                if self._fail_rng is not None:
                    self.env.process(self._failures(k))
            self.machines._trigger_put(None)
        else:
            drop = old - machines
            while drop and self._free:
                self._free.pop(0)
                drop -= 1
            self._retire += drop

    def busy_now(self) -> float:
        """Machine-days busy until now, batches still on a machine included."""
        now = self.env.now
        return self.busy_time + sum(now - t for t in self._busy_since.values())

    def machine_days(self) -> float:
        """Machine-days of capacity from the start until now (machines in use x days)."""
        return self._machine_days + self.n_machines * (self.env.now - self._machines_since)

    def set_shifts(self, shifts: int) -> None:
        """Work ``shifts`` 8-hour shifts a day from the next day on (needs a stage planned below 3)."""
        if not 1 <= shifts <= 3:
            raise ValueError(f'"shifts" must be 1, 2 or 3, got {shifts}')
        if self.spec.shifts == 3 and shifts != 3:
            raise ValueError(f"stage {self.name!r} is planned round the clock; it has no shift calendar")
        self.shifts = shifts

    # --- one batch ---------------------------------------------------------------------------------
    def _work_content(self, qty: int) -> tuple[float, int, int]:
        """(processing days, unit operations, units scrapped) for a batch of ``qty`` units."""
        p = self.spec.defect_rate
        if p == 0.0:
            return draw_total(self.spec.unit_time, self.rng, qty), qty, 0
        defective = int(self.rng.binomial(qty, p))
        if not self.spec.rework:
            return draw_total(self.spec.unit_time, self.rng, qty), qty, defective
        ops = qty
        while defective:  # each rework pass can fail again (geometric number of passes)
            ops += defective
            defective = int(self.rng.binomial(defective, p))
        return draw_total(self.spec.unit_time, self.rng, ops), ops, 0

    def _give_back(self, machine: int) -> None:
        if self._retire:
            self._retire -= 1
        else:
            self._free.append(machine)

    def _take(self, variant: int) -> int:
        free = self._free
        for i in range(len(free) - 1, -1, -1):
            if self.set_up_for[free[i]] == variant:
                return free.pop(i)
        return free.pop()

    def visit(self, wo: WorkOrder) -> Generator[simpy.Event, Any, None]:
        """Process ``wo`` on this stage (use with ``yield from`` inside the work order's process)."""
        env = self.env
        spec = self.spec
        arrived = env.now
        qty_in = wo.qty
        self.units_in += qty_in
        self.units_waiting += qty_in
        work, ops, scrapped = self._work_content(qty_in)
        started = -1.0
        setup_needed = spec.setup_days > 0.0 or spec.setup_cost > 0.0
        first_setup = spec.setup_when == "every_batch"
        priority = NEW
        done = False
        while not done:
            if self.preemptive:
                # a batch waits its turn (resumed ones first) but never takes a machine from another
                req = self.machines.request(priority=priority, preempt=False)  # type: ignore[call-arg]
            else:
                req = self.machines.request()
            machine = -1
            acquired = t_work = env.now
            in_setup = False
            try:
                yield req
                machine = self._take(wo.variant)
                acquired = t_work = env.now
                self._busy_since[machine] = acquired
                if started < 0:
                    started = acquired
                    self.units_waiting -= qty_in
                    self.units_in_service += qty_in
                if setup_needed and (first_setup or self.set_up_for[machine] != wo.variant):
                    in_setup = True
                    if spec.setup_days > 0.0:
                        yield env.timeout(spec.setup_days)
                    in_setup = False
                    first_setup = False
                    self.set_up_for[machine] = wo.variant
                    self.setups += 1
                    if spec.setup_cost:
                        self.accrue("setup_cost", spec.setup_cost)
                    t_work = env.now
                if work > 0.0:
                    yield env.timeout(work)
                done = True
            except simpy.Interrupt:
                # Preempted by a failure or the end of a shift: keep the work done (a set-up cut
                # short is lost) and queue again ahead of new batches.
                if machine >= 0 and not in_setup:
                    work = max(work - (env.now - t_work), 0.0)
                priority = RESUMED
            finally:
                if machine >= 0:
                    self.busy_time += env.now - acquired
                    del self._busy_since[machine]
                    self._give_back(machine)
                self.machines.release(req)
        self.units_in_service -= qty_in
        self.units_processed += ops
        if self.unit_cost:
            self.accrue("production_cost", ops * self.unit_cost)
        if scrapped:
            self.units_scrapped += scrapped
            wo.qty -= scrapped
            self.on_scrap(wo, scrapped)
        self.units_out += wo.qty
        self.visits.append(
            work_order=wo.id,
            variant=wo.variant,
            qty_in=qty_in,
            qty_out=wo.qty,
            arrived=arrived,
            started=started,
            finished=env.now,
        )

    # --- machines taken away ---------------------------------------------------------------------
    def _hold(self) -> Generator[simpy.Event, Any, tuple[simpy.resources.resource.Request, int]]:
        req = self.machines.request(priority=MACHINE_HOLD, preempt=True)  # type: ignore[call-arg]
        yield req
        return req, self._free.pop()

    def _failures(self, k: int) -> Generator[simpy.Event, Any, None]:
        # Machine k's life: up for an exponential time (calendar days), then down for a repair;
        # it ends when the planner takes the machine out of use.
        assert self.spec.mtbf_days is not None and self._fail_rng is not None
        rng = self._fail_rng
        while k < self.n_machines:
            yield self.env.timeout(float(rng.exponential(self.spec.mtbf_days)))
            req, machine = yield from self._hold()
            self.failures += 1
            t0 = self.env.now
            yield self.env.timeout(draw_one(self.spec.mttr_days, rng))
            self.down_time += self.env.now - t0
            self._give_back(machine)
            self.machines.release(req)

    def _calendar(self) -> Generator[simpy.Event, Any, None]:
        # Day k works [k, k + shifts/3); the rest of the day every machine is held idle. A hold
        # can wait behind a repair; a day whose off period has passed by then is skipped.
        k = 0
        while True:
            off_at = k + self.shifts / 3.0
            if self.shifts < 3 and self.env.now < k + 1:
                if self.env.now < off_at:
                    yield self.env.timeout(off_at - self.env.now)
                held = []
                for _ in range(self.n_machines):
                    held.append((yield from self._hold()))
                t0 = self.env.now
                if t0 < k + 1:
                    yield self.env.timeout(k + 1 - t0)
                self.off_time += len(held) * (self.env.now - t0)
                for req, machine in held:
                    self._give_back(machine)
                    self.machines.release(req)
            elif self.env.now < k + 1:
                yield self.env.timeout(k + 1 - self.env.now)
            k += 1

    # --- state -------------------------------------------------------------------------------------
    def utilisation(self, elapsed: float = 0.0) -> float:
        """Share of machine time (machines in use x days so far) spent setting up or processing."""
        del elapsed  # kept for callers; capacity is integrated over time (machines may change)
        cap = self.machine_days()
        return self.busy_now() / cap if cap > 0 else 0.0
