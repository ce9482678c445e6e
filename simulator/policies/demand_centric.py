"""Demand-centric (pull) policy: make to order behind a small finished-goods buffer.

Every ``review_days`` days (daily by default) the planner releases exactly what brings the inventory
position back to ``buffer`` units, so each order pulls one unit through the plant (one-for-one
replenishment, small batches). The quote is honest: shipping time, plus, when the buffer cannot
cover a new order, the time the plant needs to make what is already waiting at its mean capacity,
plus the time to the next review. "Cannot cover" counts the day's expected orders (the mean of the
last week's), since one quote holds for the whole day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.policies.base import PeriodicPolicy
from simulator.policies.params import DemandCentricParams

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


class DemandCentric(PeriodicPolicy):
    """Make-to-order with a base-stock buffer on inventory position."""

    name = "demand_centric"

    def __init__(self, params: DemandCentricParams, rng: np.random.Generator) -> None:
        super().__init__(rng)
        self.params = params
        self.review_days = params.review_days

    def review(self, firm: Firm) -> None:
        position = firm.inventory_position()
        qty = self.params.buffer - position
        if qty > 0:
            firm.release(0, qty)
        self.decisions.append(
            {
                "time": firm.env.now,
                "rule": "base stock (make to order behind buffer)",
                "buffer": self.params.buffer,
                "inventory_position": position,
                "released": max(qty, 0),
            }
        )

    def quote(self, firm: Firm) -> float:
        ship = firm.spec.factory.shipping_days
        recent = firm.demand_history[-7:]
        expected_today = float(np.mean(recent)) if recent else 0.0
        short = firm.backorders() + expected_today - int(firm.on_hand.sum())
        if short <= 0:
            return ship
        make = (short + firm.plant.units_in_process) / firm.plant.capacity_per_day
        return ship + float(np.ceil(make + self.review_days / 2))
