"""Reports: a self-contained HTML page and a Markdown file with the figures a sweep calls for."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.analysis import load, sobol_indices
from tests.conftest import SCENARIOS

runner = CliRunner()


def _sweep(tmp_path: Path, design: str, params: str, reps: int = 2) -> Path:
    scen = tmp_path / "scen.toml"
    scen.write_text((SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 300"))
    f = tmp_path / "sweep.toml"
    f.write_text(
        f'name = "r"\nscenario = "{scen}"\nfirm = "PullCo"\n'
        'policies = ["supplier_centric", "demand_centric"]\n'
        f"replications = {reps}\nseed = 8\ndays = 30\nwarmup_days = 5\n[design]\n{design}\n{params}"
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--executor", "sequential"])
    assert res.exit_code == 0, res.output
    return out


def test_grid_report_is_self_contained_with_heatmap(tmp_path: Path) -> None:
    params = (
        '[[parameters]]\npath = "population.value_intensity"\nvalues = [0.0, 2.0]\n'
        '[[parameters]]\npath = "firms.1.price"\nvalues = [100.0, 115.0]\n'
    )
    out = _sweep(tmp_path, 'kind = "grid"', params)
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    # Every figure is embedded; nothing is fetched from elsewhere.
    assert html.count("data:image/png;base64,") == len(re.findall(r"!\[", md))
    assert not re.search(r'src="(?!data:)', html)
    for name in ("heatmap.png", "response.png", "welch.png", "timeseries_p0000.png"):
        assert (out / "figures" / name).stat().st_size > 5000
        assert f"figures/{name}" in md
    assert "firms.1.price" in md
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and "report.html" in again.output


def test_sobol_sweep_reports_indices_with_intervals(tmp_path: Path) -> None:
    params = (
        '[[parameters]]\npath = "population.value_intensity"\nlow = 0.0\nhigh = 3.0\n'
        '[[parameters]]\npath = "firms.1.price"\nlow = 95.0\nhigh = 125.0\n'
    )
    out = _sweep(tmp_path, 'kind = "sobol"\npoints = 2', params)
    table = sobol_indices(load(out))
    assert table is not None
    assert set(table["parameter"]) == {"population.value_intensity", "firms.1.price"}
    assert (table["S1_conf"] >= 0).all() and (table["ST_conf"] >= 0).all()
    assert set(table["output"]) == {
        "profit (supplier_centric)",
        "profit (demand_centric)",
        "profit (demand_centric - supplier_centric)",
    }
    assert (out / "figures" / "sobol.png").exists()
    assert "Sobol" in (out / "report.md").read_text()


def test_report_of_a_folder_that_is_not_an_experiment_exits_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "manifest.json" in res.output
