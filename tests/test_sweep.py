"""Sweep files: validation with field paths, designs, and a sweep that survives SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.design import load_experiment
from simulator.scenario import ScenarioError
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()

GOOD = """
name = "t"
scenario = "{scen}"
firm = "PullCo"
policies = ["supplier_centric", "demand_centric"]
replications = {reps}
seed = 4
days = {days}
warmup_days = 10
[design]
kind = "grid"
points = {points}
[[parameters]]
path = "population.value_intensity"
low = 0.0
high = 2.0
"""


def _write(tmp_path: Path, text: str, size: int = 400) -> Path:
    scen = tmp_path / "scen.toml"
    scen.write_text((SCENARIOS / "small.toml").read_text().replace("size = 2000", f"size = {size}"))
    f = tmp_path / "sweep.toml"
    f.write_text(text.replace("{scen}", str(scen)))
    return f


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("replications = 3", "replicatons = 3"), "replicatons: unknown key"),
        (
            ('path = "population.value_intensity"', 'path = "population.value_intensty"'),
            "parameters.0.path",
        ),
        (("high = 2.0", "high = 9.0"), "parameters.0.high: population.value_intensity"),
        (("low = 0.0", "low = 3.0"), "parameters.0: low (3.0) must be < high"),
        (('"demand_centric"]', '"demand_centrc"]'), "policies.1.policy.name: unknown policy"),
        (
            ('kind = "grid"', 'kind = "sobol"\n'),
            "design.points: Sobol's base sample must be a power of 2",
        ),
        (('firm = "PullCo"', 'firm = "Nobody"'), "firm: no firm named 'Nobody'"),
        (("days = 40", "days = 5"), "warmup_days: warmup_days (10) must be < days (5)"),
    ],
)
def test_malformed_sweep_file_exits_2_with_the_field_path(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    text = GOOD.format(scen="{scen}", reps=3, days=40, points=3)
    assert change[0] in text
    f = _write(tmp_path, text.replace(*change))
    res = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"{f}: " in res.output and where in res.output, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_not_toml_and_missing_scenario_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    res = runner.invoke(app, ["sweep", str(bad)])
    assert res.exit_code == 2 and "not valid TOML" in res.output
    f = _write(tmp_path, GOOD.format(scen="/nowhere/x.toml", reps=3, days=40, points=3))
    res = runner.invoke(app, ["sweep", str(f)])
    assert res.exit_code == 2 and "scenario: /nowhere/x.toml: file not found" in res.output


def test_designs_place_points_as_asked(tmp_path: Path) -> None:
    text = GOOD.format(scen="{scen}", reps=2, days=40, points=3) + (
        '[[parameters]]\npath = "population.mix.gen_z"\nvalues = [0.1, 0.4]\n'
    )
    exp = load_experiment(_write(tmp_path, text))
    assert [p.values for p in exp.points][:2] == [
        {"population.value_intensity": 0.0, "population.mix.gen_z": 0.1},
        {"population.value_intensity": 0.0, "population.mix.gen_z": 0.4},
    ]
    assert len(exp.points) == 6
    # The other generations are rescaled so the mix still sums to one.
    s = exp.scenario_for(exp.points[1], exp.spec.policies[0])
    assert s.population.mix.gen_z == 0.4 and sum(s.population.mix.as_tuple()) == pytest.approx(1.0)
    lhs = load_experiment(_write(tmp_path, GOOD.format(scen="{scen}", reps=2, days=40, points=6).replace(
        'kind = "grid"', 'kind = "lhs"')))  # fmt: skip
    xs = sorted(p.values["population.value_intensity"] for p in lhs.points)
    # A Latin hypercube puts exactly one point in each sixth of the range.
    assert [int(x / (2.0 / 6)) for x in xs] == list(range(6))
    sob = load_experiment(_write(tmp_path, GOOD.format(scen="{scen}", reps=2, days=40, points=4).replace(
        'kind = "grid"', 'kind = "sobol"')))  # fmt: skip
    assert len(sob.points) == 4 * (1 + 2)
    with pytest.raises(ScenarioError):
        load_experiment(_write(tmp_path, text.replace("[0.1, 0.4]", "[0.1, 1.4]")))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator", *args]


def test_a_sweep_killed_with_sigkill_resumes_to_the_same_index(tmp_path: Path) -> None:
    f = _write(tmp_path, GOOD.format(scen="{scen}", reps=3, days=40, points=3), size=400)
    full, broken = tmp_path / "full", tmp_path / "broken"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # The uninterrupted reference runs in this process, one run after another.
    reference = runner.invoke(
        app, ["sweep", str(f), "--out", str(full), "--executor", "sequential", "--no-report"]
    )
    assert reference.exit_code == 0, reference.output

    proc = subprocess.Popen(
        _cli("sweep", str(f), "--out", str(broken), "--workers", "1", "--no-report"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    runs = broken / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs.glob("*.parquet"))) < 4:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:  # the pool's worker processes lose their parent; make sure none lingers
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    finished = len(list(runs.glob("*.parquet")))
    assert 4 <= finished < 18, finished
    assert not (broken / "index.parquet").exists()

    resume = _cli("sweep", str(f), "--out", str(broken), "--resume", "--workers", "1", "--no-report")
    res = subprocess.run(resume, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"{finished} resumed" in res.stdout
    pd.testing.assert_frame_equal(
        pd.read_parquet(full / "index.parquet"), pd.read_parquet(broken / "index.parquet")
    )
    assert sorted(p.name for p in runs.iterdir()) == sorted(p.name for p in (full / "runs").iterdir())

    # Without --resume an existing folder is refused; a different sweep in it is refused too.
    again = runner.invoke(app, ["sweep", str(f), "--out", str(broken)])
    assert again.exit_code == 2 and "--resume" in again.output
    f.write_text(f.read_text().replace("seed = 4", "seed = 5"))
    other = runner.invoke(app, ["sweep", str(f), "--out", str(broken), "--resume"])
    assert other.exit_code == 2 and "different experiment" in other.output
