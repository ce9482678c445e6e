"""Demand-centric (pull) policy: make to order behind a small buffer, sensing demand, monthly S&OP.

Every ``review_days`` days (daily by default) the planner releases what brings the inventory
position back to the buffer level, so each order pulls one unit through the plant (one-for-one
replenishment, small batches). ``control`` chooses how work in process is capped: ``base_stock``
(not at all), ``kanban`` (as many cards as the buffer: on hand + in process never above it) or
``conwip`` (in process never above ``wip_limit``). Under ``rules`` the buffer is the fixed
``buffer``; ``data``, ``ai`` and ``cobot`` size it from demand sensed in the consumer event log over
``lead_time_days + review_days`` (:mod:`simulator.policies.sensing`; the policy reads the market only
through its feed). A monthly S&OP review resets the shifts a day of every stage planned below
round the clock within ``[min_shifts, max_shifts]``; a change takes the factory's shift-change lead
time, and the firm pays for every machine-shift it holds (shifts beyond plan with the overtime
premium).
The quote is honest: shipping time, plus, when the buffer cannot cover a new order, the time the
plant needs to make what is already waiting at its mean capacity, plus the time to the next review.
"Cannot cover" counts the day's expected orders (the mean of the last week's), since one quote holds
for the whole day.
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
from simulator.policies.decisions import StockDecision, decide_stock
from simulator.policies.forecasting import Forecast
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
        super().__init__(rng)
        self.params: DemandCentricParams = params
        self.review_days = params.review_days
        self.shifts: int | None = None
        """Shifts a day the last S&OP set (None: as planned)."""

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        super().start(firm, env)
        if self.params.sop_days > 0:
            env.process(self._sop_loop(firm, env))

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
        cover = daily.over(p.lead_time_days + p.review_days)
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
        p = self.params
        dec, daily = self.buffer_level(firm)
        level = int(np.ceil(dec.level))
        # The buffer is of the popular (standard) variant; customised ones are made to order below.
        position = position_of(firm, 0)
        on_hand = int(firm.on_hand[0])
        wip = wip_of(firm, 0)
        if p.control == "kanban":
            qty = level - (on_hand + wip)
            how = f"kanban: {level} cards, on hand {on_hand} + in process {wip}"
        elif p.control == "conwip":
            qty = min(level - position, p.wip_limit - firm.plant.units_in_process)
            how = f"CONWIP: level {level} - position {position}, cap {p.wip_limit} - wip {wip}"
        else:
            qty = level - position
            how = f"base stock: level {level} - position {position}"
        qty = max(qty, 0)
        if qty > 0:
            firm.release(0, qty)
        inputs: dict[str, float | str] = {
            "level": level,
            "inventory_position": position,
            "on_hand": on_hand,
            "wip": wip,
            "control": p.control,
            **dec.inputs,
        }
        if daily is not None:
            inputs.update(
                {"forecast_method": daily.method, "forecast_mean": daily.mean, "forecast_sd": daily.sd}
            )
        self.log.record(
            firm.env.now,
            "release",
            dec.rule,
            override=dec.override,
            recommended=dec.recommended,
            chosen=dec.level,
            released=qty,
            reason=f"{how} -> release {qty}",
            inputs=inputs,
        )
        for v in range(1, len(firm.variants)):
            self._make_to_order(firm, v)

    def _make_to_order(self, firm: Firm, variant: int) -> None:
        """Release exactly what the open orders of a customised variant still need."""
        backlog = firm.orders.backlog_units(variant)
        on_hand = int(firm.on_hand[variant])
        wip = wip_of(firm, variant)
        qty = max(backlog - on_hand - wip, 0)
        if qty == 0:
            return
        firm.release(variant, qty)
        self.log.record(
            firm.env.now,
            "release",
            "make to order (customised variant)",
            chosen=qty,
            released=qty,
            reason=f"{firm.variants[variant]}: {backlog} ordered - {on_hand} on hand - {wip} in process",
            inputs={"variant": variant, "backlog": backlog, "on_hand": on_hand, "wip": wip},
        )

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

    def quote(self, firm: Firm) -> float:
        ship = firm.spec.factory.shipping_days
        recent = firm.demand_history[-7:]
        expected_today = float(np.mean(recent)) if recent else 0.0
        short = firm.backorders() + expected_today - int(firm.on_hand.sum())
        if short <= 0:
            return ship
        make = (short + firm.plant.units_in_process) / firm.plant.capacity_per_day
        return ship + float(np.ceil(make + self.review_days / 2))
