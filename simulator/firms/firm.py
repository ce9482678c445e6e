"""A firm: its offer to the market, its order book, its plant, its policy and its ledger.

The firm is the shop front and the accounts office around the plant. It books the market's orders
(filled from finished goods or queued), fills queued orders as batches leave the plant, quotes a
delivery time for each offer, lets its supply-chain policy decide work orders at each review, and
closes the books every evening: revenue and each cost, per day.

Money is recognised when it moves: revenue and shipping cost when an order is filled (it ships),
material cost when material is received, production and set-up cost when a batch completes, holding
and backorder cost on the stock and the backlog at the end of each day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simulator.firms.factory import Plant
from simulator.firms.orders import OrderBook
from simulator.scenario import VALUE_DIMENSIONS
from simulator.scenario import Firm as FirmSpec

if TYPE_CHECKING:
    from simulator.policies.base import Policy

LEDGER_ITEMS: tuple[str, ...] = (
    "revenue",
    "material_cost",
    "production_cost",
    "setup_cost",
    "holding_cost",
    "backorder_cost",
    "shipping_cost",
)
COST_ITEMS: tuple[str, ...] = LEDGER_ITEMS[1:]


@dataclass
class DayRecord:
    """What a firm did in one day (one row of the time series)."""

    orders: int = 0
    units_ordered: int = 0
    units_shipped: int = 0
    filled_from_stock: int = 0
    cancelled: int = 0
    released: int = 0
    money: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEDGER_ITEMS, 0.0))


class Firm:
    """A firm in the market, built from its scenario section.

    Args:
        index: position of the firm in the scenario (its id in consumer columns).
        spec: the firm's scenario section.
        env: the market's SimPy environment.
        plant_rng, supplier_rng: the plant's and the supplier's random streams.
    """

    def __init__(
        self,
        index: int,
        spec: FirmSpec,
        env: simpy.Environment,
        plant_rng: np.random.Generator,
        supplier_rng: np.random.Generator,
    ) -> None:
        self.index = index
        self.spec = spec
        self.name = spec.name
        self.env = env
        self.price = spec.price
        self.quality = spec.quality
        self.reputation = spec.reputation
        self.ethics = np.array(spec.ethics.as_tuple(), dtype=np.float64)
        self.variants = ("standard",)
        self.orders = OrderBook(len(self.variants))
        self.on_hand = np.zeros(len(self.variants), dtype=np.int64)
        self.on_hand[0] = spec.factory.initial_stock
        self.plant = Plant(env, spec.factory, plant_rng, supplier_rng, self._on_complete)
        self.today = DayRecord()
        self.demand_history: list[int] = []
        """Units ordered per day: what the firm's own sales records show."""
        self.release_history: list[int] = []
        self.quoted_days = spec.factory.shipping_days
        self.policy: Policy | None = None  # set by the model once the firm exists
        self._completed_cost_basis = 0
        self._received_cost_basis = 0

    # --- the market side -------------------------------------------------------------------------
    def quote(self) -> float:
        """Delivery time (days) the firm promises today."""
        assert self.policy is not None
        return float(self.policy.quote(self))

    def book(self, consumers: np.ndarray, variants: np.ndarray, deadlines: np.ndarray) -> None:
        """Book one unit for each consumer at the current time; fill from stock, queue the rest."""
        if len(consumers) == 0:
            return
        t = self.env.now
        promised = np.full(len(consumers), t + self.quoted_days)
        qty = np.ones(len(consumers), dtype=np.int32)
        ids = self.orders.add(consumers, variants, qty, t, promised, deadlines)
        self.today.orders += len(ids)
        self.today.units_ordered += int(qty.sum())
        for v in range(len(self.variants)):
            mine = ids[variants == v]
            if len(mine) == 0:
                continue
            self.orders.enqueue(v, mine)
            # Orders join the back of the queue; stock only exists when the queue was empty.
            self._fill(v, from_stock=True)

    def cancel_overdue(self) -> np.ndarray:
        """Cancel orders whose consumers gave up waiting; return the consumers."""
        ids = self.orders.cancel_overdue(self.env.now)
        self.today.cancelled += len(ids)
        return self.orders.consumer[ids]

    def deliveries_between(self, t0: float, t1: float) -> np.ndarray:
        """Ids of orders delivered in ``(t0, t1]``."""
        d = self.orders.delivered
        return np.flatnonzero((d > t0) & (d <= t1))

    # --- the plant side --------------------------------------------------------------------------
    def release(self, variant: int, qty: int) -> None:
        """Release a work order to the plant (called by the policy)."""
        self.plant.release(variant, qty)
        self.today.released += qty

    def _on_complete(self, variant: int, qty: int) -> None:
        self.on_hand[variant] += qty
        spec = self.spec.factory
        self.today.money["production_cost"] += qty * spec.production_cost
        self.today.money["setup_cost"] += spec.setup_cost
        self._fill(variant, from_stock=False)

    def _fill(self, variant: int, from_stock: bool) -> None:
        ids = self.orders.take_fillable(variant, int(self.on_hand[variant]))
        if len(ids) == 0:
            return
        units = int(self.orders.qty[ids].sum())
        self.on_hand[variant] -= units
        self.orders.mark_filled(ids, self.env.now, self.spec.factory.shipping_days, from_stock)
        self.today.units_shipped += units
        if from_stock:
            self.today.filled_from_stock += len(ids)
        self.today.money["revenue"] += units * self.price
        self.today.money["shipping_cost"] += units * self.spec.factory.shipping_cost

    # --- positions ---------------------------------------------------------------------------------
    def backorders(self) -> int:
        """Units ordered and waiting for stock."""
        return sum(self.orders.backlog_units(v) for v in range(len(self.variants)))

    def inventory_position(self) -> int:
        """On hand + in process (on order from the plant) - backorders."""
        return int(self.on_hand.sum()) + self.plant.units_in_process - self.backorders()

    # --- the books -----------------------------------------------------------------------------------
    def close_day(self) -> DayRecord:
        """End-of-day accounting; returns the day's record and starts a new one."""
        spec = self.spec.factory
        rec = self.today
        received = self.plant.material_received - self._received_cost_basis
        self._received_cost_basis = self.plant.material_received
        rec.money["material_cost"] += received * spec.material_cost
        rec.money["holding_cost"] += float(self.on_hand.sum()) * spec.holding_cost_per_day
        rec.money["backorder_cost"] += self.backorders() * spec.backorder_cost_per_day
        self.demand_history.append(rec.units_ordered)
        self.release_history.append(rec.released)
        self.today = DayRecord()
        return rec

    def ethics_dict(self) -> dict[str, float]:
        """The current ethics profile by dimension."""
        return dict(zip(VALUE_DIMENSIONS, self.ethics.tolist(), strict=True))
