"""Day rows that stay put: a table that keeps its recent rows in memory and the rest on disk.

A ten-year run writes one row a day per firm, one for the market, one for the Mesa collector and a
few for each policy's decisions; kept as Python dicts they grow by megabytes a year (measured in
``benchmarks/memory_over_time.py``). Like a ledger whose filled pages go to the archive box, a
:class:`DayTable` collects rows in a small page; when the page is full it becomes one typed
columnar chunk (a pandas table, the same types the whole table would get) written to a temporary
folder, and only the page and the last chunk stay in memory. Reading back (:meth:`to_frame`,
iterating, indexing) gives exactly the rows appended, in order: ``to_frame()`` equals
``pd.DataFrame(list_of_rows)`` (same columns, order and types), which tests check.

The folder is removed when the table is garbage-collected or :meth:`close` is called.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, overload

import mesa
import pandas as pd

DEFAULT_PAGE_ROWS = 256
"""Rows per page: about a year of daily rows of a two-firm market, a few hundred kB as dicts."""


class DayTable:
    """An append-only table of dict rows, paged to disk in typed chunks.

    Args:
        page_rows: rows kept in memory before a page is written out as a chunk.
        name: a word for the temporary folder's name.
    """

    def __init__(self, page_rows: int = DEFAULT_PAGE_ROWS, name: str = "rows") -> None:
        if page_rows < 1:
            raise ValueError(f"page_rows must be >= 1, got {page_rows}")
        self.page_rows = page_rows
        self.name = name
        self._page: list[dict[str, Any]] = []
        self._chunks: list[tuple[int, int]] = []  # (first row, rows) of each chunk on disk
        self._n = 0
        self._dir: Path | None = None
        self._cache: tuple[int, list[dict[str, Any]]] | None = None  # the last chunk read, as rows

    # --- writing -----------------------------------------------------------------------------------
    def append(self, row: dict[str, Any]) -> None:
        """Add one row (its values are kept as they are until the page is written)."""
        self._page.append(row)
        self._n += 1
        if len(self._page) >= self.page_rows:
            self._flush()

    def _folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix=f"marketsim-{self.name}-"))
            weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        return self._dir

    def _flush(self) -> None:
        if not self._page:
            return
        first = self._n - len(self._page)
        frame = pd.DataFrame(self._page)
        frame.to_pickle(self._folder() / f"{len(self._chunks):06d}.pkl")
        self._chunks.append((first, len(self._page)))
        self._cache = (len(self._chunks) - 1, self._page)
        self._page = []

    def close(self) -> None:
        """Remove the chunks on disk (the table is empty afterwards)."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self._page, self._chunks, self._n, self._cache = [], [], 0, None

    # --- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def _chunk_frame(self, k: int) -> pd.DataFrame:
        assert self._dir is not None
        frame: pd.DataFrame = pd.read_pickle(self._dir / f"{k:06d}.pkl")
        return frame

    def _chunk_rows(self, k: int) -> list[dict[str, Any]]:
        if self._cache is None or self._cache[0] != k:
            # a chunk read back gives its rows as records: a key some row lacked reads as NaN
            rows: list[dict[str, Any]] = [
                {str(c): v for c, v in r.items()} for r in self._chunk_frame(k).to_dict("records")
            ]
            self._cache = (k, rows)
        return self._cache[1]

    def frames(self) -> Iterator[pd.DataFrame]:
        """The table chunk by chunk (the page last), each a typed table."""
        for k in range(len(self._chunks)):
            yield self._chunk_frame(k)
        if self._page:
            yield pd.DataFrame(self._page)

    def to_frame(self) -> pd.DataFrame:
        """The whole table, as ``pd.DataFrame`` of all rows would give it."""
        frames = list(self.frames())
        if not frames:
            return pd.DataFrame()
        if len(frames) == 1:
            return frames[0].reset_index(drop=True)
        return pd.concat(frames, ignore_index=True, sort=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for k in range(len(self._chunks)):
            yield from self._chunk_rows(k)
        yield from self._page

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError(f"row {i} of {self._n}")
        start = self._n - len(self._page)
        if j >= start:
            return self._page[j - start]
        for k, (first, rows) in enumerate(self._chunks):
            if first <= j < first + rows:
                return self._chunk_rows(k)[j - first]
        raise IndexError(f"row {i} of {self._n}")  # pragma: no cover - chunks cover every row

    # --- copying (a model deep-copied or pickled takes its rows along) ---------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"page_rows": self.page_rows, "name": self.name, "rows": list(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["page_rows"], state["name"])  # type: ignore[misc]
        for row in state["rows"]:
            self.append(row)


class PagedCollector(mesa.DataCollector):
    """Mesa's DataCollector with its model variables kept in a :class:`DayTable`.

    Reporters are declared and evaluated exactly as Mesa does; each collection's values then go
    to the table as one row, so ``model_vars`` and ``get_model_vars_dataframe()`` read the same
    numbers as a plain collector while a long run's memory stays flat. Agent reporters are not
    supported (the market's agents are views on numpy columns, reported through the model).
    """

    def __init__(self, model_reporters: dict[str, Any]) -> None:
        self._live: dict[str, list[Any]] = {}
        self._writing = True
        self._table = DayTable(name="collector")
        super().__init__(model_reporters=model_reporters)
        self._writing = False

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Every collected value by reporter (read back from the table)."""
        if self._writing:
            return self._live
        df = self._table.to_frame()
        return {k: df[k].tolist() if k in df else [] for k in self._live}

    @model_vars.setter
    def model_vars(self, value: dict[str, list[Any]]) -> None:
        self._live = value

    def collect(self, model: Any) -> None:
        self._writing = True
        try:
            super().collect(model)
        finally:
            self._writing = False
        self._table.append({k: v.pop() for k, v in self._live.items() if v})

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        if not self.model_reporters:
            return super().get_model_vars_dataframe()
        return self._table.to_frame()
