"""The consumer event log: every purchase, wait, post and boycott as rows in columnar buffers.

Think of a till roll that never stops: each line says on which day which consumer did what with
which firm, and a number that goes with it (the price paid, the days quoted, the lateness of a
delivery, the weight of a post). A million consumers write tens of millions of lines a year, so the
roll is kept as a few typed numpy columns filled in chunks, never as one Python object per event.
Alongside the rows the log keeps a running count per (kind, firm, day), which is what a firm's
demand sensing asks for every day (:meth:`EventLog.daily_counts`) without scanning the rows.

Columns: ``day`` (int32), ``kind`` (int8, an :class:`EventKind`), ``consumer`` (int32 row of the
population), ``firm`` (int16, -1 when the event concerns no firm), ``value`` (float32, NaN when the
event carries no number; its meaning per kind is given in :class:`EventKind`).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd


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


class EventLog:
    """Columnar, growable log of consumer events, with running daily counts per kind and firm.

    Args:
        n_firms: number of firms (the count table's width; events with firm -1 are counted in an
            extra last column).
        keep_rows: keep every row (needed for :meth:`to_frame`); the daily counts are kept always.
        chunk_rows: rows per storage chunk (the log grows by whole chunks, never by copying).
    """

    def __init__(self, n_firms: int, keep_rows: bool = True, chunk_rows: int = 1 << 20) -> None:
        if n_firms < 0:
            raise ValueError('"n_firms" must be >= 0.')
        if chunk_rows <= 0:
            raise ValueError('"chunk_rows" must be > 0.')
        self.n_firms = n_firms
        self.keep_rows = keep_rows
        self.chunk_rows = chunk_rows
        self._chunks: list[dict[str, np.ndarray]] = []
        self._fill = 0  # rows used in the last chunk
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
        vals = np.broadcast_to(np.asarray(np.nan if value is None else value, dtype=np.float32), (k,))
        done = 0
        while done < k:
            if not self._chunks or self._fill == self.chunk_rows:
                self._chunks.append({c: np.empty(self.chunk_rows, dt) for c, dt in _COLUMNS.items()})
                self._fill = 0
            take = min(k - done, self.chunk_rows - self._fill)
            chunk = self._chunks[-1]
            s = slice(self._fill, self._fill + take)
            part = slice(done, done + take)
            chunk["day"][s] = day
            chunk["kind"][s] = kind
            chunk["consumer"][s] = consumers[part]
            chunk["firm"][s] = firms[part]
            chunk["value"][s] = vals[part]
            self._fill += take
            done += take
        self.n += k

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

    def columns(self) -> dict[str, np.ndarray]:
        """The rows as one array per column (copies), in the order they were recorded."""
        if not self.keep_rows:
            raise RuntimeError("this event log keeps counts only (keep_rows=False)")
        out = {}
        for c, dt in _COLUMNS.items():
            parts = [ch[c] for ch in self._chunks[:-1]]
            if self._chunks:
                parts.append(self._chunks[-1][c][: self._fill])
            out[c] = np.concatenate(parts) if parts else np.empty(0, dt)
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
