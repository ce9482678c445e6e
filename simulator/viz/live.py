"""The market as the browser view drives it: built from the page's controls, stepped one day at a time.

Picture the simulator on a bench with its covers off: an operator turns knobs, presses Reset to
rebuild the market with the new settings and watches the gauges. :class:`LiveMarket` is that bench
version of :class:`~simulator.model.MarketModel`:

- it is built from keyword arguments only (the page's controls, :mod:`simulator.viz.controls`), so
  Mesa's SolaraViz can rebuild it on Reset with ``type(model)(**parameters)``;
- it never lets an exception escape to the page: a setting that breaks a scenario rule falls back to
  the chosen scenario with a note, and a day that fails stops the model with a message (Solara would
  otherwise replace the whole page with a traceback);
- it keeps the gauges' history as growing numpy arrays (:class:`DailyTable`), written before the day
  count is published, so a page drawing while the Play thread steps always reads whole days.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from typing import Any

import networkx as nx
import numpy as np

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

_uids = itertools.count(1)


class DailyTable:
    """Day-by-day values of named per-firm series, stored in arrays that double when full.

    Args:
        n_firms: width of every series.
    """

    def __init__(self, n_firms: int) -> None:
        self.n_firms = n_firms
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}

    def append(self, values: dict[str, np.ndarray]) -> None:
        """Add one day; readers see it only once every series holds it."""
        n = self.n
        for key, v in values.items():
            col = self._cols.get(key)
            if col is None:
                col = self._cols[key] = np.full((max(64, n + 1), self.n_firms), np.nan)
            elif len(col) <= n:
                grown = np.full((2 * len(col), self.n_firms), np.nan)
                grown[: len(col)] = col
                self._cols[key] = col = grown
            col[n] = v
        self.n = n + 1  # publish the day last

    def get(self, key: str, n: int | None = None) -> np.ndarray:
        """The first ``n`` days (default: all) of ``key``, shape ``(days, firms)``; NaN if never set."""
        n = self.n if n is None else n
        col = self._cols.get(key)
        if col is None:
            return np.full((n, self.n_firms), np.nan)
        return col[:n]

    def keys(self) -> tuple[str, ...]:
        """The series recorded so far (a snapshot: the Play thread may add one meanwhile)."""
        return tuple(self._cols)

    def __contains__(self, key: str) -> bool:
        return key in self._cols


class LiveMarket(MarketModel):
    """A :class:`MarketModel` built from the page's controls, safe to step from a web page.

    Args:
        base: the scenario the page started from (Mesa passes it back as a fixed parameter).
        controls: control key -> value (see :func:`simulator.viz.controls.controls_for`); keys left
            out keep ``base``'s values. Mesa's Reset also passes ``scenario`` (its own, empty,
            experiment object), which is ignored.

    Raises:
        TypeError: for a keyword that is no control of ``base`` (a programming error, not input).
    """

    def __init__(self, *, base: Scenario, **controls: Any) -> None:
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
        self.uid = next(_uids)
        """Unique per model (unlike ``id()``, never reused): the key of every cached drawing."""
        self.error: str | None = None
        """Why the model stopped, if a day failed."""
        self.last_step_seconds = 0.0
        self.history = DailyTable(len(self.firms))
        self._lock = threading.Lock()
        self._sample: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.draw_seconds: dict[str, float] = {}
        """How long the page took to draw each plot last time (it paces the redrawing)."""

    def step(self) -> None:
        """Simulate one day; on failure stop (``running = False``) and keep the reason in ``error``."""
        if self.error is not None:
            self.running = False
            return
        with self._lock:  # the Play thread and a Step click must not run one day twice at once
            t0 = time.perf_counter()
            try:
                super().step()
                self._record_history()
            except Exception as e:
                self.error = f"day {self.day}: {type(e).__name__}: {e}"
                self.running = False
                traceback.print_exc(file=sys.stderr)  # the server log keeps the details
            self.last_step_seconds = time.perf_counter() - t0

    def _record_history(self) -> None:
        rows = self.rows[-len(self.firms) :]
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

    def network_sample(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A connected sample of consumers, its links and a layout of the sample alone.

        Grows the sample breadth-first from random consumers until :data:`NETWORK_SAMPLE` are in,
        so the picture shows neighbourhoods rather than isolated dots; computed once per model.

        Returns:
            ``(rows, edges, xy)``: consumer rows, links as pairs of positions in ``rows``, and one
            ``(x, y)`` per sampled consumer.
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
        g = nx.Graph()
        g.add_nodes_from(range(len(rows)))
        g.add_edges_from(edges.tolist())
        pos = nx.spring_layout(g, seed=int(rng.integers(2**31)), iterations=50)
        xy = np.array([pos[i] for i in range(len(rows))], dtype=float).reshape(-1, 2)
        self._sample = (rows, edges, xy)
        return self._sample
