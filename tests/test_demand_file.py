"""Demand files and generated demand: every bad row is named, exit 2; generators have their laws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.demand import DemandError, generate_daily, load_demand_csv, units_per_day
from simulator.rng import Streams
from tests.conftest import SCENARIOS

runner = CliRunner()
FACTORY = str(SCENARIOS / "factory.toml")


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "d.csv"
    f.write_text(text)
    return f


def test_bundled_demand_file_reads() -> None:
    t = load_demand_csv(SCENARIOS / "demand_example.csv")
    assert list(t.columns) == ["day", "time", "variant", "quantity", "patience_days"]
    assert (t["time"] == t["day"]).all()  # dates without a time of day: orders at the day's start
    assert t["day"].min() == 0 and (t["quantity"] > 0).all()
    assert np.isinf(t["patience_days"]).mean() > 0.5
    assert units_per_day(t, 3).tolist() == [int(t[t["day"] == d]["quantity"].sum()) for d in range(3)]


def test_days_or_dates_and_variant_names(tmp_path: Path) -> None:
    t = load_demand_csv(
        write(tmp_path, "day,quantity,variant\n3,5,custom\n0,2,standard\n1,0,0\n"),
        ("standard", "custom"),
    )
    assert t.to_dict("list") == {
        "day": [0, 3],
        "time": [0.0, 3.0],
        "variant": [0, 1],
        "quantity": [2, 5],
        "patience_days": [np.inf, np.inf],
    }
    t = load_demand_csv(write(tmp_path, "date,quantity\n2025-03-02,4\n2025-02-27,1\n"))
    assert t["day"].tolist() == [0, 3]  # days from the first date: 27 Feb -> 2 Mar 2025


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("date,variant\n2025-01-01,standard\n", "row 1", "missing column quantity"),
        ("quantity\n4\n", "row 1", "missing column date or day"),
        ("date,quantity,colour\n2025-01-01,3,red\n", "row 1", "unknown column 'colour'"),
        ("date,quantity\n2025-01-01,3\n2025-01-02,-3\n", "row 3.quantity", "must be >= 0, got -3"),
        ("date,quantity\n2025-01-01,3\n2025-13-02,3\n", "row 3.date", "is not a date"),
        ("date,quantity\nyesterday,3\n", "row 2.date", "'yesterday' is not a date"),
        ("day,quantity\nsoon,3\n", "row 2.day", "'soon' is not a number of days"),
        ("date,day,quantity\n2025-01-01,1,3\n", "row 1", "give one of the columns date and day"),
        ("timestamp,quantity\n2025-01-01 25:00,3\n", "row 2.timestamp", "is not a date"),
        ("day,quantity\n-1,3\n", "row 2.day", "must be >= 0"),
        ("day,quantity\n1,three\n", "row 2.quantity", "'three' is not a whole number"),
        ("day,quantity\n1,3\n2\n", "row 3", "expected 2 columns, found 1"),
        ("day,quantity\n1,\n", "row 2.quantity", "missing value"),
        ("day,quantity,variant\n1,3,deluxe\n", "row 2.variant", "unknown variant 'deluxe'"),
        ("day,quantity,patience_days\n1,3,-2\n", "row 2.patience_days", "is not a number >= 0"),
        ("", "row 1", "empty file"),
        ("day,quantity\n", "", "no demand rows"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, text: str, where: str, words: str) -> None:
    f = write(tmp_path, text)
    with pytest.raises(DemandError) as e:
        load_demand_csv(f)
    line = e.value.lines()[0]
    assert line.startswith(f"{f}: {where}: " if where else f"{f}: "), line
    assert words in line


def test_times_within_a_day_from_fractions_and_time_stamps(tmp_path: Path) -> None:
    t = load_demand_csv(write(tmp_path, "day,quantity\n2.75,1\n0,2\n2.25,4\n"))
    assert t[["day", "time", "quantity"]].values.tolist() == [[0, 0.0, 2], [2, 2.25, 4], [2, 2.75, 1]]
    t = load_demand_csv(
        write(tmp_path, "timestamp,quantity\n2025-03-02 18:00,1\n2025-03-01T06:00:00,2\n")
    )
    # day 0 is the first date's midnight: 6 a.m. on 1 March is 0.25, 6 p.m. on 2 March is 1.75
    assert t["time"].tolist() == [0.25, 1.75] and t["day"].tolist() == [0, 1]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_a_spreadsheet_export_with_another_separator_reads(tmp_path: Path, sep: str) -> None:
    """A spreadsheet in a decimal-comma country writes ``;`` and ``2,5``; the separator is sniffed."""
    rows = ["date;variant;quantity;patience_days", "2025-01-06;custom;3;2,5", "2025-01-07;standard;1;"]
    f = write(tmp_path, "\n".join(r.replace(";", sep) for r in rows) + "\n")
    t = load_demand_csv(f, ("standard", "custom"))
    assert t["quantity"].tolist() == [3, 1] and t["variant"].tolist() == [1, 0]
    assert t["patience_days"].tolist() == [2.5, np.inf]


def test_a_bad_row_in_a_semicolon_file_is_named(tmp_path: Path) -> None:
    f = write(tmp_path, "day;quantity\n1;3\n2;x\n")
    with pytest.raises(DemandError) as e:
        load_demand_csv(f)
    assert e.value.lines() == [f"{f}: row 3.quantity: 'x' is not a whole number"]


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    f = write(tmp_path, "date,quantity\n2025-01-01,-1\n2025-01-02,2\nnope,3\n2025-01-04,x\n")
    with pytest.raises(DemandError) as e:
        load_demand_csv(f)
    assert [p for p, _ in e.value.problems] == ["row 2.quantity", "row 4.date", "row 5.quantity"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("date,variant\n2025-01-01,standard\n", "row 1"),
        ("date,quantity\n2025-01-01,3\n2025-01-02,-3\n", "row 3.quantity"),
        ("date,quantity\n2025-01-01,3\n01/02/2025,3\n", "row 3.date"),
    ],
)
def test_cli_rejects_bad_demand_with_exit_2(tmp_path: Path, text: str, where: str) -> None:
    f = write(tmp_path, text)
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["factory", FACTORY, "--firm", "Workshop", "--demand", str(f), "--out", str(out)]
    )
    assert res.exit_code == 2
    assert f"{f}: {where}: " in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--firm", "Nobody", "--generate", "poisson"],
        ["--firm", "Workshop"],
        ["--firm", "Workshop", "--generate", "poisson", "--demand", "x.csv"],
        ["--firm", "Workshop", "--generate", "chaos"],
        ["--firm", "Workshop", "--generate", "ar1", "--phi", "1.5"],
        ["--firm", "Workshop", "--generate", "poisson", "--arrivals", "hourly"],
        ["--firm", "Workshop", "--demand", "missing.csv"],
    ],
)
def test_cli_bad_arguments_exit_2(args: list[str], tmp_path: Path) -> None:
    res = runner.invoke(app, ["factory", FACTORY, *args, "--out", str(tmp_path / "r")])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_cli_factory_run_writes_the_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    demand = str(SCENARIOS / "demand_example.csv")
    args = [
        "factory",
        FACTORY,
        "--firm",
        "Workshop",
        "--demand",
        demand,
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert {"manifest.json", "timeseries.parquet", "summary.json", "market.parquet"} <= {
        p.name for p in out.iterdir()
    }
    summary = json.loads((out / "summary.json").read_text())
    k = summary["firms"]["Workshop"]
    for key in (
        "fill_rate",
        "cycle_service_level",
        "otif",
        "mean_lead_time_days",
        "lead_time_p95_days",
        "mean_wip",
        "throughput_per_day",
        "utilisation",
        "bullwhip_ratio",
        "inventory_turns",
        "costs",
    ):
        assert key in k
    assert set(k["utilisation"]) == {"fabrication", "assembly", "packing"}
    assert 0 < k["fill_rate"] <= 1 and 0 < k["utilisation"]["fabrication"] < 1
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 120 and {"wip", "completed", "scrapped", "marketing_cost"} <= set(ts.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "factory" and manifest["firm"] == "Workshop"
    assert runner.invoke(app, args).exit_code == 2  # never overwrites a run


@pytest.mark.parametrize("kind", ["normal", "poisson", "ar1", "seasonal"])
def test_generators_have_their_means(kind: str) -> None:
    x = generate_daily(kind, 20_000, Streams(1).get("demand"), mean=50.0, sd=5.0, phi=0.6, period=100)  # type: ignore[arg-type]
    assert x.dtype == np.int64 and (x >= 0).all()
    assert x.mean() == pytest.approx(50.0, rel=0.01)


def test_generator_laws() -> None:
    rng = Streams(2).get("demand")
    ar = generate_daily("ar1", 50_000, rng, mean=100.0, sd=10.0, phi=0.7).astype(float)
    lag1 = np.corrcoef(ar[:-1], ar[1:])[0, 1]
    assert lag1 == pytest.approx(0.7, abs=0.02)
    assert ar.std() == pytest.approx(10.0 / np.sqrt(1 - 0.49), rel=0.03)
    po = generate_daily("poisson", 50_000, rng, mean=30.0)
    assert po.var() == pytest.approx(30.0, rel=0.05)
    se = generate_daily("seasonal", 3650, rng, mean=100.0, amplitude=0.5, period=365)
    peak, trough = se[60:120].mean(), se[240:300].mean()
    assert peak > 140 and trough < 60
    with pytest.raises(ValueError, match="phi"):
        generate_daily("ar1", 10, rng, phi=1.0)


def test_continuous_arrivals_spread_each_days_units_within_the_day() -> None:
    """The same daily counts as daily arrivals, one order per unit at a uniform time in its day: with
    Poisson counts a Poisson process (gaps exponential: mean 1 / rate, coefficient of variation 1)."""
    from simulator.demand import unit_orders

    rate, days = 6.0, 4000
    units = generate_daily("poisson", days, Streams(5).get("demand"), mean=rate)
    daily = unit_orders(units)
    spread = unit_orders(units, Streams(5).get("demand:times"))
    assert (daily["time"] == daily["day"]).all()
    assert units_per_day(spread, days).tolist() == units.tolist()
    assert ((spread["time"] >= spread["day"]) & (spread["time"] < spread["day"] + 1)).all()
    gaps = np.diff(spread["time"].to_numpy())
    assert gaps.mean() == pytest.approx(1 / rate, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.03)
