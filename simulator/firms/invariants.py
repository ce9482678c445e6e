"""Conservation laws a firm's books must satisfy at every moment; a breach is a bug, raised loudly.

Like an auditor's checklist run every evening, each law below must hold exactly (to float rounding
for money and time):

- material: initial + received = on hand + used; on hand + on order >= 0;
- plant: units started (released) = finished + scrapped + in process, and the units in process are
  all somewhere: waiting for material or at a stage (queued or in service); each stage's units in
  = out + scrapped + inside;
- finished goods: initial stock + finished = on hand + shipped + expired;
- no negative stock anywhere (finished goods, material, backlog);
- orders: booked = delivered + in transit + open + cancelled; none both filled and cancelled;
- money: each ledger item over the closed days = the sum of its daily records; revenue = price x
  units over the filled orders; material, shipping and holding recomputed from the physical counts;
  refunds = price x units over the defective orders delivered; capacity = machine-shifts held x rate;
- accrual: profit over the closed days = cash profit + (inventory value now - at the start), and
  the inventory value booked at the last close = the stocks valued where they sit (shelf, each
  stage's queue and machines, finished goods);
- inventory position = on hand + on order (in process) - backorders;
- Little's law on the sample path: the area under the plant's WIP curve = the time spent in the
  plant by the units that left + the age of the units still inside.

The checks after each day cost time in proportion to the day's events and the orders still open or
on the road, never to the whole history (:func:`check_firm`): an :class:`OrderAudit` follows each
order from booking until it is delivered or cancelled and keeps its own running totals, so the
daily laws of the order book compare the book with totals built from the orders' own records.
The full audit (every law over every order and the whole ledger) runs on days 1, 2, 4, 8, ... and
when asked (at the end of a run), which costs about twice one full audit over the run.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulator.firms.factory import Plant
    from simulator.firms.firm import Firm
    from simulator.firms.orders import OrderBook


class InvariantError(AssertionError):
    """A conservation law does not hold: the simulation is wrong, not the input."""


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6 * max(scale, 1.0))


def plant_problems(p: Plant) -> list[str]:
    """Broken laws of a plant and its material shelf."""
    spec = p.spec
    problems = []
    if spec.initial_material + p.material_received != p.material.level + p.material_used:
        problems.append(
            f"material: {spec.initial_material} + {p.material_received} received != "
            f"{p.material.level} on hand + {p.material_used} used"
        )
    if p.material.level < 0 or p.material_on_order < 0:
        problems.append("negative material stock or material on order")
    inside = p.units_in_process
    if p.units_released != p.units_completed + p.units_scrapped + inside or inside < 0:
        problems.append(
            f"plant: started {p.units_released} != finished {p.units_completed} + scrapped "
            f"{p.units_scrapped} + in process {inside}"
        )
    if int(p.in_process_by_variant.sum()) != inside or (p.in_process_by_variant < 0).any():
        problems.append(f"plant: in process by variant {p.in_process_by_variant.tolist()} != {inside}")
    located = (
        p.units_waiting_material
        + p.units_blocked
        + sum(s.units_waiting + s.units_in_service for s in p.stages)
    )
    if located != inside:
        problems.append(f"plant: {inside} units in process but {located} found at the stages")
    for s in p.stages:
        if s.units_in != s.units_out + s.units_scrapped + s.units_waiting + s.units_in_service:
            problems.append(f"stage {s.name!r}: units in != out + scrapped + inside")
    scrapped = sum(s.units_scrapped for s in p.stages)
    if scrapped != p.units_scrapped:
        problems.append(f"scrap: stages scrapped {scrapped}, plant counted {p.units_scrapped}")
    t = p.env.now
    area = p.wip_area_now()
    if not _close(area, p.exited_time + p.inside_age_now(), scale=area):
        problems.append(
            f"Little's law: WIP area {area:.6g} != time in plant of units gone "
            f"{p.exited_time:.6g} + age of units inside {p.inside_age_now():.6g} (t={t})"
        )
    return problems


def order_problems(firm: Firm) -> list[str]:
    """Broken laws of finished goods, the order book and inventory position."""
    p = firm.plant
    spec = firm.spec.factory
    o = firm.orders
    filled = ~np.isnan(o.filled)
    cancelled = ~np.isnan(o.cancelled)
    # orders moved out of memory count through their totals (each checked when it moved)
    shipped_units = int(o.qty[filled].sum()) + o.compacted.units_shipped
    on_hand = int(firm.on_hand.sum())
    problems = []
    if spec.initial_stock + p.units_completed != on_hand + shipped_units + firm.units_expired:
        problems.append(
            f"finished goods: {spec.initial_stock} + {p.units_completed} finished != "
            f"{on_hand} on hand + {shipped_units} shipped + {firm.units_expired} expired"
        )
    if (firm.on_hand < 0).any():
        problems.append("negative finished-goods stock")
    status = o.status_counts(firm.env.now)
    if o.n != sum(status.values()):
        problems.append(
            f"orders: {o.n} booked != {status['delivered']} delivered + {status['in_transit']} in "
            f"transit + {status['open']} open + {status['cancelled']} cancelled"
        )
    if (filled & cancelled).any():
        problems.append("an order is both filled and cancelled")
    if (~np.isnan(o.delivered) & ~filled).any():
        problems.append("an order was delivered without being filled")
    backorders = firm.backorders()
    if backorders < 0:
        problems.append("negative backorders")
    by_variant = sum(firm.inventory_position(v) for v in range(len(firm.variants)))
    if by_variant != on_hand + p.units_in_process - backorders:
        problems.append("inventory positions by variant do not add up to the firm's")
    problems += _position_problems(firm, on_hand, backorders)
    return problems


def _position_problems(firm: Firm, on_hand: int, backorders: int) -> list[str]:
    """The inventory position is on hand + in process - backorders."""
    p = firm.plant
    ip = on_hand + p.units_in_process - backorders
    if firm.inventory_position() == ip:
        return []
    return [
        f"inventory position {firm.inventory_position()} != {on_hand} on hand + "
        f"{p.units_in_process} on order - {backorders} backorders"
    ]


def money_problems(firm: Firm) -> list[str]:
    """Broken laws of the ledger (over closed days plus today so far)."""
    from simulator.firms.factory import PLANT_COST_ITEMS

    p = firm.plant
    spec = firm.spec.factory
    o = firm.orders
    filled = ~np.isnan(o.filled)
    books = {k: firm.books[k] + firm.today.money[k] for k in firm.books}
    problems = []
    revenue = float(o.price[filled] @ o.qty[filled]) + o.compacted.revenue
    if not _close(books["revenue"], revenue, scale=revenue):
        problems.append(f"revenue {books['revenue']:.2f} != price x units filled {revenue:.2f}")
    shipping = float(o.qty[filled].sum() + o.compacted.units_shipped) * spec.shipping_cost
    if not _close(books["shipping_cost"], shipping, scale=shipping):
        problems.append(f"shipping cost {books['shipping_cost']:.2f} != units shipped x rate")
    # plant costs reach the ledger at the close of the day they were spent
    pending = {k: p.money[k] - firm._plant_money_basis[k] for k in PLANT_COST_ITEMS}
    for k in PLANT_COST_ITEMS:
        if not _close(books[k] + pending[k], p.money[k], scale=p.money[k]):
            problems.append(f"{k}: ledger {books[k] + pending[k]:.2f} != plant {p.money[k]:.2f}")
    material = p.material_received * p.material_price
    if not _close(p.money["material_cost"], material, scale=material):
        problems.append(f"material cost {p.money['material_cost']:.2f} != received x price")
    setup = sum(s.setups * s.spec.setup_cost for s in p.stages)
    if not _close(p.money["setup_cost"], setup, scale=setup):
        problems.append(f"setup cost {p.money['setup_cost']:.2f} != set-ups x cost {setup:.2f}")
    production = sum(s.units_processed * s.unit_cost for s in p.stages)
    if not _close(p.money["production_cost"], production, scale=production):
        problems.append(f"production cost {p.money['production_cost']:.2f} != units processed x cost")
    if any(v < 0 for k, v in books.items()):
        problems.append("a ledger item is negative")
    return problems + accrual_problems(firm) + returns_problems(firm)


def accrual_problems(firm: Firm) -> list[str]:
    """Broken laws of the accrual books: each cost booked once, profit = cash + inventory change."""
    from simulator.firms.firm import COST_ITEMS, STOCKS

    spec = firm.spec.factory
    books = firm.books  # closed days only: the close books holding, capacity and returns
    problems = []
    cash = books["revenue"] - sum(books[k] for k in COST_ITEMS)
    change = firm.inventory_value - firm.inventory_value_start
    if not _close(firm.profit_total, cash + change, scale=abs(cash) + abs(change)):
        problems.append(
            f"accrual profit {firm.profit_total:.2f} != cash profit {cash:.2f} + inventory change "
            f"{change:.2f}"
        )
    p = firm.plant
    if firm.env.now == firm.days_closed and not getattr(p, "units_blocked", 0):
        # nothing has moved since the close: value the stocks where they are, unit by unit
        # (independently of the flow counts the ledger values them from)
        value = p.material.level * firm.material_value + float(firm.on_hand.sum()) * firm.unit_value
        passed = firm.material_value
        for st in p.stages:
            value += (st.units_waiting + st.units_in_service) * passed
            passed += st.unit_cost
        if not _close(firm.inventory_value, value, scale=value):
            problems.append(
                f"inventory value booked {firm.inventory_value:.2f} != stocks at cost {value:.2f}"
            )
    rate = spec.holding_rate_per_year / 365.0
    for k in STOCKS:
        due = rate * firm.value_days[k]
        if not _close(books[f"holding_cost_{k}"], due, scale=due):
            problems.append(f"holding_cost_{k} {books[f'holding_cost_{k}']:.2f} != rate x value-days")
    obsolete = spec.obsolescence_rate_per_year / 365.0 * firm.value_days["finished"]
    if not _close(books["obsolescence_cost"], obsolete, scale=obsolete):
        problems.append("obsolescence cost != rate x finished-goods value-days")
    capacity = firm.machine_shifts_held * spec.capacity_cost_per_machine_shift
    if not _close(books["capacity_cost"], capacity, scale=capacity):
        problems.append(f"capacity cost {books['capacity_cost']:.2f} != machine-shifts held x rate")
    overtime = (
        firm.overtime_machine_shifts * spec.capacity_cost_per_machine_shift * spec.overtime_premium
    )
    if not _close(books["overtime_cost"], overtime, scale=overtime):
        problems.append(
            f"overtime cost {books['overtime_cost']:.2f} != machine-shifts beyond plan x premium"
        )
    return problems


def returns_problems(firm: Firm) -> list[str]:
    """Broken laws of refunds and returns, recomputed from every delivered order (full audit)."""
    spec = firm.spec.factory
    o = firm.orders
    books = firm.books
    problems = []
    returned = o.defective & (o.delivered <= float(firm.days_closed))
    refunds = float(o.price[returned] @ o.qty[returned]) + o.compacted.refunds
    if not _close(books["refunds"], refunds, scale=refunds):
        problems.append(f"refunds {books['refunds']:.2f} != price x units of defective deliveries")
    handling = float(o.qty[returned].sum() + o.compacted.units_returned) * spec.return_cost
    if not _close(books["return_cost"], handling, scale=handling):
        problems.append("return cost != units returned x handling cost")
    return problems


OPEN, FILLED, DONE = 0, 1, 2
"""An order's state as the audit last saw it: open, filled (on the road), delivered or cancelled."""


class OrderAudit:
    """Running totals of one firm's orders, built from the orders' own records as they change.

    At each check only the orders booked since the last one, those filled or cancelled since (the
    order book's journal) and those still on the road are read; the audit remembers each order's
    state in one byte, so an order filled or cancelled twice, or changed after it was done, is
    caught. The full audit reads every order.
    """

    def __init__(self) -> None:
        self.seen = 0
        """Orders booked before the last check."""
        self.state = np.empty(1024, np.int8)
        """Each seen order's state at the last check (OPEN, FILLED or DONE)."""
        self.road = np.empty(0, np.int64)
        """Orders filled and not yet delivered at the last check."""
        self.open = 0
        self.open_units = 0
        self.delivered = 0
        self.cancelled = 0
        self.units_shipped = 0
        self.last_read = 0
        """Orders read by the last check (what its time is proportional to)."""
        self._book: OrderBook | None = None

    def pin(self) -> int:
        """The lowest order id the next check reads (the order book keeps it in memory)."""
        journal = self._book.journal if self._book is not None else None
        low = min((int(ids.min()) for ids in journal or [] if len(ids)), default=self.seen)
        return min(low, self.seen)

    def problems(self, firm: Firm) -> list[str]:
        """Advance to now and return the broken laws of the order book and finished goods."""
        o = firm.orders
        t = firm.env.now
        problems = []
        first = o.journal is None  # the first check reads every order: nothing was journalled
        if self._book is not o:
            self._book = o
            o.pins.append(self.pin)
            if first and o.base:  # orders already moved out of memory: start from their totals
                c = o.compacted
                self.seen = o.base
                self.delivered, self.cancelled, self.units_shipped = (
                    c.delivered,
                    c.cancelled,
                    c.units_shipped,
                )
                self.state = np.full(max(o.base, 1024), DONE, np.int8)
        changed = o.drain_journal()
        n = o.n
        if len(self.state) < n:
            grown = np.empty(max(n, 2 * len(self.state)), np.int8)
            grown[: self.seen] = self.state[: self.seen]
            self.state = grown
        new = np.arange(self.seen, n, dtype=np.int64)
        if len(np.unique(changed)) != len(changed):
            problems.append("an order was filled or cancelled twice")
        old = np.unique(changed[changed < self.seen]) if not first else changed[:0]
        if (self.state[old] != OPEN).any():
            problems.append("an order was filled or cancelled after it was filled or cancelled")
        rows = np.concatenate([new, old])
        self.last_read = len(rows) + len(self.road)
        filled = ~np.isnan(o.get("filled", rows))
        cancelled = ~np.isnan(o.get("cancelled", rows))
        if (filled & cancelled).any():
            problems.append("an order is both filled and cancelled")
        if (~np.isnan(o.get("delivered", rows)) & ~filled).any():
            problems.append("an order was delivered without being filled")
        qty = o.get("qty", rows).astype(np.int64)
        was_open = np.concatenate([np.zeros(len(new), bool), np.ones(len(old), bool)])
        now_open = ~filled & ~cancelled
        if (now_open & was_open).any():
            problems.append("an order in the journal is still open")
        self.open += int(now_open.sum()) - int(was_open.sum())
        self.open_units += int(qty[now_open].sum()) - int(qty[was_open].sum())
        self.units_shipped += int(qty[filled].sum())
        self.cancelled += int((cancelled & ~filled).sum())
        self.state[rows] = np.where(now_open, OPEN, np.where(filled, FILLED, DONE))
        # on the road: those filled before and those filled now, until their delivery time
        road = np.concatenate([self.road, rows[filled]])
        arrived = o.get("delivered", road) <= t
        self.delivered += int(arrived.sum())
        self.state[road[arrived]] = DONE
        self.road = road[~arrived]
        self.seen = n
        status = {
            "delivered": self.delivered,
            "in transit": len(self.road),
            "open": self.open,
            "cancelled": self.cancelled,
        }
        if n != sum(status.values()):
            problems.append(
                f"orders: {n} booked != " + " + ".join(f"{v} {k}" for k, v in status.items())
            )
        if o.open_count() != self.open:
            problems.append(f"backlog queues hold {o.open_count()} orders, records say {self.open} open")
        backorders = firm.backorders()
        if backorders != self.open_units:
            problems.append(f"backorders {backorders} != units of open orders {self.open_units}")
        spec = firm.spec.factory
        p = firm.plant
        on_hand = int(firm.on_hand.sum())
        gone = getattr(firm, "units_expired", 0)
        if spec.initial_stock + p.units_completed != on_hand + self.units_shipped + gone:
            problems.append(
                f"finished goods: {spec.initial_stock} + {p.units_completed} finished != "
                f"{on_hand} on hand + {self.units_shipped} shipped"
                + (f" + {gone} expired" if gone else "")
            )
        if (firm.on_hand < 0).any():
            problems.append("negative finished-goods stock")
        problems += _position_problems(firm, on_hand, backorders)
        return problems


def plant_money_problems(firm: Firm) -> list[str]:
    """Broken laws of the plant's own spending (counts x rates; independent of history)."""
    from simulator.firms.factory import PLANT_COST_ITEMS

    p = firm.plant
    problems = []
    pending = {k: p.money[k] - firm._plant_money_basis[k] for k in PLANT_COST_ITEMS}
    for k in PLANT_COST_ITEMS:
        booked = firm.books[k] + firm.today.money[k] + pending[k]
        if not _close(booked, p.money[k], scale=p.money[k]):
            problems.append(f"{k}: ledger {booked:.2f} != plant {p.money[k]:.2f}")
    material = p.material_received * p.material_price
    if not _close(p.money["material_cost"], material, scale=material):
        problems.append(f"material cost {p.money['material_cost']:.2f} != received x price")
    setup = sum(s.setups * s.spec.setup_cost for s in p.stages)
    if not _close(p.money["setup_cost"], setup, scale=setup):
        problems.append(f"setup cost {p.money['setup_cost']:.2f} != set-ups x cost {setup:.2f}")
    production = sum(s.units_processed * s.unit_cost for s in p.stages)
    if not _close(p.money["production_cost"], production, scale=production):
        problems.append(f"production cost {p.money['production_cost']:.2f} != units processed x cost")
    return problems


def _audit(firm: Firm) -> OrderAudit:
    audit = firm.__dict__.get("_order_audit")
    if audit is None:
        audit = firm.__dict__["_order_audit"] = OrderAudit()
    return audit


def full_audit_due(days: int) -> bool:
    """Whether the full audit runs after ``days`` closed days: on days 1, 2, 4, 8, ..."""
    return days >= 1 and days & (days - 1) == 0


def check_plant(plant: Plant) -> None:
    """Raise :class:`InvariantError` naming every broken law of a plant on its own."""
    problems = plant_problems(plant)
    if problems:
        raise InvariantError(f"plant at t={plant.env.now}: " + "; ".join(problems))


def check_firm(firm: Firm, full: bool | None = None) -> None:
    """Raise :class:`InvariantError` naming the firm and every broken law.

    Every call checks the plant and, through the firm's :class:`OrderAudit`, the orders that moved
    since the last call (time in proportion to the events since then and the orders still open or
    on the road). ``full`` adds every law over every order and the ledger; None runs it on days 1,
    2, 4, 8, ... of the firm's closed days (so a run pays about two full audits in all); call with
    ``full=True`` at the end of a run.
    """
    if full is None:
        full = full_audit_due(firm.days_closed)
    problems = (
        plant_problems(firm.plant)
        + _audit(firm).problems(firm)
        + plant_money_problems(firm)
        + accrual_problems(firm)  # running totals against each other: no history read
    )
    if full:
        problems += [p for p in order_problems(firm) + money_problems(firm) if p not in problems]
    if problems:
        raise InvariantError(f"firm {firm.name!r} at t={firm.env.now}: " + "; ".join(problems))
