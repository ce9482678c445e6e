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
