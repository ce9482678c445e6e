"""Demand-centric (pull) policy: make to order behind a small buffer, sensing demand, monthly S&OP.

The planner keeps the inventory position of the standard variant at a buffer level, so each order
pulls one unit through the plant (one-for-one replenishment, small batches). How work enters the
plant is the ``control`` (:mod:`simulator.policies.control`, after Hopp and Spearman's *Factory
Physics*): ``base_stock`` (release what the buffer asks for), ``kanban`` (cards at every stage, the
buffer's at the last) or ``conwip`` (in process never above ``wip_limit``, jobs of
``transfer_batch`` units). When it is released is the ``review``: ``periodic`` every
``review_days`` days (at ``k * review_days + 0.5``, after the day's purchases), or ``continuous``:
the moment an order comes, a batch finishes or units are scrapped, with the buffer re-planned
(and the decision logged) once a day at ``d + 0.5``. Under ``rules`` the buffer is the fixed
``buffer``; ``data``, ``ai`` and ``cobot`` size it from demand sensed in the consumer event log over
the replenishment lead time plus ``review_days`` (the lead time alone when continuous; given as
``lead_time_days`` or measured, :mod:`simulator.policies.measure`;
:mod:`simulator.policies.sensing`; the policy reads the market only through its feed). Customised
variants are made to order, at each review or, when continuous, at each order. A monthly S&OP
review resets the shifts a day of every stage planned below round the clock within
``[min_shifts, max_shifts]``; a change takes the factory's shift-change lead time, and the firm
pays for every machine-shift it holds (shifts beyond plan with the overtime premium).
Quotes come from the order desk every policy shares (:mod:`simulator.policies.quoting`): stock,
queue and pipeline to ``quote_reliability``, the next release being now when continuous.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy
from scipy.stats import norm

from simulator.policies import optimisation as opt
from simulator.policies.base import (
    REVIEW_OFFSET,
    PeriodicPolicy,
    position_of,
    unit_margin,
    wip_of,
)
from simulator.policies.control import Released, make_control
from simulator.policies.decisions import StockDecision, decide_stock
from simulator.policies.forecasting import Forecast
from simulator.policies.measure import cover_sd
from simulator.policies.params import DemandCentricParams
from simulator.policies.sensing import sensed_demand

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


class DemandCentric(PeriodicPolicy):
    """Make-to-order behind a buffer on inventory position, sized by sensed demand."""

    name = "demand_centric"
    customises = True
    """Customised variants are made (or assembled) to order."""

    def __init__(self, params: DemandCentricParams, rng: np.random.Generator) -> None:
        self.params: DemandCentricParams = params
        super().__init__(rng)
        self.continuous = params.review == "continuous"
        self.review_days = 1 if self.continuous else params.review_days
        """Days between reviews (continuous: between the daily re-plans of the buffer)."""
        self.shifts: int | None = None
        """Shifts a day the last S&OP set (None: as planned)."""
        self.control = make_control(params)
        self.level = 0
        """The buffer level releases aim at (set at the start and at each review or re-plan)."""
        self._firm: Firm | None = None
        self._since = [0, 0, 0]
        """Continuous review: releases, units and customised units released since the last re-plan."""

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        super().start(firm, env)
        self._firm = firm
        dec, _ = self.buffer_level(firm)
        self.level = int(np.ceil(dec.level))
        self.control.install(firm, self.level)
        if self.continuous:
            firm.listeners.append(self._on_event)
            # under kanban a first-stage card also comes back inside the plant (a unit moved on)
            firm.plant.on_card_free = self._on_card_free
            self._on_event("start")  # top the buffer up at once
        if self.params.sop_days > 0:
            env.process(self._sop_loop(firm, env))

    def _on_card_free(self) -> None:
        self._on_event("card")

    def _on_event(self, what: str) -> None:
        """Continuous review: release what the control allows the moment anything changes."""
        firm = self._firm
        assert firm is not None
        done = self.control.release(firm, self.level)
        self._since[0] += done.jobs
        self._since[1] += done.units
        if what == "order":
            for v in range(1, len(firm.variants)):
                self._since[2] += self._make_to_order(firm, v, log=False)

    def sensed(self, firm: Firm, days: int) -> Forecast:
        """Daily demand sensed from the feed over the last ``days`` days (today included)."""
        assert self.feed is not None
        weights = {str(k): w for k, w in self.params.signals.items()}
        return sensed_demand(self.feed, int(firm.env.now), days, weights)

    def buffer_level(self, firm: Firm) -> tuple[StockDecision, Forecast | None]:
        """The buffer (stock level on inventory position) under the decision mode."""
        p = self.params
        if p.decision == "rules":
            b = float(p.buffer)
            return StockDecision(b, b, "rule of thumb: fixed buffer", "", {"buffer": p.buffer}), None
        daily = self.sensed(firm, p.sensing_days)
        lead = self.lead_time(firm)
        days = lead.mean + (0 if self.continuous else p.review_days)
        cover = Forecast(
            daily.mean * days, cover_sd(daily.mean, daily.sd, days, lead.sd), daily.method, days
        )
        dec = decide_stock(
            p.decision,
            cover,
            safety_factor=0.0,
            service_level=p.service_level,
            costs=self.costs(firm),
            overrides=list(p.overrides),
            cx=p.cx_buffer,
        )
        return dec, daily

    def review(self, firm: Firm) -> None:
        """Periodic: decide the level and release. Continuous: re-plan the level (and log the day)."""
        dec, daily = self.buffer_level(firm)
        level = int(np.ceil(dec.level))
        if level != self.level:
            self.control.set_level(firm, level)
        self.level = level
        position = position_of(firm, 0)
        on_hand = int(firm.on_hand[0])
        wip = wip_of(firm, 0)
        done = self.control.release(firm, level)
        inputs: dict[str, float | str] = {
            "level": level,
            "inventory_position": position,
            "on_hand": on_hand,
            "wip": wip,
            "control": self.params.control,
            "review": self.params.review,
            **dec.inputs,
        }
        if daily is not None:
            inputs.update(
                {"forecast_method": daily.method, "forecast_mean": daily.mean, "forecast_sd": daily.sd}
            )
        released, reason = self._summary(done)
        self.log.record(
            firm.env.now,
            "release",
            dec.rule,
            override=dec.override,
            recommended=dec.recommended,
            chosen=dec.level,
            released=released,
            reason=reason,
            inputs=inputs,
        )
        if not self.continuous:
            for v in range(1, len(firm.variants)):
                self._make_to_order(firm, v)

    def _summary(self, done: Released) -> tuple[int, str]:
        """Units released and the reason: this review's, or (continuous) everything since the last."""
        if not self.continuous:
            return done.units, f"{done.how} -> release {done.units}"
        jobs, units, custom = self._since
        jobs, units = jobs + done.jobs, units + done.units
        self._since = [0, 0, 0]
        extra = f" and {custom} customised unit(s) made to order" if custom else ""
        return units, (
            f"continuous review: {units} unit(s) in {jobs} release(s){extra} since the last re-plan; "
            f"now {done.how}"
        )

    def _make_to_order(self, firm: Firm, variant: int, log: bool = True) -> int:
        """Release exactly what the open orders of a customised variant still need; the units."""
        backlog = firm.orders.backlog_units(variant)
        on_hand = int(firm.on_hand[variant])
        wip = wip_of(firm, variant)
        qty = max(backlog - on_hand - wip, 0)
        if qty == 0:
            return 0
        firm.release(variant, qty)
        if not log:
            return qty
        self.log.record(
            firm.env.now,
            "release",
            "make to order (customised variant)",
            chosen=qty,
            released=qty,
            reason=f"{firm.variants[variant]}: {backlog} ordered - {on_hand} on hand - {wip} in process",
            inputs={"variant": variant, "backlog": backlog, "on_hand": on_hand, "wip": wip},
        )
        return qty

    def _sop_loop(self, firm: Firm, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        # The first S&OP meets after one cycle of data; then every cycle, before that day's review.
        k = 1
        while True:
            yield env.timeout(k * self.params.sop_days + REVIEW_OFFSET - env.now)
            self.sop(firm)
            k += 1

    def shift_options(self, firm: Firm) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Shift counts the S&OP may set, the bottleneck capacity and the daily cost of each.

        Stages planned round the clock have no shift calendar and keep their capacity; on the others
        capacity scales with shifts. The cost of an option is what the shifts it holds cost a day:
        every machine-shift at the factory's capacity cost, those beyond plan with the overtime
        premium on top (the stages round the clock cost the same under every option).
        """
        p = self.params
        stages = firm.plant.stages
        f = firm.spec.factory
        rate = f.capacity_cost_per_machine_shift
        options = list(range(p.min_shifts, p.max_shifts + 1))
        caps, costs = [], []
        for n in options:
            cap, cost = float("inf"), 0.0
            for st in stages:
                if st.spec.shifts < 3:
                    cap = min(cap, st.capacity_per_day * n / st.shifts)
                    extra = max(n - st.spec.shifts, 0) * f.overtime_premium
                    cost += (n + extra) * st.n_machines * rate
                else:
                    cap = min(cap, st.capacity_per_day)
            caps.append(cap)
            costs.append(cost)
        return options, np.array(caps), np.array(costs)

    def sop(self, firm: Firm) -> int | None:
        """Monthly S&OP: set the shifts of the next cycle from sensed demand (None: nothing to set)."""
        p = self.params
        daily = self.sensed(firm, p.sop_days)
        adjustable = [i for i, st in enumerate(firm.plant.stages) if st.spec.shifts < 3]
        inputs: dict[str, float | str] = {
            "forecast_method": daily.method,
            "forecast_mean": daily.mean,
            "forecast_sd": daily.sd,
        }
        if not adjustable:
            self.log.record(
                firm.env.now,
                "capacity",
                "fixed: every stage runs round the clock",
                reason="S&OP: no shift calendar to change",
                inputs=inputs,
            )
            return None
        options, caps, costs = self.shift_options(firm)
        inputs.update({f"capacity_{n}_shifts": float(c) for n, c in zip(options, caps, strict=True)})
        if p.decision in ("ai", "cobot"):
            margin = unit_margin(firm)
            best, profit = opt.best_capacity(daily.mean, daily.sd, caps, costs, margin)
            shifts = options[best]
            rule = "optimiser: shifts maximising expected daily profit"
            inputs["unit_margin"] = margin
            inputs.update(
                {f"expected_profit_{n}_shifts": float(v) for n, v in zip(options, profit, strict=True)}
            )
        else:
            load = daily.mean
            if p.decision == "data":
                load = daily.mean + float(norm.ppf(p.service_level)) * daily.sd
            enough = [n for n, c in zip(options, caps, strict=True) if load <= c * p.target_utilisation]
            shifts = enough[0] if enough else options[-1]
            rule = f"rule: fewest shifts loading the bottleneck to <= {p.target_utilisation:.0%}"
            inputs.update({"load": load, "target_utilisation": p.target_utilisation})
        before = firm.planned_capacity(adjustable[0])[1]
        start = None
        if shifts != before:  # the change takes the factory's shift-change lead time
            for i in adjustable:
                start = firm.plan_capacity(i, shifts=shifts)
        self.shifts = shifts
        when = f" from day {start}" if start is not None else ""
        self.log.record(
            firm.env.now,
            "capacity",
            rule,
            recommended=before,
            chosen=shifts,
            reason=f"S&OP: {before} -> {shifts} shifts a day{when}",
            inputs=inputs,
        )
        return shifts

    def next_release(self, firm: Firm) -> float:
        """When the next work order can be released: now under continuous review (an order
        releases its replacement at once), else the next review."""
        if self.continuous:
            return float(firm.env.now)
        return super().next_release(firm)
