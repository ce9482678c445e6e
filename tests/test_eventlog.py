"""The consumer event log: exact rows, daily counts, chunked growth, and the model's feed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator.cli import app
from simulator.market.eventlog import EventKind, EventLog
from simulator.model import MarketModel
from tests.conftest import SCENARIOS, tiny_scenario

runner = CliRunner()


def test_rows_are_recorded_exactly() -> None:
    log = EventLog(2, chunk_rows=3)
    log.record(EventKind.PURCHASE, 0, np.array([5, 7]), 1, np.array([100.0, 101.0]))
    log.record(EventKind.POST_NEGATIVE, 1, np.array([7, 8, 9]), np.array([0, 1, 1]))
    log.record(EventKind.WENT_WITHOUT, 1, np.array([3]), -1)
    log.record(EventKind.PURCHASE, 2, np.array([], dtype=np.int64), 0)
    df = log.to_frame()
    assert len(log) == 6 and len(df) == 6
    assert df["day"].tolist() == [0, 0, 1, 1, 1, 1]
    assert df["kind"].astype(str).tolist() == ["PURCHASE"] * 2 + ["POST_NEGATIVE"] * 3 + ["WENT_WITHOUT"]
    assert df["consumer"].tolist() == [5, 7, 7, 8, 9, 3]
    assert df["firm"].tolist() == [1, 1, 0, 1, 1, -1]
    assert df["value"].iloc[:2].tolist() == [100.0, 101.0]
    assert df["value"].iloc[2:].isna().all()
    assert log.daily_counts(EventKind.POST_NEGATIVE, 1, 0, 2).tolist() == [0, 2, 0]
    assert log.daily_counts(EventKind.POST_NEGATIVE, None, 1, 1).tolist() == [3]
    assert log.daily_counts(EventKind.WENT_WITHOUT, -1, -2, 1).tolist() == [0, 0, 0, 1]
    assert log.daily_counts(EventKind.PURCHASE, 1, 3, 2).tolist() == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 12), st.integers(-1, 2), st.integers(0, 9)),
        max_size=40,
    )
)
def test_daily_counts_agree_with_the_rows(batches: list[tuple[int, int, int, int]]) -> None:
    log = EventLog(3, chunk_rows=7)
    for day, kind, firm, k in batches:
        log.record(kind, day, np.arange(k), firm)
    df = log.to_frame()
    assert len(df) == sum(b[3] for b in batches)
    for kind in (0, 5, 12):
        for firm in (-1, 0, 2, None):
            got = log.daily_counts(kind, firm, 0, 210)
            sel = df[
                (df["kind"].cat.codes == kind) & ((df["firm"] == firm) if firm is not None else True)
            ]
            want = np.bincount(sel["day"].to_numpy(), minlength=211)[:211]
            np.testing.assert_array_equal(got, want)


def test_counts_only_log_refuses_rows() -> None:
    log = EventLog(1, keep_rows=False)
    log.record(EventKind.PURCHASE, 3, np.arange(4), 0)
    assert log.daily_counts(EventKind.PURCHASE, 0, 3, 3).tolist() == [4]
    with pytest.raises(RuntimeError, match="counts only"):
        log.to_frame()


def test_model_log_matches_the_order_books() -> None:
    m = MarketModel(tiny_scenario(), seed=4)
    m.run(20)
    log = m.event_log
    for f in m.firms:
        placed = f.orders.placed
        regular = ~m.support_order_mask(f)
        booked = np.bincount(placed[regular].astype(int), minlength=20)[:20]
        np.testing.assert_array_equal(log.daily_counts(EventKind.PURCHASE, f.index, 0, 19), booked)
        got = log.daily_counts(EventKind.DELIVERY, f.index, 0, 19).sum()
        d = f.orders.delivered
        assert got == int(((d > -1) & (d <= 19)).sum())


def test_run_writes_events_parquet_only_when_asked(tmp_path: Path) -> None:
    scenario = str(SCENARIOS / "small.toml")
    plain, logged = tmp_path / "plain", tmp_path / "logged"
    for out, extra in ((plain, []), (logged, ["--events"])):
        res = runner.invoke(app, ["run", scenario, "--days", "25", "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
    assert not (plain / "events.parquet").exists()
    ev = pd.read_parquet(logged / "events.parquet")
    assert list(ev.columns) == ["day", "kind", "consumer", "firm", "firm_index", "value"]
    assert set(ev["kind"].astype(str)) >= {"PURCHASE", "DELIVERY", "WENT_WITHOUT"}
    assert ev["day"].between(0, 24).all()
    ts = pd.read_parquet(logged / "timeseries.parquet")
    purchases = ev[ev["kind"].astype(str).isin(["PURCHASE", "SUPPORT_PURCHASE"])]
    assert len(purchases) == int(ts["orders"].sum())


def test_bad_edge_list_at_run_time_exits_2(tmp_path: Path) -> None:
    links = tmp_path / "links.txt"
    links.write_text("0 1\n0 99999\n")
    s = tmp_path / "s.toml"
    s.write_text(
        f'[population]\nsize = 50\n[network]\nkind = "edge_list"\npath = "{links}"\n'
        '[[firms]]\nname = "A"\n'
    )
    res = runner.invoke(app, ["run", str(s), "--days", "40", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert f"{links}: line 2: row 99999 is outside the population" in res.output
    assert "Traceback" not in res.output
