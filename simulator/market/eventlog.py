"""The consumer event log: every purchase, wait, post and boycott as rows, streamed to disk.

Think of a till roll that never stops: each line says on which day which consumer did what with
which firm, and a number that goes with it (the price paid, the days quoted, the lateness of a
delivery, the weight of a post). A million consumers write tens of millions of lines a year, so the
roll is never kept whole in memory: rows fill one typed buffer of ``chunk_rows`` rows, and a full
buffer is written to a Parquet file as one row group, the way a till's roll is cut and filed. Memory
stays flat however long the run. Alongside the rows the log keeps a running count per (kind, firm,
day), which is what a firm's demand sensing and the day's market figures ask for
(:meth:`EventLog.daily_counts`) without reading any row: the counts are the window that stays in
memory (a few bytes per kind, firm and day; 1.2 MB for two firms over ten years).

Columns: ``day`` (int32), ``kind`` (an :class:`EventKind` name, dictionary-encoded), ``consumer``
(int32 row of the population), ``firm`` (int16, -1 when the event concerns no firm), ``value``
(float32, NaN when the event carries no number; its meaning per kind is given in :class:`EventKind`).

Where the rows go: ``keep_rows=False`` keeps counts only (a sweep's runs, a run without
``--events``); with a ``spill`` path the rows stream to that Parquet file, complete after
:meth:`EventLog.close` (``marketsim run --events`` streams into the run folder this way); without
one they stream to a temporary file that is removed with the log.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class EventKind(IntEnum):
    """What a consumer did; the ``value`` column's meaning is given for each kind."""

    PURCHASE = 0
    """An order for consumption; value = price paid."""
    WAIT = 1
    """An order that could not be filled from stock when placed: it waits for production; value =
    the delivery days quoted."""
    CANCEL = 2
    """An open order given up (patience ran out); value = days waited."""
    DELIVERY = 3
    """An order arrived; value = days late against the promise (0 when on time)."""
    POST_POSITIVE = 4
    """A public post praising the firm; value = the post's weight."""
    POST_NEGATIVE = 5
    """A public post complaining about the firm; value = the post's weight."""
    POST_VALUES = 6
    """A post showing one's values about the firm ("meaning out"); value = +1 support, -1 protest."""
    BOYCOTT_JOIN = 7
    """The consumer starts boycotting the firm; value = NaN."""
    BOYCOTT_LEAVE = 8
    """The consumer ends a boycott; value = 1 if they will never buy from the firm again, else 0."""
    SUPPORT_PURCHASE = 9
    """An order placed only to support the firm (no consumption, need unchanged); value = price."""
    BUYCOTT_JOIN = 10
    """The consumer starts favouring the firm after a virtuous act; value = NaN."""
    AWARE = 11
    """The consumer learns of a scandal or a virtuous act of the firm; value = 1 from the media,
    0 from peers."""
    WENT_WITHOUT = 12
    """A consumer with a need bought nothing today; firm = -1; value = the cause (an index into
    :data:`WENT_WITHOUT_CAUSES`)."""
    BUYCOTT_LEAVE = 13
    """The consumer stops favouring the firm; value = NaN."""
    BOYCOTT_ANNOUNCE = 14
    """The consumer declares in public that they boycott the firm (the post that goes with a
    private BOYCOTT_JOIN, also logged as POST_VALUES -1); value = NaN."""
    BUYCOTT_ANNOUNCE = 15
    """The consumer declares in public that they favour the firm after a virtuous act; value = NaN."""
    LOST_TO_QUOTE = 16
    """A shopper who would have bought from the firm had it quoted standard delivery, on the same
    draw, but bought elsewhere or went without: a sale lost to the firm's delivery quote; value =
    the days quoted."""

    @property
    def visibility(self) -> str:
        """Who can see events of this kind: ``"public"`` (anyone: posts and announcements),
        ``"own"`` (only the firm concerned: its own order desk) or ``"private"`` (no firm: decisions
        and knowledge inside consumers' heads, and the model's counterfactuals)."""
        return _VISIBILITY[self]


_VISIBILITY: dict[EventKind, str] = {
    EventKind.PURCHASE: "own",
    EventKind.WAIT: "own",
    EventKind.CANCEL: "own",
    EventKind.DELIVERY: "own",
    EventKind.SUPPORT_PURCHASE: "own",
    EventKind.POST_POSITIVE: "public",
    EventKind.POST_NEGATIVE: "public",
    EventKind.POST_VALUES: "public",
    EventKind.BOYCOTT_ANNOUNCE: "public",
    EventKind.BUYCOTT_ANNOUNCE: "public",
    EventKind.BOYCOTT_JOIN: "private",
    EventKind.BOYCOTT_LEAVE: "private",
    EventKind.BUYCOTT_JOIN: "private",
    EventKind.BUYCOTT_LEAVE: "private",
    EventKind.AWARE: "private",
    EventKind.WENT_WITHOUT: "private",
    EventKind.LOST_TO_QUOTE: "private",
}

WENT_WITHOUT_CAUSES: tuple[str, ...] = ("choice", "delivery", "boycott")
"""Causes of going without, coded 0, 1, 2 in a WENT_WITHOUT event's value: the consumer preferred
not to buy at the offered prices and values (``choice``); they would have bought had every firm
quoted standard delivery (``delivery``: a quote too long, or later a stock-out); they would have
bought from a firm they boycott (``boycott``, tried first)."""


N_KINDS = len(EventKind)
_COLUMNS: dict[str, np.dtype] = {
    "day": np.dtype(np.int32),
    "kind": np.dtype(np.int8),
    "consumer": np.dtype(np.int32),
    "firm": np.dtype(np.int16),
    "value": np.dtype(np.float32),
}
ROW_BYTES = sum(dt.itemsize for dt in _COLUMNS.values())
"""Bytes of one row in the in-memory buffer."""
DEFAULT_CHUNK_ROWS = 1 << 18
"""Rows per buffer and per Parquet row group: 262,144 rows, 3.9 MB in memory."""


def _kind_names() -> pa.Array:
    return pa.array([k.name for k in EventKind], type=pa.string())


SCHEMA = pa.schema(
    [
        ("day", pa.int32()),
        ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("consumer", pa.int32()),
        ("firm", pa.dictionary(pa.int16(), pa.string())),
        ("firm_index", pa.int16()),
        ("value", pa.float32()),
    ]
)
"""The Parquet schema of an event log file: ``firm`` names the firm (null: none), ``firm_index``
is its position in the scenario (-1: none)."""


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class EventLog:
    """Columnar log of consumer events streamed to Parquet, with running daily counts.

    Args:
        n_firms: number of firms (the count table's width; events with firm -1 are counted in an
            extra last column).
        keep_rows: keep the rows (needed for :meth:`to_frame`); the daily counts are kept always.
        chunk_rows: rows held in memory before they are written out as one Parquet row group.
        spill: the Parquet file the rows stream to (complete after :meth:`close`); None: a temporary
            file, removed when the log is.
    """

    def __init__(
        self,
        n_firms: int,
        keep_rows: bool = True,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        spill: str | Path | None = None,
        firm_names: Sequence[str] | None = None,
    ) -> None:
        if n_firms < 0:
            raise ValueError('"n_firms" must be >= 0.')
        if chunk_rows <= 0:
            raise ValueError('"chunk_rows" must be > 0.')
        self.n_firms = n_firms
        names = [str(x) for x in firm_names] if firm_names is not None else []
        if firm_names is not None and len(names) != n_firms:
            raise ValueError(f'"firm_names" must name {n_firms} firms, got {len(names)}.')
        self.firm_names: list[str] = names or [f"firm {i}" for i in range(n_firms)]
        """The firms' names, written with each row (the file is read without the scenario)."""
        self.keep_rows = keep_rows
        self.chunk_rows = chunk_rows
        self.spill_path: Path | None = Path(spill) if spill is not None else None
        self._buffer: dict[str, np.ndarray] | None = None
        self._fill = 0  # rows used in the buffer
        self._writer: pq.ParquetWriter | None = None
        self._parts: list[Path] = []  # finished files of rows read back mid-run (see to_table)
        self._part: Path | None = None  # the file the writer writes
        self._written = 0  # rows already in files
        self._closed = False
        self.n = 0
        self._counts = np.zeros((N_KINDS, n_firms + 1, 64), dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    # --- writing ------------------------------------------------------------------------------------
    def record(
        self,
        kind: EventKind | int,
        day: int,
        consumers: np.ndarray,
        firm: int | np.ndarray,
        value: float | np.ndarray | None = None,
    ) -> None:
        """Append one event per consumer in ``consumers``, all of ``kind`` on ``day``.

        Args:
            kind: the event kind.
            day: the simulated day.
            consumers: population rows (any integer array, possibly empty).
            firm: one firm index for all, or one per consumer (-1: no firm).
            value: one number for all, one per consumer, or None (NaN).
        """
        consumers = np.asarray(consumers)
        k = len(consumers)
        if k == 0:
            return
        kind = int(kind)
        firms = np.broadcast_to(np.asarray(firm, dtype=np.int16), (k,))
        self._count(kind, day, firms)
        if not self.keep_rows:
            self.n += k
            return
        if self._closed:
            raise RuntimeError("the event log is closed; no more rows can be recorded")
        vals = np.broadcast_to(np.asarray(np.nan if value is None else value, dtype=np.float32), (k,))
        done = 0
        while done < k:
            if self._buffer is None:
                self._buffer = {c: np.empty(self.chunk_rows, dt) for c, dt in _COLUMNS.items()}
                self._fill = 0
            take = min(k - done, self.chunk_rows - self._fill)
            buf = self._buffer
            s = slice(self._fill, self._fill + take)
            part = slice(done, done + take)
            buf["day"][s] = day
            buf["kind"][s] = kind
            buf["consumer"][s] = consumers[part]
            buf["firm"][s] = firms[part]
            buf["value"][s] = vals[part]
            self._fill += take
            done += take
            if self._fill == self.chunk_rows:
                self._flush()
        self.n += k

    def _table(self, rows: int) -> pa.Table:
        assert self._buffer is not None
        b = self._buffer
        kind = pa.DictionaryArray.from_arrays(pa.array(b["kind"][:rows]), _kind_names())
        index = b["firm"][:rows]
        firm = pa.DictionaryArray.from_arrays(
            pa.array(index, mask=index < 0), pa.array(self.firm_names, type=pa.string())
        )
        return pa.Table.from_arrays(
            [
                pa.array(b["day"][:rows]),
                kind,
                pa.array(b["consumer"][:rows]),
                firm,
                pa.array(index),
                pa.array(b["value"][:rows]),
            ],
            schema=SCHEMA,
        )

    def _flush(self) -> None:
        """Write the buffer's rows to the file as one row group and empty it."""
        if self._fill == 0:
            return
        if self._writer is None:
            self._open()
        assert self._writer is not None
        self._writer.write_table(self._table(self._fill), row_group_size=self.chunk_rows)
        self._written += self._fill
        self._fill = 0

    def _open(self) -> None:
        """Start a new file for the rows: the spill path itself, or a temporary file beside it."""
        if self.spill_path is None:
            fd, name = tempfile.mkstemp(prefix="marketsim-events-", suffix=".parquet")
            os.close(fd)
            self.spill_path = Path(name)
            weakref.finalize(self, _remove, name)
        if self._parts or self._written:  # a later part: a temporary file next to the spill path
            fd, name = tempfile.mkstemp(
                prefix=f".{self.spill_path.name}.part", suffix=".tmp", dir=self.spill_path.parent
            )
            os.close(fd)
            weakref.finalize(self, _remove, name)
            self._part = Path(name)
        else:
            self._part = self.spill_path
        self._writer = pq.ParquetWriter(self._part, SCHEMA)

    def _finish_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            assert self._part is not None
            self._parts.append(self._part)
            self._part = None

    def close(self) -> Path | None:
        """Write the remaining rows and finish the file; return its path (None when rows are not kept).

        After closing, rows can still be read (:meth:`to_frame`) but no more recorded.
        """
        if not self.keep_rows:
            return None
        if not self._closed:
            if self._writer is None and self.spill_path is not None and not self._parts:
                self._open()  # an empty log is a file too
            self._flush()
            self._finish_part()
            if len(self._parts) > 1:
                # rows were read back mid-run, which split the file: join the parts row group by
                # row group (never the whole log in memory) into the spill path
                assert self.spill_path is not None
                first, rest = self._parts[0], self._parts[1:]
                joined = first.with_name(f".{first.name}.joined.tmp")
                with pq.ParquetWriter(joined, SCHEMA) as w:
                    for part in self._parts:
                        f = pq.ParquetFile(part)
                        for g in range(f.num_row_groups):
                            w.write_table(f.read_row_group(g), row_group_size=self.chunk_rows)
                os.replace(joined, self.spill_path)
                for part in rest:
                    _remove(str(part))
                self._parts = [self.spill_path]
            self._closed = True
        return self.spill_path

    def _count(self, kind: int, day: int, firms: np.ndarray) -> None:
        if day < 0:
            raise ValueError(f"day must be >= 0, got {day}")
        if day >= self._counts.shape[2]:
            grown = np.zeros(
                (N_KINDS, self.n_firms + 1, max(2 * self._counts.shape[2], day + 1)), np.int64
            )
            grown[:, :, : self._counts.shape[2]] = self._counts
            self._counts = grown
        cols = np.where(firms < 0, self.n_firms, firms)
        self._counts[kind, :, day] += np.bincount(cols, minlength=self.n_firms + 1)

    # --- reading ------------------------------------------------------------------------------------
    def daily_counts(
        self, kind: EventKind | int, firm: int | None, first_day: int, last_day: int
    ) -> np.ndarray:
        """Events of ``kind`` for ``firm`` on each day from ``first_day`` to ``last_day`` inclusive.

        Args:
            kind: the event kind.
            firm: a firm index, -1 for events that concern no firm, or None for all events.
            first_day: first day of the range (days before 0 count 0).
            last_day: last day of the range, inclusive (an empty array if before ``first_day``).
        """
        if last_day < first_day:
            return np.zeros(0, dtype=np.int64)
        out = np.zeros(last_day - first_day + 1, dtype=np.int64)
        lo = max(first_day, 0)
        hi = min(last_day, self._counts.shape[2] - 1)
        if hi < lo:
            return out
        row = self._counts[int(kind)]
        if firm is None:
            series = row[:, lo : hi + 1].sum(axis=0)
        else:
            col = self.n_firms if firm < 0 else firm
            if col > self.n_firms:
                raise ValueError(f"no firm {firm} (the log has {self.n_firms} firms)")
            series = row[col, lo : hi + 1]
        out[lo - first_day : hi - first_day + 1] = series
        return out

    def to_table(self) -> pa.Table:
        """All rows, in the order they were recorded, as an Arrow table of :data:`SCHEMA`.

        The rows written out so far are read back from the file: meant for tests and small runs
        (a long run's rows are read from its ``events.parquet`` in row groups instead).
        """
        if not self.keep_rows:
            raise RuntimeError("this event log keeps counts only (keep_rows=False)")
        # a Parquet file is readable only once its footer is written: finish the open one, and later
        # rows go on in a new part (joined again by close)
        self._finish_part()
        parts = [pq.read_table(p, schema=SCHEMA) for p in self._parts]
        if self._fill:
            parts.append(self._table(self._fill))
        if not parts:
            return SCHEMA.empty_table()
        return pa.concat_tables(parts)

    def columns(self) -> dict[str, np.ndarray]:
        """The rows as one array per column, in the order they were recorded (``kind`` as codes)."""
        table = self.to_table()
        out = {}
        for c, dt in _COLUMNS.items():
            # the buffer's firm column is the file's firm_index (its firm column holds the names)
            col = table.column("firm_index" if c == "firm" else c).combine_chunks()
            if c == "kind":
                out[c] = np.asarray(col.indices, dtype=dt) if len(col) else np.empty(0, dt)
            else:
                out[c] = col.to_numpy(zero_copy_only=False).astype(dt, copy=False)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The rows as a typed data frame; ``kind`` is a categorical of the :class:`EventKind` names."""
        cols = self.columns()
        names = [k.name for k in EventKind]
        kind = pd.Categorical.from_codes(cols["kind"].astype(np.int64), categories=pd.Index(names))
        return pd.DataFrame(
            {
                "day": cols["day"],
                "kind": kind,
                "consumer": cols["consumer"],
                "firm": cols["firm"],
                "value": cols["value"],
            }
        )
