"""A firm: its offer to the market, its order book, its plant, its policy and its ledger.

The firm is the shop front and the accounts office around the plant. It books the market's orders
(filled from finished goods or queued), fills queued orders as batches leave the plant, quotes a
delivery time for each offer, lets its supply-chain policy decide work orders at each review, and
closes the books every evening: revenue and each cost, per day.

Money is recognised when it moves: revenue and shipping cost when an order is filled (it ships),
material cost when material is received, production cost when a stage finishes a batch (rework
passes and scrapped units included), set-up cost at each set-up; holding and backorder cost on the
stock and the backlog at the end of each day; overtime (shifts beyond plan, or what the policy books)
and marketing per day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from simulator.firms.factory import PLANT_COST_ITEMS, Plant
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
    "overtime_cost",
    "quality_cost",
    "marketing_cost",
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
    completed: int = 0
    scrapped: int = 0
    wip_unit_days: float = 0.0
    stages: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Per stage: (utilisation over the day, units queued at its end)."""
    money: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEDGER_ITEMS, 0.0))


class Firm:
    """A firm in the market, built from its scenario section.

    Args:
        index: position of the firm in the scenario (its id in consumer columns).
        spec: the firm's scenario section.
        env: the market's SimPy environment.
        plant_rng, supplier_rng: the plant's and the supplier's random streams.
        log: keep the plant's event log (switch off for long validation runs).
        quality_rng: the stream that decides which shipped units carry a defect the customer finds
            (None: no unit does).
    """

    def __init__(
        self,
        index: int,
        spec: FirmSpec,
        env: simpy.Environment,
        plant_rng: np.random.Generator,
        supplier_rng: np.random.Generator,
        log: bool = True,
        quality_rng: np.random.Generator | None = None,
    ) -> None:
        self.index = index
        self.spec = spec
        self.name = spec.name
        self.env = env
        self.price = spec.price
        self.quality = spec.quality
        self.reputation = spec.reputation
        self.ethics = np.array(spec.ethics.as_tuple(), dtype=np.float64)
        supply = spec.factory.supply()
        if supply.ethical:  # ethical sourcing shows in the firm's profile from day 0
            self.ethics = np.clip(self.ethics + supply.ethics_boost, 0.0, 1.0)
        self.variants = tuple(spec.factory.variants)
        self.orders = OrderBook(len(self.variants))
        self.on_hand = np.zeros(len(self.variants), dtype=np.int64)
        self.on_hand[0] = spec.factory.initial_stock
        self.plant = Plant(env, spec.factory, plant_rng, supplier_rng, self._on_complete, log=log)
        self.marketing_per_day = spec.factory.marketing_cost_per_day
        """Marketing spend a day, paid on days the policy allows it."""
        self.books = dict.fromkeys(LEDGER_ITEMS, 0.0)
        """Money over all closed days, by ledger item."""
        self.days_closed = 0
        self.today = DayRecord()
        self.demand_history: list[int] = []
        """Units ordered per day: what the firm's own sales records show."""
        self.release_history: list[int] = []
        self.quoted_days = spec.factory.shipping_days
        self.appeal = 0.0
        """Utility every consumer adds to the firm's offers beyond price, values, delivery, quality
        and reputation (for example advertising goodwill); 0 unless a policy or event sets it."""
        self.defect_escape_per_quality_gap = 0.0
        """Chance a shipped unit carries a defect the customer finds, per unit of (1 - quality)."""
        self._quality_rng = quality_rng
        self.policy: Policy | None = None  # set by the model once the firm exists
        self.listeners: list[Callable[[str], None]] = []
        """Called with ``"order"``, ``"completion"`` or ``"scrap"`` right after each of them (a
        continuous-review policy releases on them)."""
        self.plant.on_scrap = self._on_scrap
        self._plant_money_basis = dict.fromkeys(PLANT_COST_ITEMS, 0.0)
        self._completed_basis = 0
        self._scrapped_basis = 0
        self._wip_area_basis = 0.0
        self._stage_basis = [(0.0, 0.0) for _ in self.plant.stages]

    # --- the market side -------------------------------------------------------------------------
    def quote(self) -> float:
        """Delivery time (days) the firm promises today."""
        assert self.policy is not None
        return float(self.policy.quote(self))

    def book(
        self,
        consumers: np.ndarray,
        variants: np.ndarray,
        deadlines: np.ndarray,
        qty: np.ndarray | None = None,
    ) -> None:
        """Book orders now (one unit each unless ``qty`` says); fill from stock, queue the rest."""
        if len(consumers) == 0:
            return
        t = self.env.now
        promised = np.full(len(consumers), t + self.quoted_days)
        if qty is None:
            qty = np.ones(len(consumers), dtype=np.int32)
        ids = self.orders.add(consumers, variants, qty, t, promised, deadlines, price=self.price)
        self.today.orders += len(ids)
        self.today.units_ordered += int(qty.sum())
        for v in range(len(self.variants)):
            mine = ids[variants == v]
            if len(mine) == 0:
                continue
            self.orders.enqueue(v, mine)
            # Orders join the back of the queue; stock only exists when the queue was empty.
            self._fill(v, from_stock=True)
        self._notify("order")

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
        self._fill(variant, from_stock=False)
        self._notify("completion")

    def _on_scrap(self, variant: int, qty: int) -> None:
        self._notify("scrap")

    def _notify(self, what: str) -> None:
        for listener in self.listeners:
            listener(what)

    def _fill(self, variant: int, from_stock: bool) -> None:
        ids = self.orders.take_fillable(variant, int(self.on_hand[variant]))
        if len(ids) == 0:
            return
        units = int(self.orders.qty[ids].sum())
        self.on_hand[variant] -= units
        self.plant.withdrawn(variant, units)  # kanban: the units' cards go back
        defective = None
        rate = self.defect_escape_per_quality_gap * (1.0 - self.quality)
        if self._quality_rng is not None and rate > 0.0:
            defective = self._quality_rng.random(len(ids)) < rate
        self.orders.mark_filled(
            ids, self.env.now, self.spec.factory.shipping_days, from_stock, defective
        )
        self.today.units_shipped += units
        if from_stock:
            self.today.filled_from_stock += len(ids)
        # each order pays the price it was booked at
        self.today.money["revenue"] += float(self.orders.price[ids] @ self.orders.qty[ids])
        self.today.money["shipping_cost"] += units * self.spec.factory.shipping_cost

    # --- positions ---------------------------------------------------------------------------------
    def backorders(self) -> int:
        """Units ordered and waiting for stock."""
        return sum(self.orders.backlog_units(v) for v in range(len(self.variants)))

    def inventory_position(self, variant: int | None = None) -> int:
        """On hand + in process (on order from the plant) - backorders; of one variant if given."""
        if variant is None:
            return int(self.on_hand.sum()) + self.plant.units_in_process - self.backorders()
        return (
            int(self.on_hand[variant])
            + int(self.plant.in_process_by_variant[variant])
            - self.orders.backlog_units(variant)
        )

    def sales_history(self) -> list[int]:
        """Units ordered per day as the sales records show them now: closed days, then today so far.

        A review at ``d + 0.5`` sees day ``d``'s orders (booked at ``d``): Chen et al.'s order-up-to
        rule forecasts from the demand just observed, so a policy that wants their bullwhip ratio
        forecasts from this list rather than from the closed days alone.
        """
        return [*self.demand_history, self.today.units_ordered]

    # --- the books -----------------------------------------------------------------------------------
    def close_day(self) -> DayRecord:
        """End-of-day accounting; returns the day's record and starts a new one."""
        spec = self.spec.factory
        rec = self.today
        plant = self.plant
        for item in PLANT_COST_ITEMS:
            rec.money[item] += plant.money[item] - self._plant_money_basis[item]
            self._plant_money_basis[item] = plant.money[item]
        rec.completed = plant.units_completed - self._completed_basis
        rec.scrapped = plant.units_scrapped - self._scrapped_basis
        self._completed_basis = plant.units_completed
        self._scrapped_basis = plant.units_scrapped
        area = plant.wip_area_now()
        rec.wip_unit_days = area - self._wip_area_basis
        self._wip_area_basis = area
        for i, st in enumerate(plant.stages):
            busy, cap = st.busy_now(), st.machine_days()
            b0, c0 = self._stage_basis[i]
            rec.stages[st.name] = ((busy - b0) / (cap - c0) if cap > c0 else 0.0, st.units_waiting)
            self._stage_basis[i] = (busy, cap)
        rec.money["holding_cost"] += float(self.on_hand.sum()) * spec.holding_cost_per_day
        rec.money["backorder_cost"] += self.backorders() * spec.backorder_cost_per_day
        overtime = plant.overtime_machine_shifts() * spec.overtime_cost_per_machine_shift
        rec.money["overtime_cost"] += overtime
        allowed = getattr(self.policy, "marketing_allowed", None)
        if allowed is None or allowed(float(self.days_closed)):
            rec.money["marketing_cost"] += self.marketing_per_day
        for k, v in rec.money.items():
            self.books[k] += v
        self.days_closed += 1
        self.demand_history.append(rec.units_ordered)
        self.release_history.append(rec.released)
        self.today = DayRecord()
        return rec

    def day_row(self, rec: DayRecord) -> dict[str, Any]:
        """The firm's supply-side columns of a time-series row, from a closed day's record."""
        plant = self.plant
        money = rec.money
        return {
            "orders": rec.orders,
            "units_ordered": rec.units_ordered,
            "units_shipped": rec.units_shipped,
            "filled_from_stock": rec.filled_from_stock,
            "cancelled": rec.cancelled,
            "released": rec.released,
            "completed": rec.completed,
            "scrapped": rec.scrapped,
            "on_hand": int(self.on_hand.sum()),
            "backorders": self.backorders(),
            "wip": plant.units_in_process,
            "wip_unit_days": rec.wip_unit_days,
            **{f"utilisation_{name}": u for name, (u, _) in rec.stages.items()},
            **{f"queue_{name}": q for name, (_, q) in rec.stages.items()},
            "material_on_hand": int(plant.material.level),
            "material_on_order": plant.material_on_order,
            "inventory_position": self.inventory_position(),
            "supplier_down": bool(plant.supplier.is_down),
            "quoted_days": self.quoted_days,
            "price": self.price,
            **{k: money[k] for k in LEDGER_ITEMS},
            "profit": money["revenue"] - sum(money[k] for k in COST_ITEMS),
        }

    def ethics_dict(self) -> dict[str, float]:
        """The current ethics profile by dimension."""
        return dict(zip(VALUE_DIMENSIONS, self.ethics.tolist(), strict=True))
