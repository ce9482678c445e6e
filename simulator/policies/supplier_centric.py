"""Supplier-centric (push) policy: make to stock on a forecast, in big batches.

The planner reviews every ``review_days`` days, forecasts daily demand as the moving average of the
last ``forecast_window`` days of the firm's own sales, and raises the inventory position (on hand +
in process - backorders, never on-hand stock alone) to the order-up-to level

    S = (L + R) * mean + safety_factor * sd * sqrt(L + R)

where ``L = lead_time_days`` and ``R = review_days``: the days of demand one release must cover until
the next release arrives. A release smaller than ``min_lot`` is raised to it. The firm quotes the
shipping time, as if stock were always there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.policies.base import PeriodicPolicy
from simulator.policies.params import SupplierCentricParams

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


class SupplierCentric(PeriodicPolicy):
    """Periodic order-up-to on inventory position from a moving-average forecast."""

    name = "supplier_centric"

    def __init__(self, params: SupplierCentricParams, rng: np.random.Generator) -> None:
        super().__init__(rng)
        self.params = params
        self.review_days = params.review_days

    def order_up_to(self, history: list[int]) -> tuple[float, float, float]:
        """(level, forecast mean, forecast sd) from the sales history."""
        p = self.params
        window = np.asarray(history[-p.forecast_window :], dtype=float)
        mean = float(window.mean()) if len(window) else 0.0
        sd = float(window.std(ddof=1)) if len(window) > 1 else 0.0
        cover = p.lead_time_days + p.review_days
        return cover * mean + p.safety_factor * sd * np.sqrt(cover), mean, sd

    def review(self, firm: Firm) -> None:
        if not firm.demand_history:
            return  # nothing sold yet: no forecast to act on
        level, mean, sd = self.order_up_to(firm.demand_history)
        position = firm.inventory_position()
        gap = level - position
        qty = 0
        if gap > 0:
            qty = max(int(np.ceil(gap)), self.params.min_lot)
            firm.release(0, qty)
        self.decisions.append(
            {
                "time": firm.env.now,
                "rule": "order-up-to on moving average",
                "forecast_mean": mean,
                "forecast_sd": sd,
                "order_up_to": level,
                "inventory_position": position,
                "released": qty,
            }
        )

    def quote(self, firm: Firm) -> float:
        q = self.params.quoted_days
        return firm.spec.factory.shipping_days if q is None else q
