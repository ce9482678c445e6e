"""A firm: its offer to the market, its order book, its plant, its policy and its ledger.

The firm is the shop front and the accounts office around the plant. It books the market's orders
(filled from finished goods or queued), fills queued orders as batches leave the plant, quotes a
delivery time for each offer, lets its supply-chain policy decide work orders at each review, plans
capacity changes that take effect after a lead time, and closes the books every evening.

**The ledger** books money when it moves or falls due, per day (the *cash* view): revenue and
shipping when an order ships; a refund and a handling cost when a defective delivery comes back;
material on receipt; production as each stage finishes a batch (rework passes and scrapped units
included); set-ups as they happen; and at the close of each day the holding cost of every stock
(raw material, work in process, finished goods: the yearly holding rate times its value at cost),
the obsolescence of finished goods (a yearly rate of their value), the backorder penalty on the
backlog, the fixed cost of the machine-shifts held (with the overtime premium on shifts beyond
plan), overhead and marketing.

**Accrual profit.** Stocks are valued at standard variable cost: material at its price; a unit in
process at material plus one pass through each stage it has finished; a finished unit at material
plus every stage (set-ups, capacity and overhead are period costs: variable costing, as management
accounts use it; Horngren, *Cost Accounting*, ch. 9). Profit on the accrual basis is cash profit
plus the day's change in that inventory value, so running stock down no longer shows as profit and
building it no longer shows as loss. Units that leave stock without a sale (scrap, goods past their
shelf life) take their value with them: under accrual their cost is a loss, under cash it was
paid when bought.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from simulator.firms.factory import PLANT_COST_ITEMS, Plant
from simulator.firms.goodwill import appeal, next_goodwill, steady_goodwill
from simulator.firms.orders import OrderBook
from simulator.scenario import VALUE_DIMENSIONS
from simulator.scenario import Firm as FirmSpec

if TYPE_CHECKING:
    from simulator.policies.base import Policy

LEDGER_ITEMS: tuple[str, ...] = (
    "revenue",
    "refunds",
    "material_cost",
    "production_cost",
    "setup_cost",
    "holding_cost_material",
    "holding_cost_wip",
    "holding_cost_finished",
    "obsolescence_cost",
    "backorder_cost",
    "shipping_cost",
    "return_cost",
    "capacity_cost",
    "overtime_cost",
    "overhead_cost",
    "quality_cost",
    "marketing_cost",
)
COST_ITEMS: tuple[str, ...] = LEDGER_ITEMS[1:]
"""Everything the cash view subtracts from revenue (refunds of returned units included)."""
STOCKS: tuple[str, ...] = ("material", "wip", "finished")
"""The stocks valued at cost: raw material, work in process, finished goods."""


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
    expired: int = 0
    """Finished units written off at the end of their shelf life."""
    defects_shipped: int = 0
    """Units shipped with a defect the customer will find."""
    returned: int = 0
    """Defective units delivered today and returned for a refund."""
    complaints: int = 0
    """Orders delivered defective today (each customer complains to the firm)."""
    stockouts: int = 0
    """Shoppers who found the shelf empty at booking and were given a later date."""
    turned_away: int = 0
    """Of those, the shoppers who did not buy from the firm (switched or went without): lost
    sales the order desk sees."""
    wip_unit_days: float = 0.0
    stages: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Per stage: (utilisation over the day, units queued at its end)."""
    money: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEDGER_ITEMS, 0.0))
    stock_value: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STOCKS, 0.0))
    """Value at cost of each stock at the close."""
    inventory_change: float = 0.0
    """Change in the value of all stocks over the day (accrual profit = cash profit + this)."""
    written_off: float = 0.0
    """Value at cost of finished goods written off today (part of ``inventory_change``)."""
    machine_shifts: float = 0.0
    """Machine-shifts of capacity held over the day (all stages)."""

    @property
    def cash_profit(self) -> float:
        """Revenue less every cost booked today."""
        return self.money["revenue"] - sum(self.money[k] for k in COST_ITEMS)

    @property
    def profit(self) -> float:
        """Profit on the accrual basis: cash profit plus the change in inventory value at cost."""
        return self.cash_profit + self.inventory_change


@dataclass(frozen=True)
class CapacityPlan:
    """A capacity change decided at ``decided`` that takes effect from the start of day ``day``."""

    decided: float
    day: int
    stage: int
    machines: int | None
    shifts: int | None


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
        m = spec.marketing
        self.goodwill = (
            steady_goodwill(self.marketing_per_day, m)
            if m.initial_goodwill is None
            else m.initial_goodwill
        )
        """Advertising goodwill (:mod:`simulator.firms.goodwill`)."""
        self.appeal = appeal(self.goodwill, m)
        """Utility every consumer adds to the firm's offers beyond price, values, delivery, quality
        and reputation: its advertising goodwill's."""
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
        # standard variable costs: what a unit of each stock is carried at
        self.material_value = self.plant.material_price
        """Value at cost of one unit of raw material."""
        self.unit_value = float(self.material_value + sum(st.unit_cost for st in self.plant.stages))
        """Value at cost of one finished unit (the standard variable cost)."""
        self.capacity_plans: list[CapacityPlan] = []
        """Capacity changes decided and not yet in effect, in the order they take effect."""
        self.units_expired = 0
        """Finished units written off at the end of their shelf life (whole run)."""
        self._lots: list[deque[list[float]]] | None = None
        if spec.factory.shelf_life_days is not None:  # ages of finished goods, oldest first
            self._lots = [deque() for _ in self.variants]
            if spec.factory.initial_stock:
                self._lots[0].append([0.0, float(spec.factory.initial_stock)])
        self._returns_due: deque[tuple[float, np.ndarray]] = deque()
        """(arrival time, order ids) of defective shipments not yet delivered."""
        self.orders.pins.append(self._returns_pin)
        self.inventory_value_start = self.stock_values()["total"]
        """Value at cost of the stocks at time 0 (initial material and finished goods)."""
        self.inventory_value = self.inventory_value_start
        """Value at cost of the stocks at the last close."""
        self.written_off = 0.0
        """Value at cost of everything written off so far (whole run)."""
        self.value_days = dict.fromkeys(STOCKS, 0.0)
        """Closing value of each stock summed over the closed days (what holding cost is charged on)."""
        self.machine_shifts_held = 0.0
        """Machine-shifts of capacity held over the closed days."""
        self.overtime_machine_shifts = 0.0
        """Machine-shifts beyond plan over the closed days."""
        self.profit_total = 0.0
        """Accrual profit over the closed days."""
        self.stockouts_total = 0
        """Shoppers who met a stock-out at booking over the closed days."""
        self.turned_away_total = 0
        """Of those, the ones who did not buy from the firm."""

    # --- the market side -------------------------------------------------------------------------
    def quote(self) -> float:
        """Delivery time (days) the firm promises today."""
        assert self.policy is not None
        return float(self.policy.quote(self))

    def requote(self, shelf: int) -> float:
        """Days the firm can promise an order that finds the shelf (``shelf`` units free) empty."""
        assert self.policy is not None
        quote_for = getattr(self.policy, "quote_for", None)
        if quote_for is None:
            return self.quoted_days
        expected = float(np.mean(self.demand_history[-7:])) if self.demand_history else 0.0
        free = int(self.on_hand[0]) - self.orders.backlog_units(0)
        return float(max(quote_for(self, max(expected, free + 1)), self.quoted_days))

    def book(
        self,
        consumers: np.ndarray,
        variants: np.ndarray,
        deadlines: np.ndarray,
        qty: np.ndarray | None = None,
        requested: np.ndarray | None = None,
        quotes: np.ndarray | None = None,
    ) -> None:
        """Book orders now (one unit each unless ``qty`` says); fill from stock, queue the rest.

        ``requested`` is the delivery time each customer asked for; by default now plus the
        factory's shipping time (the delivery of an item in stock). ``quotes`` are the days
        promised to each order (default: the day's quote).
        """
        if len(consumers) == 0:
            return
        t = self.env.now
        promised = t + (np.full(len(consumers), self.quoted_days) if quotes is None else quotes)
        if requested is None:
            requested = np.full(len(consumers), t + self.spec.factory.shipping_days)
        if qty is None:
            qty = np.ones(len(consumers), dtype=np.int32)
        ids = self.orders.add(
            consumers, variants, qty, t, promised, deadlines, price=self.price, requested=requested
        )
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
        return self.orders.get("consumer", ids)

    def deliveries_between(self, t0: float, t1: float) -> np.ndarray:
        """Ids of orders delivered in ``(t0, t1]``."""
        d = self.orders.delivered
        return np.flatnonzero((d > t0) & (d <= t1)) + self.orders.base

    # --- the plant side --------------------------------------------------------------------------
    def release(self, variant: int, qty: int) -> None:
        """Release a work order to the plant (called by the policy)."""
        self.plant.release(variant, qty)
        self.today.released += qty

    def _on_complete(self, variant: int, qty: int) -> None:
        self.on_hand[variant] += qty
        if self._lots is not None:
            self._lots[variant].append([self.env.now, float(qty)])
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
        qty = self.orders.get("qty", ids)
        units = int(qty.sum())
        self.on_hand[variant] -= units
        self.plant.withdrawn(variant, units)  # kanban: the units' cards go back
        if self._lots is not None:
            self._take_oldest(variant, units)
        defective = None
        rate = self.defect_escape_per_quality_gap * (1.0 - self.quality)
        if self._quality_rng is not None and rate > 0.0:
            defective = self._quality_rng.random(len(ids)) < rate
        ship = self.spec.factory.shipping_days
        self.orders.mark_filled(ids, self.env.now, ship, from_stock, defective)
        if defective is not None and defective.any():
            bad = ids[defective]
            self.today.defects_shipped += int(qty[defective].sum())
            self._returns_due.append((self.env.now + ship, bad))
        self.today.units_shipped += units
        if from_stock:
            self.today.filled_from_stock += len(ids)
        # each order pays the price it was booked at
        self.today.money["revenue"] += float(self.orders.get("price", ids) @ qty)
        self.today.money["shipping_cost"] += units * self.spec.factory.shipping_cost

    def _take_oldest(self, variant: int, units: int) -> int:
        """Take ``units`` finished units of a variant from its oldest lots; return the units taken."""
        assert self._lots is not None
        lots = self._lots[variant]
        left = units
        while left and lots:
            lot = lots[0]
            k = min(left, int(lot[1]))
            lot[1] -= k
            left -= k
            if lot[1] == 0:
                lots.popleft()
        return units - left

    # --- capacity ----------------------------------------------------------------------------------
    def plan_capacity(
        self,
        stage: int,
        *,
        machines: int | None = None,
        shifts: int | None = None,
        lead_days: int | None = None,
    ) -> int:
        """Decide now to run ``machines`` machines and/or ``shifts`` shifts a day on a stage.

        The change takes effect after the lead time (default: the factory's
        ``machine_change_lead_days`` when machines change, else ``shift_change_lead_days``), from
        the start of a day and never before tomorrow; until then the firm runs and pays for the
        capacity it holds. Returns the first day the change is in effect.
        """
        stages = self.plant.stages
        if not 0 <= stage < len(stages):
            raise ValueError(f"no stage {stage} (the plant has {len(stages)})")
        st = stages[stage]
        if machines is not None and machines < 1:
            raise ValueError(f'"machines" must be >= 1, got {machines}')
        if shifts is not None:
            if not 1 <= shifts <= 3:
                raise ValueError(f'"shifts" must be 1, 2 or 3, got {shifts}')
            if st.spec.shifts == 3 and shifts != 3:
                raise ValueError(
                    f"stage {st.name!r} is planned round the clock; it has no shift calendar"
                )
        f = self.spec.factory
        if lead_days is None:
            changes_machines = machines is not None and machines != st.n_machines
            lead_days = f.machine_change_lead_days if changes_machines else f.shift_change_lead_days
        now = self.env.now
        day = max(math.ceil(now + lead_days), math.floor(now) + 1)
        plan = CapacityPlan(now, day, stage, machines, shifts)
        self.capacity_plans.append(plan)
        self.capacity_plans.sort(key=lambda p: p.day)  # stable: same day keeps decision order
        return day

    def planned_capacity(self, stage: int) -> tuple[int, int]:
        """(machines, shifts) a stage will run once every plan decided so far is in effect."""
        st = self.plant.stages[stage]
        machines, shifts = st.n_machines, st.shifts
        for p in self.capacity_plans:
            if p.stage == stage:
                machines = p.machines if p.machines is not None else machines
                shifts = p.shifts if p.shifts is not None else shifts
        return machines, shifts

    def _apply_capacity_plans(self, until_day: int) -> None:
        """Put into effect the plans due by the start of day ``until_day``."""
        while self.capacity_plans and self.capacity_plans[0].day <= until_day:
            p = self.capacity_plans.pop(0)
            if p.machines is not None:
                self.plant.stages[p.stage].set_machines(p.machines)
            if p.shifts is not None:
                self.plant.set_shifts(p.stage, p.shifts)

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
        return [*self.demand_history, self.today.units_ordered + self.today.turned_away]

    def stock_values(self) -> dict[str, float]:
        """Value at cost of each stock now (``material``, ``wip``, ``finished``) and their ``total``.

        Work in process is valued from the plant's flow counts, wherever its units sit (queued,
        on a machine, or waiting between stages): material for every unit that took it and has not
        left the plant, plus each stage's unit cost for every unit that came out of that stage good
        and has not left (finished, or scrapped at a later stage). Material for a released batch
        that has not taken it is still on the shelf (counted there) or on order (not yet paid).
        """
        plant = self.plant
        stages = plant.stages
        left = plant.units_completed
        wip = self.material_value * (plant.material_used - left - plant.units_scrapped)
        later_scrap = 0
        for st in reversed(stages):  # units that passed a stage and left: finished or scrapped later
            wip += st.unit_cost * (st.units_out - left - later_scrap)
            later_scrap += st.units_scrapped
        out = {
            "material": float(plant.material.level) * self.material_value,
            "wip": float(wip),
            "finished": float(self.on_hand.sum()) * self.unit_value,
        }
        out["total"] = out["material"] + out["wip"] + out["finished"]
        return out

    # --- the books -----------------------------------------------------------------------------------
    def _expire(self) -> int:
        """Write off finished goods past their shelf life; return the units."""
        if self._lots is None:
            return 0
        life = self.spec.factory.shelf_life_days
        assert life is not None
        cutoff = self.env.now - life
        gone = 0
        for v, lots in enumerate(self._lots):
            while lots and lots[0][0] <= cutoff:
                k = int(lots.popleft()[1])
                self.on_hand[v] -= k
                gone += k
        self.units_expired += gone
        return gone

    def _returns_pin(self) -> int:
        """The lowest order id whose return is still to be booked (the order book keeps it)."""
        return min((int(ids.min()) for _, ids in self._returns_due), default=self.orders.n)

    def _book_returns(self, rec: DayRecord) -> None:
        """Refund and handle the defective deliveries that arrived by now (each is a complaint)."""
        now = self.env.now
        o = self.orders
        f = self.spec.factory
        while self._returns_due and self._returns_due[0][0] <= now:
            _, ids = self._returns_due.popleft()
            qty = o.get("qty", ids)
            units = int(qty.sum())
            rec.returned += units
            rec.complaints += len(ids)
            rec.money["refunds"] += float(o.get("price", ids) @ qty)
            rec.money["return_cost"] += units * f.return_cost

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
        capacity = overtime = 0.0
        for i, st in enumerate(plant.stages):
            busy, cap = st.busy_now(), st.machine_days()
            b0, c0 = self._stage_basis[i]
            rec.stages[st.name] = ((busy - b0) / (cap - c0) if cap > c0 else 0.0, st.units_waiting)
            self._stage_basis[i] = (busy, cap)
            # shifts change only between days (plan_capacity), so machine-days x shifts is exact
            capacity += (cap - c0) * st.shifts
            overtime += (cap - c0) * max(st.shifts - st.spec.shifts, 0)
        rec.machine_shifts = capacity
        self.machine_shifts_held += capacity
        self.overtime_machine_shifts += overtime
        rec.money["capacity_cost"] += capacity * spec.capacity_cost_per_machine_shift
        rec.money["overtime_cost"] += (
            overtime * spec.capacity_cost_per_machine_shift * spec.overtime_premium
        )
        self._book_returns(rec)
        expired = self._expire()
        rec.expired = expired
        rec.written_off = expired * self.unit_value
        values = self.stock_values()
        for k in STOCKS:
            rec.stock_value[k] = values[k]
            self.value_days[k] += values[k]
        day_rate = spec.holding_rate_per_year / 365.0
        rec.money["holding_cost_material"] += day_rate * values["material"]
        rec.money["holding_cost_wip"] += day_rate * values["wip"]
        rec.money["holding_cost_finished"] += day_rate * values["finished"]
        rec.money["obsolescence_cost"] += spec.obsolescence_rate_per_year / 365.0 * values["finished"]
        rec.money["backorder_cost"] += self.backorders() * spec.backorder_cost_per_day
        rec.money["overhead_cost"] += spec.overhead_cost_per_day
        allowed = getattr(self.policy, "marketing_allowed", None)
        spent = 0.0
        if allowed is None or allowed(float(self.days_closed)):
            spent = self.marketing_per_day
            rec.money["marketing_cost"] += spent
        self.goodwill = next_goodwill(self.goodwill, spent, self.spec.marketing)
        self.appeal = appeal(self.goodwill, self.spec.marketing)
        rec.inventory_change = values["total"] - self.inventory_value
        self.inventory_value = values["total"]
        self.written_off += rec.written_off
        self.profit_total += rec.profit
        for k, v in rec.money.items():
            self.books[k] += v
        self.days_closed += 1
        # the desk sees the shoppers it turned away too: demand, not just orders
        self.demand_history.append(rec.units_ordered + rec.turned_away)
        self.stockouts_total += rec.stockouts
        self.turned_away_total += rec.turned_away
        self.release_history.append(rec.released)
        # capacity decided for tomorrow on takes effect now, before tomorrow's shift calendar
        self._apply_capacity_plans(self.days_closed)
        self.today = DayRecord()
        self.orders.compact(self.env.now)  # settled orders leave memory (ids and totals stay)
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
            "expired": rec.expired,
            "defects_shipped": rec.defects_shipped,
            "returned": rec.returned,
            "complaints": rec.complaints,
            "stockouts": rec.stockouts,
            "turned_away": rec.turned_away,
            "on_hand": int(self.on_hand.sum()),
            "backorders": self.backorders(),
            "wip": plant.units_in_process,
            "wip_unit_days": rec.wip_unit_days,
            **{f"utilisation_{name}": u for name, (u, _) in rec.stages.items()},
            **{f"queue_{name}": q for name, (_, q) in rec.stages.items()},
            "machine_shifts": rec.machine_shifts,
            "material_on_hand": int(plant.material.level),
            "material_on_order": plant.material_on_order,
            "inventory_position": self.inventory_position(),
            "supplier_down": bool(plant.supplier.is_down),
            "quoted_days": self.quoted_days,
            "price": self.price,
            "quality": self.quality,
            "goodwill": self.goodwill,
            **{k: money[k] for k in LEDGER_ITEMS},
            **{f"value_{k}": rec.stock_value[k] for k in STOCKS},
            "inventory_value": sum(rec.stock_value.values()),
            "inventory_change": rec.inventory_change,
            "written_off": rec.written_off,
            "cash_profit": rec.cash_profit,
            "profit": rec.profit,
        }

    def ethics_dict(self) -> dict[str, float]:
        """The current ethics profile by dimension."""
        return dict(zip(VALUE_DIMENSIONS, self.ethics.tolist(), strict=True))
