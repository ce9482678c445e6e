"""Orders: the firm's order book, kept as columns.

Picture a clipboard of order lines at the shipping desk: who ordered which variant, how many, when,
what date was promised, and when it was filled, delivered or cancelled. Orders waiting for stock
queue first-in first-out per variant (the backlog). One row per order in growable numpy columns
keeps a million consumers' orders cheap: a day's orders are appended and filled as arrays, never
one Python object per order.

An order is *open* from booking until it is filled (then it ships) or cancelled; it is *delivered*
when its shipment arrives. Every order is, at any time, exactly one of: open, in transit, delivered,
cancelled.

Times are kept exactly (days with their fractions: hours are there when wanted), and dates are judged
by calendar day, as a customer and a delivery KPI judge them: an order is on time when it arrives on
or before the calendar day of its due date (``floor(delivered) <= floor(due)``), so a parcel due on
day 12 and arriving at 12.9 is on time and one arriving at 13.1 is a day late. Each order has two
due dates: ``promised`` (placed + the firm's quote) and ``requested`` (what the customer asked for;
by default placed + the firm's standard shipping time, the delivery of an item in stock).

A ten-year run books hundreds of thousands of orders, nearly all long closed. :meth:`OrderBook.compact`
moves the oldest closed orders (cancelled, or delivered more than :data:`SETTLE_DAYS` ago) that no
reader still needs (each reader registers a *pin*, the lowest id it will read again) to Parquet files
in a temporary folder and folds them into running totals (:class:`Compacted`), so the rows in memory
stay bounded. Ids are global and never change: columns hold rows ``base .. n - 1``, read by id with
:meth:`OrderBook.get`; :meth:`OrderBook.history` reads every order back (the end-of-run KPIs, which
therefore stay exact).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.firms.columns import IdQueue

NaN = np.nan
SETTLE_DAYS = 2.0
"""An order delivered more than this many days ago is settled: the market has read its delivery (on
the day after it arrived) and its return, if defective, was booked at the close of its arrival day."""
COMPACT_MIN_ROWS = 4096
"""Fewest closed rows moved at a time (and the live rows at which compaction starts looking)."""


@dataclass
class Compacted:
    """Running totals of the orders moved out of memory (every one delivered or cancelled)."""

    n: int = 0
    delivered: int = 0
    cancelled: int = 0
    units_shipped: int = 0
    revenue: float = 0.0
    units_returned: int = 0
    refunds: float = 0.0
    placed_by_day: np.ndarray | None = None
    cancelled_by_day: np.ndarray | None = None


def _add_counts(acc: np.ndarray | None, days: np.ndarray) -> np.ndarray:
    c = np.bincount(days, minlength=0) if len(days) else np.zeros(0, np.int64)
    if acc is None:
        return c.astype(np.int64)
    if len(c) > len(acc):
        acc = np.concatenate([acc, np.zeros(len(c) - len(acc), np.int64)])
    acc[: len(c)] += c
    return acc


class OrderBook:
    """Order lines as growable columns with a FIFO backlog per variant.

    Args:
        n_variants: number of variants the firm sells.
        capacity: initial row capacity (grows by doubling).
    """

    COLUMNS: ClassVar[dict[str, np.dtype]] = {
        "consumer": np.dtype(np.int64),
        "variant": np.dtype(np.int16),
        "qty": np.dtype(np.int32),
        "placed": np.dtype(np.float64),
        "promised": np.dtype(np.float64),
        "requested": np.dtype(np.float64),
        "deadline": np.dtype(np.float64),
        "filled": np.dtype(np.float64),
        "delivered": np.dtype(np.float64),
        "cancelled": np.dtype(np.float64),
        "from_stock": np.dtype(np.bool_),
        "defective": np.dtype(np.bool_),
        "price": np.dtype(np.float64),
    }

    def __init__(self, n_variants: int, capacity: int = 1024) -> None:
        self.n = 0
        """Orders booked (ids ``0 .. n - 1``)."""
        self.base = 0
        """Id of the first order still in memory (those before it were compacted)."""
        self.compacted = Compacted()
        self.pins: list[Callable[[], int]] = []
        """Readers' lowest ids still to be read: compaction never moves an order at or after one."""
        self._spill_dir: Path | None = None
        self._spill_files: list[Path] = []
        self._next_look = COMPACT_MIN_ROWS
        self._cols = {k: np.empty(capacity, dt) for k, dt in self.COLUMNS.items()}
        self._queues = [IdQueue() for _ in range(n_variants)]
        self.journal: list[np.ndarray] | None = None
        """Ids filled or cancelled since the last :meth:`drain_journal` (None: not kept). An
        auditor that reads only what changed switches it on."""

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n - self.base]
        raise AttributeError(name)

    def get(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Column ``name`` of the orders ``ids`` (ids from ``base`` on)."""
        return self._cols[name][np.asarray(ids, np.int64) - self.base]

    def _grow(self, extra: int) -> None:
        live = self.n - self.base
        need = live + extra
        cap = len(self._cols["qty"])
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for k, col in self._cols.items():
            new = np.empty(cap, col.dtype)
            new[:live] = col[:live]
            self._cols[k] = new

    def add(
        self,
        consumer: np.ndarray,
        variant: np.ndarray,
        qty: np.ndarray,
        placed: float,
        promised: np.ndarray,
        deadline: np.ndarray,
        price: float = 0.0,
        requested: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append orders (all placed at time ``placed`` at unit ``price``); return their ids.

        ``requested`` is the customer's requested delivery time of each order (default: the
        promised one).
        """
        k = len(consumer)
        self._grow(k)
        s = slice(self.n - self.base, self.n - self.base + k)
        c = self._cols
        c["consumer"][s] = consumer
        c["variant"][s] = variant
        c["qty"][s] = qty
        c["placed"][s] = placed
        c["promised"][s] = promised
        c["requested"][s] = promised if requested is None else requested
        c["deadline"][s] = deadline
        c["filled"][s] = NaN
        c["delivered"][s] = NaN
        c["cancelled"][s] = NaN
        c["from_stock"][s] = False
        c["defective"][s] = False
        c["price"][s] = price
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return ids

    def mark_filled(
        self,
        ids: np.ndarray,
        t: float,
        ship_days: float,
        from_stock: bool,
        defective: np.ndarray | None = None,
    ) -> None:
        """Orders ``ids`` are filled at time ``t`` and arrive ``ship_days`` later; ``defective``
        says which of them ship a defect the customer will find (default: none)."""
        rows = np.asarray(ids, np.int64) - self.base
        self._cols["filled"][rows] = t
        self._cols["delivered"][rows] = t + ship_days
        if self.journal is not None:
            self.journal.append(np.asarray(ids, np.int64))
        self._cols["from_stock"][rows] = from_stock
        if defective is not None:
            self._cols["defective"][rows] = defective

    def enqueue(self, variant: int, ids: np.ndarray) -> None:
        """Put orders at the back of a variant's backlog."""
        if len(ids):
            rows = ids - self.base
            c = self._cols
            self._queues[variant].push(ids, int(c["qty"][rows].sum()), float(c["deadline"][rows].min()))

    def backlog(self, variant: int) -> np.ndarray:
        """Ids of the variant's open orders, oldest first."""
        return self._queues[variant].ids().copy()

    def backlog_units(self, variant: int) -> int:
        """Units ordered and not yet filled for a variant (a running sum)."""
        return self._queues[variant].units

    def take_fillable(self, variant: int, units: int) -> np.ndarray:
        """Remove and return the oldest orders that ``units`` can fill in full (strict FIFO)."""
        return self._queues[variant].take(units, self._cols["qty"], self.base)

    def cancel_overdue(self, t: float) -> np.ndarray:
        """Cancel open orders whose deadline is before ``t``; return their ids."""
        out = []
        deadline = self._cols["deadline"]
        for q in self._queues:
            if len(q) == 0 or q.min_deadline >= t:  # nobody in this queue is overdue yet
                continue
            queue = q.ids()
            late = deadline[queue - self.base] < t
            if late.any():
                ids = queue[late].copy()
                out.append(ids)
                q.remove(late, int(self._cols["qty"][ids - self.base].sum()))
            q.reset_deadline(deadline, self.base)
        if not out:
            return np.empty(0, np.int64)
        ids = np.concatenate(out)
        self._cols["cancelled"][ids - self.base] = t
        if self.journal is not None:
            self.journal.append(ids)
        return ids

    def drain_journal(self) -> np.ndarray:
        """Ids filled or cancelled since the last call (and keep the journal from now on)."""
        changed = self.journal or []
        self.journal = []
        return np.concatenate(changed) if changed else np.empty(0, np.int64)

    def late_days(self, ids: np.ndarray, due: str = "promised") -> np.ndarray:
        """Whole calendar days each delivered order ``ids`` arrived after its due day (0: on time).

        ``due`` is ``"promised"`` or ``"requested"``. Orders not delivered give NaN.
        """
        rows = np.asarray(ids, np.int64) - self.base
        d = self._cols["delivered"][rows]
        late = np.floor(d) - np.floor(self._cols[due][rows])
        return np.where(np.isnan(d), np.nan, np.maximum(late, 0.0))

    def on_time(self, due: str = "promised", by: float = np.inf) -> np.ndarray:
        """For every order in memory, whether it was delivered by ``by`` on or before its due
        calendar day (all orders: ``history().on_time(...)``)."""
        d = self.delivered
        return (d <= by) & (np.floor(d) <= np.floor(getattr(self, due)))

    def open_count(self) -> int:
        """Orders neither filled nor cancelled."""
        return sum(len(q) for q in self._queues)

    def status_counts(self, t: float) -> dict[str, int]:
        """Orders by status at time ``t``: open, in transit, delivered, cancelled (adding up to all,
        the compacted ones included)."""
        filled = ~np.isnan(self.filled)
        delivered = filled & (self.delivered <= t)
        return {
            "open": self.open_count(),
            "in_transit": int((filled & ~delivered).sum()),
            "delivered": int(delivered.sum()) + self.compacted.delivered,
            "cancelled": int((~np.isnan(self.cancelled)).sum()) + self.compacted.cancelled,
        }

    def day_counts(self, kind: str) -> np.ndarray:
        """Orders by calendar day of booking (``kind="placed"``) or of cancellation
        (``"cancelled"``), index 0 = day 0, the compacted ones included."""
        col = self.placed if kind == "placed" else self.cancelled
        days = np.floor(col[~np.isnan(col)]).astype(np.int64)
        acc = self.compacted.placed_by_day if kind == "placed" else self.compacted.cancelled_by_day
        return _add_counts(None if acc is None else acc.copy(), days)

    # --- compaction ----------------------------------------------------------------------------
    def compact(self, t: float) -> int:
        """Move the oldest settled orders no reader pins out of memory; return how many moved.

        Settled: cancelled, or delivered more than :data:`SETTLE_DAYS` before ``t``. Only a prefix
        moves (ids stay global), in steps of at least :data:`COMPACT_MIN_ROWS` rows, so the cost
        is amortised O(1) per order.
        """
        live = self.n - self.base
        if live < self._next_look:
            return 0
        c = self._cols
        done = ~np.isnan(c["cancelled"][:live]) | (c["delivered"][:live] < t - SETTLE_DAYS)
        stop = live if done.all() else int(np.argmin(done))
        for pin in self.pins:
            stop = min(stop, int(pin()) - self.base)
        if stop < COMPACT_MIN_ROWS:
            self._next_look = live + COMPACT_MIN_ROWS // 2  # look again a little later
            return 0
        self._spill(stop)
        for col in c.values():
            col[: live - stop] = col[stop:live]
        self.base += stop
        self._next_look = max(2 * (live - stop), COMPACT_MIN_ROWS)
        return stop

    def _spill(self, k: int) -> None:
        c = self._cols
        rows = {name: c[name][:k].copy() for name in self.COLUMNS}
        filled = ~np.isnan(rows["filled"])
        cancelled = ~np.isnan(rows["cancelled"])
        if (filled == cancelled).any():  # pragma: no cover - compact() moves only settled orders
            raise AssertionError("an order moved out of memory is not exactly one of filled, cancelled")
        qty = rows["qty"].astype(np.int64)
        bad = rows["defective"] & filled
        t = self.compacted
        t.n += k
        t.delivered += int(filled.sum())
        t.cancelled += int(cancelled.sum())
        t.units_shipped += int(qty[filled].sum())
        t.revenue += float(rows["price"][filled] @ qty[filled])
        t.units_returned += int(qty[bad].sum())
        t.refunds += float(rows["price"][bad] @ qty[bad])
        t.placed_by_day = _add_counts(t.placed_by_day, np.floor(rows["placed"]).astype(np.int64))
        t.cancelled_by_day = _add_counts(
            t.cancelled_by_day, np.floor(rows["cancelled"][cancelled]).astype(np.int64)
        )
        if self._spill_dir is None:
            self._spill_dir = Path(tempfile.mkdtemp(prefix="marketsim-orders-"))
            weakref.finalize(self, shutil.rmtree, str(self._spill_dir), True)
        path = self._spill_dir / f"{len(self._spill_files):06d}.parquet"
        pq.write_table(pa.table(rows), path, compression="zstd")
        self._spill_files.append(path)

    def history(self) -> OrderBook:
        """Every order booked, moved out of memory or not, as a book of its own (read-only use)."""
        if not self._spill_files:
            return self
        parts = [pq.read_table(p) for p in self._spill_files]
        out = OrderBook(0, capacity=1)
        out.n = self.n
        live = self.n - self.base
        out._cols = {
            name: np.concatenate(
                [
                    *(t.column(name).to_numpy().astype(dt, copy=False) for t in parts),
                    self._cols[name][:live],
                ]
            )
            for name, dt in self.COLUMNS.items()
        }
        return out
