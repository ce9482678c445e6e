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
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from simulator.firms.columns import IdQueue

NaN = np.nan


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
        self._cols = {k: np.empty(capacity, dt) for k, dt in self.COLUMNS.items()}
        self._queues = [IdQueue() for _ in range(n_variants)]
        self.journal: list[np.ndarray] | None = None
        """Ids filled or cancelled since the last :meth:`drain_journal` (None: not kept). An
        auditor that reads only what changed switches it on."""

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        cap = len(self._cols["qty"])
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for k, col in self._cols.items():
            new = np.empty(cap, col.dtype)
            new[: self.n] = col[: self.n]
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
        s = slice(self.n, self.n + k)
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
        self._cols["filled"][ids] = t
        self._cols["delivered"][ids] = t + ship_days
        if self.journal is not None:
            self.journal.append(np.asarray(ids, np.int64))
        self._cols["from_stock"][ids] = from_stock
        if defective is not None:
            self._cols["defective"][ids] = defective

    def enqueue(self, variant: int, ids: np.ndarray) -> None:
        """Put orders at the back of a variant's backlog."""
        if len(ids):
            c = self._cols
            self._queues[variant].push(ids, int(c["qty"][ids].sum()), float(c["deadline"][ids].min()))

    def backlog(self, variant: int) -> np.ndarray:
        """Ids of the variant's open orders, oldest first."""
        return self._queues[variant].ids().copy()

    def backlog_units(self, variant: int) -> int:
        """Units ordered and not yet filled for a variant (a running sum)."""
        return self._queues[variant].units

    def take_fillable(self, variant: int, units: int) -> np.ndarray:
        """Remove and return the oldest orders that ``units`` can fill in full (strict FIFO)."""
        return self._queues[variant].take(units, self._cols["qty"])

    def cancel_overdue(self, t: float) -> np.ndarray:
        """Cancel open orders whose deadline is before ``t``; return their ids."""
        out = []
        deadline = self._cols["deadline"]
        for q in self._queues:
            if len(q) == 0 or q.min_deadline >= t:  # nobody in this queue is overdue yet
                continue
            queue = q.ids()
            late = deadline[queue] < t
            if late.any():
                ids = queue[late].copy()
                out.append(ids)
                q.remove(late, int(self._cols["qty"][ids].sum()))
            q.reset_deadline(deadline)
        if not out:
            return np.empty(0, np.int64)
        ids = np.concatenate(out)
        self._cols["cancelled"][ids] = t
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
        d = self._cols["delivered"][ids]
        late = np.floor(d) - np.floor(self._cols[due][ids])
        return np.where(np.isnan(d), np.nan, np.maximum(late, 0.0))

    def on_time(self, due: str = "promised", by: float = np.inf) -> np.ndarray:
        """For every order, whether it was delivered by ``by`` on or before its due calendar day."""
        d = self.delivered
        return (d <= by) & (np.floor(d) <= np.floor(getattr(self, due)))

    def open_count(self) -> int:
        """Orders neither filled nor cancelled."""
        return sum(len(q) for q in self._queues)

    def status_counts(self, t: float) -> dict[str, int]:
        """Orders by status at time ``t``: open, in transit, delivered, cancelled (adding up to all)."""
        filled = ~np.isnan(self.filled)
        delivered = filled & (self.delivered <= t)
        return {
            "open": self.open_count(),
            "in_transit": int((filled & ~delivered).sum()),
            "delivered": int(delivered.sum()),
            "cancelled": int((~np.isnan(self.cancelled)).sum()),
        }
