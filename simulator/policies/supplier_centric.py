"""Supplier-centric (push) policy: make to stock on a forecast, in big batches, on a frozen plan.

The planner reviews every ``review_days`` days, forecasts daily demand from the firm's own sales
(``rules``: moving average of ``forecast_window`` days; other modes: the configured method), and
raises the inventory position (on hand + in process - backorders, never on-hand stock alone) to an
order-up-to level for the cover ``L + R`` days, ``L = lead_time_days`` and ``R = review_days`` (the
days of demand one release must cover until the next release arrives). Under ``rules``

    S = (L + R) * mean + safety_factor * sd * sqrt(L + R);

``data``, ``ai`` and ``cobot`` set S by a service level, the critical fractile, or the fractile plus
a customer-experience buffer (:mod:`simulator.policies.decisions`). A release smaller than the lot
(``min_lot``, or the economic order quantity) is raised to it. With ``frozen_days`` the planner
commits to the releases of that many days at once: later reviews in the horizon execute the plan
whatever demand does. Capacity stays as built, only standard variants are made (``customises`` is
False), material comes from the cheapest supplier, and the price may be cost-plus. The firm quotes
the shipping time, as if stock were always there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.policies.base import PeriodicPolicy, position_of
from simulator.policies.decisions import decide_stock
from simulator.policies.forecasting import Forecast, moving_average
from simulator.policies.params import SupplierCentricParams

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


class SupplierCentric(PeriodicPolicy):
    """Periodic order-up-to on inventory position from a forecast of the firm's own sales."""

    name = "supplier_centric"
    customises = False
    """Customisation requests are served with the nearest standard variant (or lost)."""
    sourcing = "cheapest"

    def __init__(self, params: SupplierCentricParams, rng: np.random.Generator) -> None:
        super().__init__(rng)
        self.params: SupplierCentricParams = params
        self.review_days = params.review_days
        self._plan: list[int] = []
        self._plan_made = 0.0

    def cover_days(self) -> float:
        """Days of demand the order-up-to level covers: lead time plus review period."""
        return self.params.lead_time_days + self.params.review_days

    def daily_forecast(self, history: list[int]) -> Forecast:
        """``rules`` reads a moving average; the other modes their statistical forecast."""
        if self.params.decision == "rules":
            return moving_average(history, self.params.forecast_window)
        return self.history_forecast(history)

    def order_up_to(self, history: list[int]) -> tuple[float, float, float]:
        """(level, forecast mean, forecast sd) of the ``rules`` mode from the sales history."""
        p = self.params
        f = moving_average(history, p.forecast_window)
        cover = self.cover_days()
        return cover * f.mean + p.safety_factor * f.sd * np.sqrt(cover), f.mean, f.sd

    def lot(self, firm: Firm, daily_mean: float) -> int:
        """Smallest release: ``min_lot`` or the economic order quantity."""
        p = self.params
        if p.lot_sizing == "min_lot":
            return p.min_lot
        f = firm.spec.factory
        h = f.holding_cost_per_unit_day()
        if h <= 0.0 or daily_mean <= 0.0:
            return p.min_lot
        return int(np.ceil(np.sqrt(2.0 * daily_mean * f.setup_cost / h)))

    def review(self, firm: Firm) -> None:
        p = self.params
        now = firm.env.now
        if p.pricing == "cost_plus":
            self._price(firm)
        if self._plan:
            qty = self._plan.pop(0)
            if qty > 0:
                firm.release(0, qty)
            self.log.record(
                now,
                "release",
                f"frozen plan made at t={self._plan_made:g}",
                chosen=qty,
                released=qty,
                reason=f"plan frozen for {p.frozen_days} days: release {qty} as planned",
                inputs={"inventory_position": position_of(firm, 0) - qty},
            )
            return
        # The review at d + 0.5 sees day d's orders too: the position already reflects them.
        history = firm.sales_history()
        if not any(history):
            self.log.record(now, "hold", "no sales history yet", reason="nothing sold yet: no forecast")
            return
        daily = self.daily_forecast(history)
        cover = daily.over(self.cover_days())
        dec = decide_stock(
            p.decision,
            cover,
            safety_factor=p.safety_factor,
            service_level=p.service_level,
            costs=self.costs(firm),
            overrides=list(p.overrides),
            cx=p.cx_buffer,
        )
        position = position_of(firm, 0)  # the standard variant: the only one made
        lot = self.lot(firm, daily.mean)
        plan = self._release_plan(dec.level, position, daily.mean, lot)
        qty = plan[0]
        if qty > 0:
            firm.release(0, qty)
        if len(plan) > 1:
            self._plan = plan[1:]
            self._plan_made = now
        inputs = {
            "forecast_method": daily.method,
            "forecast_mean": daily.mean,
            "forecast_sd": daily.sd,
            "cover_days": self.cover_days(),
            "order_up_to": dec.level,
            "inventory_position": position,
            "lot": lot,
            **dec.inputs,
        }
        gap = dec.level - position
        reason = (
            f"position {position} below level {dec.level:.1f}: release max(gap, lot {lot})"
            if qty > 0
            else f"position {position} covers level {dec.level:.1f}"
        )
        if len(plan) > 1:
            reason += f"; plan frozen for the next {len(plan) - 1} reviews: {plan[1:]}"
        self.log.record(
            now,
            "release",
            dec.rule,
            override=dec.override,
            recommended=max(dec.recommended - position, 0.0),
            chosen=max(gap, 0.0),
            released=qty,
            reason=reason,
            inputs=inputs,
        )

    def _release_plan(self, level: float, position: int, daily_mean: float, lot: int) -> list[int]:
        """This review's release and, with a frozen horizon, the planned later ones.

        Later releases project the position forward by the forecast mean per review period.
        """
        p = self.params
        n = 1 if p.frozen_days is None else p.frozen_days // p.review_days
        out = []
        pos = float(position)
        for _ in range(n):
            gap = level - pos
            qty = max(int(np.ceil(gap)), lot) if gap > 0 else 0
            out.append(qty)
            pos += qty - daily_mean * p.review_days
        return out

    def _price(self, firm: Firm) -> None:
        f = firm.spec.factory
        unit_cost = f.material_cost + f.production_cost + f.shipping_cost
        price = round(unit_cost * (1.0 + self.params.markup), 2)
        if price != firm.price:
            old = firm.price
            firm.price = price
            self.log.record(
                firm.env.now,
                "price",
                "cost-plus",
                recommended=old,
                chosen=price,
                reason=f"unit cost {unit_cost:g} x (1 + markup {self.params.markup:g})",
                inputs={"unit_cost": unit_cost, "markup": self.params.markup},
            )

    def quote(self, firm: Firm) -> float:
        q = self.params.quoted_days
        return firm.spec.factory.shipping_days if q is None else q
