"""The command line: exit codes, the run folder and its keys, bundled scenarios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.scenario import load_scenario
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()
FIRM_KEYS = {
    "profit",
    "revenue",
    "units_sold",
    "fill_rate",
    "otif",
    "mean_lead_time_days",
    "market_share",
    "market_share_by_generation",
    "mean_inventory",
    "backorders_end",
    "bullwhip_ratio",
}
BUNDLED = sorted(SCENARIOS.glob("*.toml"))


def test_run_writes_the_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["run", str(SCENARIOS / "small.toml"), "--days", "30", "--seed", "5", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {
        "manifest.json",
        "timeseries.parquet",
        "summary.json",
        "market.parquet",
    }
    assert not list(out.glob(".*tmp"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["market"]["consumers"] == 2000 and summary["market"]["days"] == 30
    assert "no_purchase_share" in summary["market"]
    for kpis in summary["firms"].values():
        assert FIRM_KEYS <= set(kpis)
        assert set(kpis["market_share_by_generation"]) == {
            "silent",
            "boomers",
            "gen_x",
            "millennials",
            "gen_z",
        }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["days"] == 30
    assert manifest["scenario"]["population"]["size"] == 2000
    assert {"mesa", "simpy", "numpy", "python"} <= set(manifest["packages"])
    assert manifest["started"] <= manifest["finished"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 30 * 2 and {"day", "firm", "profit", "on_hand"} <= set(ts.columns)
    assert "Run folder:" in res.output and "profit" in res.output


def test_run_refuses_to_overwrite_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(SCENARIOS / "small.toml"), "--days", "25", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    before = (out / "summary.json").read_bytes()
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "already holds a run" in res.output
    assert (out / "summary.json").read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["run", "missing.toml"],
        ["run", "scenarios/small.toml", "--days", "0"],
        ["run", "scenarios/small.toml", "--seed", "x"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output


def test_python_dash_m_and_exit_code_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[firms]]\nname = 'A'\nprice = -5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert f"{bad}: firms.0.price: Input should be greater than 0" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenario_checks_and_runs(path: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    days = load_scenario(path).run.warmup_days + 10  # a few days past the warm-up
    res = runner.invoke(app, ["run", str(path), "--days", str(days), "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.html").exists()


def test_run_draws_the_boycott_of_a_scandal_firm(tmp_path: Path) -> None:
    scenario = tmp_path / "scandal.toml"
    scenario.write_text(
        (SCENARIOS / "small.toml").read_text()
        + '\n[[events]]\nkind = "scandal"\nday = 5\nfirm = "PushCo"\nmagnitude = 0.4\n'
    )
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(scenario), "--days", "25", "--out", str(out)])
    assert res.exit_code == 0, res.output
    png = out / "figures" / "boycott_PushCo.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert f"Figure: {png}" in res.output
    assert not (out / "figures" / "boycott_PullCo.png").exists()
