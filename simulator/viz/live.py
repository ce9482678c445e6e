"""The market as the browser view drives it: built from the page's controls, stepped one day at a time.

Picture the simulator on a bench with its covers off: an operator turns knobs, presses Reset to
rebuild the market with the new settings and watches the gauges. :class:`LiveMarket` is that bench
version of :class:`~simulator.model.MarketModel`:

- it is built from keyword arguments only (the page's controls, :mod:`simulator.viz.controls`), so
  Mesa's SolaraViz can rebuild it on Reset with ``type(model)(**parameters)``;
- it never lets an exception escape to the page: a setting that breaks a scenario rule falls back to
  the chosen scenario with a note, and a day that fails stops the model with a message (Solara would
  otherwise replace the whole page with a traceback);
- it takes turns with the page (:class:`PageLink`): Mesa's Play loop steps the model in a thread of
  its own, and each day is simulated while holding the page's render lock, so the page never draws a
  half-simulated day and the Play loop never changes the page's state while it is being drawn; a
  session with no browser tab connected waits instead of simulating, and a closed session or a
  stopping server ends the Play loop (:meth:`LiveMarket.close`, :func:`stop_all`);
- it records what the page plots in its Mesa ``DataCollector`` (Mesa's plot components read it)
  and a sample of consumers in a Mesa network space (Mesa's space component draws it).
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from mesa.discrete_space.cell_agent import HasCell

from simulator.market.consumer import Consumer
from simulator.model import MarketModel
from simulator.scenario import GENERATIONS, Scenario
from simulator.viz.controls import BASE_KEY, build_scenario, control_keys

FIRM_SERIES = (
    "units_ordered",
    "orders",
    "filled_from_stock",
    "units_shipped",
    "on_hand",
    "backorders",
    "wip",
    "revenue",
    "profit",
    "quoted_days",
)
"""Per-firm columns of the model's daily rows that the page plots."""
SOCIAL_SERIES = ("boycott", "reputation")
"""Per-firm market figures (share boycotting, mean perceived reputation), when the model has them."""
NETWORK_SAMPLE = 150
"""Consumers drawn in the network view (the layout is computed for them only)."""
SHARE_WINDOW = 7
"""Days the market-share curves sum over (one day's buyers are few and noisy)."""
GENERATION_WINDOW = 14
"""Days the share-by-generation curves sum over (a generation's daily buyers are fewer still)."""
PAGE_KEY = "page"
"""The fixed model parameter that carries the :class:`PageLink` (Mesa passes it back on Reset)."""
WAIT_SLICE = 0.2
"""Seconds between two looks at the session while waiting for a turn (closing is noticed this fast)."""

_uids = itertools.count(1)
_SERVER_STOPPING = threading.Event()
_LIVE: weakref.WeakSet[LiveMarket] = weakref.WeakSet()


RELEASED = (
    "population",
    "network",
    "firms",
    "env",
    "event_log",
    "events",
    "rows",
    "market_rows",
    "datacollector",
    "history",
    "grid",
    "_sample",
    "last_choices",
    "collected",
)
"""What a released market lets go of."""


def _array_bytes(obj: Any) -> int:
    """Bytes of the numpy arrays among an object's attributes (one level deep)."""
    if obj is None:
        return 0
    return sum(v.nbytes for v in vars(obj).values() if isinstance(v, np.ndarray))


def _freed(uid: int) -> None:
    logging.getLogger("simulator.viz").info(f"market {uid} freed")


def stop_all() -> None:
    """The server is stopping: every live market ends its Play loop at its next day, for good."""
    _SERVER_STOPPING.set()
    for m in list(_LIVE):
        m.close()


def live_markets() -> int:
    """How many live markets exist in this process (closed ones that are not yet freed included)."""
    return len(_LIVE)


@dataclass
class PageLink:
    """What ties live markets to the browser session that shows them.

    Attributes:
        render_lock: the session's render lock (reacton's); a day is simulated while holding it, so
            no render reads a half-simulated day and the Play loop changes no state during a render.
        holds_render: whether the calling thread is the one rendering (then it must not wait).
        connected: whether a browser tab of the session is connected; while none is, Play waits.
        closed: set when the session ends; its markets stop and let go of their state.
    """

    render_lock: Any = None
    holds_render: Callable[[], bool] = lambda: False
    connected: Callable[[], bool] = lambda: True
    closed: threading.Event = field(default_factory=threading.Event)


class DailyTable:
    """Day-by-day values of named per-firm series, stored in arrays that double when full.

    Args:
        n_firms: width of every series.
    """

    def __init__(self, n_firms: int) -> None:
        self.n_firms = n_firms
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}
        self.totals: dict[str, np.ndarray] = {}
        """Per series, the sum over the days so far (NaN days count as 0)."""

    def append(self, values: dict[str, np.ndarray]) -> None:
        """Add one day."""
        n = self.n
        for key, v in values.items():
            self.totals[key] = self.totals.get(key, np.zeros(self.n_firms)) + np.nan_to_num(v)
            col = self._cols.get(key)
            if col is None:
                col = self._cols[key] = np.full((max(64, n + 1), self.n_firms), np.nan)
            elif len(col) <= n:
                grown = np.full((2 * len(col), self.n_firms), np.nan)
                grown[: len(col)] = col
                self._cols[key] = col = grown
            col[n] = v
        self.n = n + 1

    def get(self, key: str, n: int | None = None) -> np.ndarray:
        """The first ``n`` days (default: all) of ``key``, shape ``(days, firms)``; NaN if never set."""
        n = self.n if n is None else n
        col = self._cols.get(key)
        if col is None:
            return np.full((n, self.n_firms), np.nan)
        return col[:n]

    def keys(self) -> tuple[str, ...]:
        """The series recorded so far."""
        return tuple(self._cols)

    def __contains__(self, key: str) -> bool:
        return key in self._cols


class SampledConsumer(Consumer, HasCell):
    """A consumer of the network sample, placed on its node of the page's Mesa network space."""


def _row_value(model: LiveMarket, firm: int, key: str) -> float | None:
    """A DataCollector reporter: today's value of one column of a firm's row (None before day 1)."""
    if not model.rows:
        return None
    return float(model.rows[-len(model.firms) + firm][key])


def _to_date(model: LiveMarket, firm: int, key: str) -> float:
    """A DataCollector reporter: the sum of one column of a firm's rows since day 0."""
    return float(model.history.totals[key][firm]) if key in model.history.totals else 0.0


def _rolling_share(model: LiveMarket, firm: int, key: str, window: int) -> float | None:
    """A DataCollector reporter: a firm's share of ``key`` over the last ``window`` days (None: none)."""
    h = model.history
    if key not in h:
        return None
    counts = np.nan_to_num(h.get(key)[-window:]).sum(axis=0)
    total = counts.sum()
    return float(counts[firm] / total) if total > 0 else None


def _day_figure(model: LiveMarket, key: str) -> float | None:
    """A DataCollector reporter: one of the day's market-wide figures (None before the first day)."""
    v = model.collected.get(key)
    return None if v is None else float(v)


class _PageCollector(mesa.DataCollector):
    """The model's DataCollector, which brings the page's history up to date before collecting."""

    def collect(self, model: Any) -> None:
        """Record the day in the model's history (if new), then collect as Mesa does."""
        model.sync_history()
        super().collect(model)


class LiveMarket(MarketModel):
    """A :class:`MarketModel` built from the page's controls, safe to step from a web page.

    Args:
        base: the scenario the page started from (Mesa passes it back as a fixed parameter).
        page: the session's :class:`PageLink` (a fixed parameter too; None outside a page).
        controls: control key -> value (see :func:`simulator.viz.controls.controls_for`); keys left
            out keep ``base``'s values. Mesa's Reset also passes ``scenario`` (its own, empty,
            experiment object), which is ignored.

    Raises:
        TypeError: for a keyword that is no control of ``base`` (a programming error, not input).
    """

    def __init__(self, *, base: Scenario, page: PageLink | None = None, **controls: Any) -> None:
        controls.pop("scenario", None)  # Mesa's own scenario object; ours is ``base``
        unknown = set(controls) - control_keys(base) - {BASE_KEY}
        if unknown:
            raise TypeError(f"LiveMarket: unknown controls {sorted(unknown)}")
        spec, seed, notes = build_scenario(base, controls)
        self.notes: list[str] = notes
        """What the page adjusted or could not use in the controls' settings."""
        try:
            super().__init__(spec, seed=seed, agents=False)
        except Exception as e:  # e.g. an edge-list file with consumers beyond a smaller population
            notes.append(f"Could not build the market from these settings ({e}); showing {base.name}.")
            spec, seed = base, base.run.seed
            super().__init__(spec, seed=seed, agents=False)
        self.base = base
        self.seed = seed
        self.page = page
        self.uid = next(_uids)
        """Unique per model (unlike ``id()``, never reused)."""
        self.error: str | None = None
        """Why the model stopped, if a day failed."""
        self.closed = False
        """The session ended or the server stops: no more days."""
        self.last_step_seconds = 0.0
        self.history = DailyTable(len(self.firms))
        self._lock = threading.Lock()
        self._sample: tuple[np.ndarray, np.ndarray] | None = None
        self.grid = self._network_space()
        """A Mesa network space of a sample of consumers (what the page's network view draws)."""
        self.datacollector = self._page_collector()
        self.datacollector.collect(self)  # day 0: every plot has its axes from the start
        _LIVE.add(self)
        weakref.finalize(self, _freed, self.uid)

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day, taking turns with the page; on failure stop and keep the reason.

        Waits while no browser tab of the session is connected, and returns at once (with
        ``running = False``, which ends Mesa's Play loop) once the market is closed.
        """
        if self.error is not None or self.closed or _SERVER_STOPPING.is_set():
            self.running = False
            return
        if not self._take_turn():
            self.running = False
            return
        try:
            with self._lock:  # a Step click and the Play thread must not run one day twice at once
                t0 = time.perf_counter()
                try:
                    super().step()  # its books close with the DataCollector's collect
                except Exception as e:
                    self.error = f"day {self.day}: {type(e).__name__}: {e}"
                    self.running = False
                    traceback.print_exc(file=sys.stderr)  # the server log keeps the details
                self.last_step_seconds = time.perf_counter() - t0
        finally:
            self._end_turn()

    def _take_turn(self) -> bool:
        """Wait until the page is not drawing (and a tab is connected); False if closed meanwhile."""
        self._holding = False
        link = self.page
        while True:
            if self.closed or _SERVER_STOPPING.is_set() or (link is not None and link.closed.is_set()):
                return False
            if link is None or link.render_lock is None:
                return True
            if link.holds_render():  # called while this thread draws the page: it cannot wait for itself
                return True
            if not link.connected():  # nobody watches: pause until the tab is back (or closed)
                time.sleep(WAIT_SLICE)
                continue
            if link.render_lock.acquire(timeout=WAIT_SLICE):
                self._holding = True
                return True

    def _end_turn(self) -> None:
        if getattr(self, "_holding", False):
            self._holding = False
            self.page.render_lock.release()  # type: ignore[union-attr]

    def close(self) -> None:
        """End this market: no further day is simulated, and Play stops at its next step."""
        self.closed = True
        self.running = False

    def release(self) -> int:
        """Close the market and let go of its state (consumers, network, plants, history).

        Waits for a day under way to finish. The object itself may outlive its session a while
        (the page's closures refer to it); its memory does not.

        Returns:
            The bytes of numpy arrays released (consumer columns, network, event log): an estimate.
        """
        self.close()
        with self._lock:
            size = sum(_array_bytes(getattr(self, name, None)) for name in ("population", "event_log"))
            net = getattr(self, "network", None)
            size += sum(
                getattr(getattr(net, part, None), "nbytes", 0) for part in ("data", "indices", "indptr")
            )
            self.remove_all_agents()
            for name in RELEASED:
                self.__dict__.pop(name, None)
        return size

    # ------------------------------------------------------------------------------------------
    def _page_collector(self) -> mesa.DataCollector:
        """The model's DataCollector with the series the page plots added (per firm, by name)."""
        reporters = dict(self.datacollector.model_reporters)
        for f in self.firms:
            i, name = f.index, f.name
            reporters[f"share|{name}"] = partial(
                _rolling_share, firm=i, key="units_ordered", window=SHARE_WINDOW
            )
            for g in GENERATIONS:
                reporters[f"gshare|{name}|{g}"] = partial(
                    _rolling_share, firm=i, key=f"orders_{g}", window=GENERATION_WINDOW
                )
            for key in ("on_hand", "backorders", "wip"):
                reporters[f"{key}|{name}"] = partial(_row_value, firm=i, key=key)
            reporters[f"profit_to_date|{name}"] = partial(_to_date, firm=i, key="profit")
            for key in SOCIAL_SERIES:  # boycotts and reputation (none before the first day)
                reporters[f"{key}|{name}"] = partial(_day_figure, key=f"{key}:{name}")
        return _PageCollector(model_reporters=reporters)

    def sync_history(self) -> None:
        """Append the days recorded in ``rows`` since the last call to :attr:`history`."""
        nf = len(self.firms)
        while self.history.n < len(self.rows) // nf:
            self._record_history(self.rows[self.history.n * nf : (self.history.n + 1) * nf])

    def _record_history(self, rows: list[dict[str, Any]]) -> None:
        values = {k: np.array([float(r[k]) for r in rows]) for k in FIRM_SERIES}
        for g in GENERATIONS:
            values[f"orders_{g}"] = np.array([float(r.get(f"orders_{g}", 0)) for r in rows])
        for key in SOCIAL_SERIES:
            # boycotts and perceived reputation come with the consumer model's social side
            vals = [self.collected.get(f"{key}:{f.name}") for f in self.firms]
            if all(v is not None for v in vals):
                values[key] = np.array(vals, dtype=float)
        self.history.append(values)

    def boycotting(self) -> np.ndarray:
        """Per consumer: boycotting any firm (all False if the model has no boycotts)."""
        b = getattr(self.population, "boycott", None)
        if b is None or b.size == 0:
            return np.zeros(self.population.n, dtype=bool)
        return np.asarray(b).any(axis=1)

    def _network_space(self) -> Network:
        rows, edges = self.network_sample()
        g = nx.Graph()
        g.add_nodes_from(range(len(rows)))
        g.add_edges_from(edges.tolist())
        space = Network(g, random=self.random, layout=None)  # the view lays out the sample itself
        for node, row in enumerate(rows.tolist()):
            agent = SampledConsumer(self, row)
            agent.cell = space[node]
        return space

    def network_sample(self) -> tuple[np.ndarray, np.ndarray]:
        """A connected sample of consumers and its links.

        Grows the sample breadth-first from random consumers until :data:`NETWORK_SAMPLE` are in,
        so the picture shows neighbourhoods rather than isolated dots; computed once per model.

        Returns:
            ``(rows, edges)``: consumer rows, and links as pairs of positions in ``rows``.
        """
        if self._sample is not None:
            return self._sample
        rng = self.streams.get("viz:network-sample")
        adj = self.network.tocsr()
        n = adj.shape[0]
        target = min(NETWORK_SAMPLE, n)
        chosen: dict[int, None] = {}  # insertion-ordered set
        order = rng.permutation(n)
        starts = iter(order)
        while len(chosen) < target:
            start = int(next(starts))
            if start in chosen:
                continue
            frontier = [start]
            chosen[start] = None
            while frontier and len(chosen) < target:
                nxt: list[int] = []
                for node in frontier:
                    nbrs = adj.indices[adj.indptr[node] : adj.indptr[node + 1]]
                    for nb in rng.permutation(nbrs):
                        if len(chosen) >= target:
                            break
                        if int(nb) not in chosen:
                            chosen[int(nb)] = None
                            nxt.append(int(nb))
                frontier = nxt
        rows = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
        sub = adj[rows][:, rows].tocoo()
        keep = sub.row < sub.col
        edges = np.column_stack([sub.row[keep], sub.col[keep]]).astype(np.int64)
        self._sample = (rows, edges)
        return self._sample
