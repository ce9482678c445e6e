"""Growable typed columns: a ledger page that doubles when full.

Order lines, work orders and stage visits are recorded as rows of numpy columns instead of one
Python object each, so a million records stay cheap to append, to slice and to summarise. Appending
writes into spare capacity; when it runs out every column doubles (amortised O(1) per row).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class Columns:
    """Named numpy columns of equal length that grow by doubling.

    Args:
        dtypes: column name -> dtype.
        capacity: initial number of rows reserved.
    """

    def __init__(self, dtypes: Mapping[str, np.dtype | type], capacity: int = 1024) -> None:
        if capacity <= 0:
            raise ValueError(f'"capacity" must be > 0, got {capacity}')
        self.n = 0
        self._cols = {k: np.empty(capacity, np.dtype(dt)) for k, dt in dtypes.items()}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        """The filled part of a column (a view: writing to it changes the record)."""
        return self._cols[name][: self.n]

    def reserve(self, k: int) -> slice:
        """Make room for ``k`` more rows and return their slice (rows count as filled at once)."""
        need = self.n + k
        cap = len(next(iter(self._cols.values())))
        if need > cap:
            while cap < need:
                cap *= 2
            for key, col in self._cols.items():
                new = np.empty(cap, col.dtype)
                new[: self.n] = col[: self.n]
                self._cols[key] = new
        s = slice(self.n, need)
        self.n = need
        return s

    def append(self, **values: float | int | bool) -> int:
        """Append one row; return its index."""
        s = self.reserve(1)
        for key, col in self._cols.items():
            col[s.start] = values[key]
        return s.start

    def raw(self, name: str) -> np.ndarray:
        """The whole backing array of a column (including spare capacity), for in-place writes."""
        return self._cols[name]


class IdQueue:
    """A first-in first-out queue of order ids with their units, cheap however long it grows.

    Like the spike of order slips at a shipping desk: new slips go on the back, the oldest come off
    the front as stock allows, and now and then slips past their deadline are pulled out. Ids sit in
    one growing array with a head index, so joining costs the joiners, leaving from the front costs
    the leavers (and a look at as many slips as there are units to hand out), and the total units
    waiting is a running sum. Only pulling out from the middle touches the whole queue.

    Args:
        capacity: initial room for ids (grows by doubling).
    """

    def __init__(self, capacity: int = 64) -> None:
        self._ids = np.empty(capacity, np.int64)
        self._head = 0
        self._tail = 0
        self.units = 0
        """Units ordered by the ids in the queue."""
        self.min_deadline = np.inf
        """A lower bound on the earliest deadline in the queue (exact after :meth:`remove`)."""

    def __len__(self) -> int:
        return self._tail - self._head

    def ids(self) -> np.ndarray:
        """The queued ids, oldest first (a view: do not keep it across changes)."""
        return self._ids[self._head : self._tail]

    def push(self, ids: np.ndarray, units: int, min_deadline: float = np.inf) -> None:
        """Put ``ids`` (ordering ``units`` in all, earliest deadline ``min_deadline``) at the back."""
        k = len(ids)
        if k == 0:
            return
        if self._tail + k > len(self._ids):
            live = self.ids()
            cap = len(self._ids)
            while cap < len(live) + k:
                cap *= 2
            new = np.empty(max(cap, 2 * (len(live) + k)), np.int64)
            new[: len(live)] = live
            self._ids, self._head, self._tail = new, 0, len(live)
        self._ids[self._tail : self._tail + k] = ids
        self._tail += k
        self.units += units
        self.min_deadline = min(self.min_deadline, min_deadline)

    def take(self, units: int, qty: np.ndarray, base: int = 0) -> np.ndarray:
        """Remove and return the oldest ids whose orders ``units`` can fill in full (strict FIFO).

        ``qty`` is the quantity column indexed by id - ``base``. Only the first ``units`` ids are
        looked at: each order is at least one unit.
        """
        if units <= 0 or self._tail == self._head:
            return self._ids[:0].copy()
        front = self._ids[self._head : min(self._head + units, self._tail)]
        need = np.cumsum(qty[front - base])
        k = int(np.searchsorted(need, units, side="right"))
        out = front[:k].copy()
        self._head += k
        if k:
            self.units -= int(need[k - 1])
        return out

    def remove(self, drop: np.ndarray, units: int) -> None:
        """Pull out the ids where ``drop`` (aligned with :meth:`ids`) is True; they order ``units``."""
        keep = self.ids()[~drop]
        self._ids[: len(keep)] = keep
        self._head, self._tail = 0, len(keep)
        self.units -= units

    def reset_deadline(self, deadline: np.ndarray, base: int = 0) -> None:
        """Set :attr:`min_deadline` exactly from the deadline column indexed by id - ``base``."""
        live = self.ids()
        self.min_deadline = float(deadline[live - base].min()) if len(live) else np.inf
