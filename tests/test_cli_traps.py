"""The small traps a new user fell into, one test each: warm-up longer than the run, ``--events``
as a flag, ``--version``, ``why`` in words and for days outside the run, firm names in the event
log, bundled scenarios by name (installed with the package), sweep parameters by firm name, fast
failure on a bad path, and the sweep demo's stated duration."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator import bundled
from simulator.cli import app
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    res = runner.invoke(
        app, ["run", "small", "--days", "30", "--events", "--no-report", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    return out


def test_warmup_not_shorter_than_the_run_is_an_error_everywhere(tmp_path: Path) -> None:
    run = runner.invoke(app, ["run", str(SCENARIOS / "small.toml"), "--days", "20"])
    assert run.exit_code == 2
    assert "--days 20: not longer than the warm-up (20 days" in run.output
    fac = runner.invoke(
        app,
        ["factory", str(SCENARIOS / "factory.toml"), "--firm", "Workshop", "--generate", "poisson",
         "--days", "5", "--out", str(tmp_path / "f")],
    )  # fmt: skip
    assert fac.exit_code == 2 and "not longer than the warm-up" in fac.output
    cmp = runner.invoke(app, ["compare", "small", "--policies", "demand_centric", "--days", "10"])
    assert cmp.exit_code == 2 and "warmup" in cmp.output
    from simulator.experiments.run import run_once
    from simulator.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError):
        run_once(load_scenario(SCENARIOS / "small.toml"), days=10)  # no silent shrinking


def test_events_is_a_flag_and_help_shows_no_value() -> None:
    res = runner.invoke(app, ["run", "--help"])
    line = next(x for x in res.output.splitlines() if "--events" in x)
    assert "<bool>" not in line
    bad = runner.invoke(app, ["run", "small", "--events", "true"])
    assert bad.exit_code == 2  # 'true' is taken as a second argument, not a value of the flag


def test_version() -> None:
    from simulator import __version__

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"marketsim {__version__}"


def test_why_explains_holds_in_words_and_refuses_days_outside_the_run(run_folder: Path) -> None:
    res = runner.invoke(app, ["why", str(run_folder), "--day", "0"])
    assert res.exit_code == 0
    assert "nan" not in res.output
    hold = next(x for x in res.output.splitlines() if "PushCo" in x)
    assert hold.startswith("Day 0 (t=0.5): PushCo released nothing and waited")
    assert "Why: Nothing sold yet: no forecast." in hold
    for day in ("9999", "30", "-1"):
        out = runner.invoke(app, ["why", str(run_folder), "--day", day])
        assert out.exit_code == 2 and f"--day {day}: outside the run (days 0 to 29)" in out.output


def test_event_log_names_firms(run_folder: Path) -> None:
    ev = pd.read_parquet(run_folder / "events.parquet")
    assert set(ev["firm"].dropna()) == {"PushCo", "PullCo"}
    named = ev.dropna(subset=["firm"])
    codes = {"PushCo": 0, "PullCo": 1}
    assert (named["firm"].map(codes).astype(int) == named["firm_index"]).all()
    assert (ev.loc[ev["firm"].isna(), "firm_index"] == -1).all()


def test_bundled_scenarios_by_name_and_listed() -> None:
    res = runner.invoke(app, ["scenarios"])
    assert res.exit_code == 0
    for name in ("baseline", "young_market", "small", "value_share_demo"):
        assert name in res.output
    assert bundled.resolve("baseline") == SCENARIOS / "baseline.toml"
    assert bundled.resolve("sweeps/x.toml") == Path("sweeps/x.toml")  # a path is never a name
    assert bundled.resolve("value_share_demo", "sweeps") == ROOT / "sweeps" / "value_share_demo.toml"
    missing = runner.invoke(app, ["run", "no_such_scenario"])
    assert missing.exit_code == 2 and "no_such_scenario: file not found" in missing.output


def test_installed_package_finds_its_bundled_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a checkout the files come from <prefix>/share/marketsim, where pyproject installs them."""
    share = tmp_path / "share" / "marketsim" / "scenarios"
    share.mkdir(parents=True)
    (share / "baseline.toml").write_text('name = "installed"\n')
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(
        bundled, "__file__", str(tmp_path / "site-packages" / "simulator" / "bundled.py")
    )
    assert bundled.bundled_dirs("scenarios") == [share]
    assert bundled.bundled_path("baseline") == share / "baseline.toml"
    from simulator.viz.server import default_scenario_path

    assert default_scenario_path() == share / "baseline.toml"  # marketsim viz with no argument
    # and pyproject installs every bundled file there
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = meta["tool"]["setuptools"]["data-files"]
    patterns = data["share/marketsim/scenarios"] + data["share/marketsim/sweeps"]
    installed = {p for pat in patterns for p in ROOT.glob(pat)}
    for kind in ("scenarios", "sweeps"):
        assert set((ROOT / kind).glob("*.toml")) <= installed


def test_sweep_parameters_name_firms(tmp_path: Path) -> None:
    from simulator.experiments.design import load_experiment

    f = tmp_path / "s.toml"
    f.write_text(
        f'scenario = "{SCENARIOS / "small.toml"}"\nfirm = "PullCo"\npolicies = ["demand_centric"]\n'
        '[design]\nkind = "grid"\npoints = 2\n'
        '[[parameters]]\npath = "firms.PushCo.price"\nlow = 90.0\nhigh = 95.0\n'
    )
    exp = load_experiment(f)
    sc = exp.scenario_for(exp.points[1], exp.spec.policies[0])
    assert sc.firms[0].name == "PushCo" and sc.firms[0].price == 95.0
    f.write_text(f.read_text().replace("firms.PushCo.price", "firms.Acme.price"))
    res = runner.invoke(app, ["sweep", str(f)])
    assert res.exit_code == 2
    assert (
        "parameters.0.path: 'firms.Acme.price': no firm named 'Acme' (firms: PushCo, PullCo)"
        in res.output
    )


def test_a_bad_path_fails_before_the_model_is_imported() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom simulator.cli import app\n"
        "r = CliRunner().invoke(app, {args})\n"
        "print(r.exit_code, 'simulator.model' in sys.modules, 'mesa' in sys.modules)\n"
    )
    for args in (
        ["run", "missing.toml"],
        ["sweep", "missing.toml"],
        ["compare", "missing.toml", "--policies", "x"],
    ):
        out = subprocess.run(
            [sys.executable, "-c", code.format(args=args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert out.stdout.split() == ["2", "False", "False"], (args, out.stdout, out.stderr)


def test_sweep_demo_duration_is_stated_as_measured() -> None:
    """The Makefile and the README quote the same measured duration, not a guess."""
    make = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"sweep-demo.*?\(measured: ([^)]+)\)", make, re.S)
    assert stated, "the Makefile's sweep-demo comment states a measured duration"
    assert "half a minute" not in make
    assert f"measured: {stated.group(1)}" in readme
