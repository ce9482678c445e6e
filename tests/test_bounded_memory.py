"""Bounded memory over time: day rows paged to disk and settled orders compacted, outputs unchanged.

The model's day rows, the Mesa collector and the decision logs go through :class:`DayTable`; the
firms' settled orders leave memory through :meth:`OrderBook.compact`. These tests force both to
happen early (tiny pages, a low compaction threshold) and check that everything read back, the
KPIs, the lead-time columns and the conservation laws are exactly what a run without them gives.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from simulator.daytable import DayTable
from simulator.experiments.run import run_once
from simulator.firms import orders as orders_module
from simulator.firms.invariants import check_firm
from simulator.model import MarketModel
from simulator.scenario import load_scenario
from tests.conftest import SCENARIOS


def _small(days: int):
    return load_scenario(SCENARIOS / "small.toml").shortened(days)[0]


def test_daytable_reads_back_exactly_what_was_appended() -> None:
    rows = [
        {"day": d, "firm": f"F{d % 2}", "x": d * 0.5, "n": d * 3, "ok": d % 3 == 0, "nan": np.nan}
        for d in range(23)
    ]
    rows[7]["extra"] = 1  # a key only one row has: NaN elsewhere, as pandas builds it
    t = DayTable(page_rows=4)
    for r in rows:
        t.append(r)
    assert len(t) == 23 and len(t._chunks) == 5  # five pages on disk, three rows in memory
    pd.testing.assert_frame_equal(t.to_frame(), pd.DataFrame(rows), check_exact=True)
    assert t[-1] == rows[-1] and t[22] == rows[22]
    assert t[1]["x"] == 0.5 and t[1]["firm"] == "F1" and t[1]["n"] == 3
    assert [r["day"] for r in t[3:9]] == list(range(3, 9))
    assert [r["day"] for r in t] == list(range(23))
    with pytest.raises(IndexError):
        t[23]
    copy = pickle.loads(pickle.dumps(t))
    pd.testing.assert_frame_equal(copy.to_frame(), t.to_frame(), check_exact=True)
    folder = t._dir
    assert folder is not None and folder.exists()
    t.close()
    assert not folder.exists() and len(t) == 0


def test_compacted_run_gives_the_same_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compaction from a few hundred orders on: the run's tables and KPIs are unchanged."""
    spec = _small(200)
    plain = run_once(spec)
    monkeypatch.setattr(orders_module, "COMPACT_MIN_ROWS", 256)
    compacted = run_once(spec)  # the daily and final conservation checks run inside
    pd.testing.assert_frame_equal(compacted.timeseries, plain.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(compacted.decisions, plain.decisions, check_exact=True)
    assert compacted.summary == plain.summary


def test_compaction_keeps_memory_bounded_and_the_laws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(orders_module, "COMPACT_MIN_ROWS", 256)
    m = MarketModel(_small(300))
    m.run(300)
    for f in m.firms:
        o = f.orders
        assert o.base > 0 and o.compacted.n == o.base  # most orders left memory
        assert o.n - o.base < 4 * 256 + 200  # what stays: recent and open orders
        full = o.history()
        assert full.n == o.n and len(full.placed) == o.n
        assert np.all(np.diff(full.placed) >= 0)  # the spilled rows come back in booking order
        # the order feed counts every order by day, moved or not
        days = np.floor(full.placed).astype(np.int64)
        np.testing.assert_array_equal(o.day_counts("placed"), np.bincount(days))
        check_firm(f, full=True)  # the audit starts from the compacted totals
