"""The corpus of malformed inputs: every one is refused with exit 2, before any simulation.

``tests/corpus/`` holds one file per mistake a user could make (written by ``make_corpus.py``,
expectations in ``cases.toml``): non-finite and oversized numbers, runs this machine cannot hold,
events outside the run, names with control characters, broken structure, files that are devices,
folders or missing, sweep designs of 200,000 runs, demand files with two ``day`` columns. Each goes
through ``marketsim check`` and through the command that would use it (``run``, ``sweep``,
``factory``); each must exit 2 and name the file and the field, print no traceback, write no output
folder, and simulate nothing: the model's and the factory's day step are replaced by a function that
fails the test. The command-line mistakes at the end are checked the same way.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from tests.conftest import ROOT, SCENARIOS

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text())["case"]
runner = CliRunner()


def test_the_corpus_is_large_enough() -> None:
    kinds = {k: sum(c["kind"] == k for c in CASES) for k in ("scenario", "sweep", "demand")}
    assert len(CASES) + len(CLI_CASES) >= 120, kinds
    assert min(kinds.values()) >= 15, kinds


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any simulated day fails the test: a refusal must come before the work."""

    def simulated(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a day was simulated for an input that should have been refused")

    monkeypatch.setattr("simulator.model.MarketModel.step", simulated)
    monkeypatch.setattr("simulator.factory_mode.FactoryRun.step", simulated)
    monkeypatch.setattr("simulator.experiments.engine.execute", simulated)
    monkeypatch.chdir(CORPUS)  # files the inputs name are relative to the corpus
    yield


def refused(args: list[str], names: list[str]) -> str:
    """Invoke the command; assert exit 2, no traceback, and every one of ``names`` in the message."""
    res = runner.invoke(app, args)
    text = res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 2, f"{args}: exit {res.exit_code}\n{text}"
    assert "Traceback" not in text and "internal error" not in text, text
    for name in names:
        assert name in text, f"{args}: {name!r} not in\n{text}"
    assert "\x1b" not in text and "\x00" not in text, repr(text)  # nothing drives the terminal
    return text


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_malformed_file_is_refused(case: dict[str, Any], tmp_path: Path, no_simulation: None) -> None:
    f = case["file"]
    expect = [f, *case["expect"]]
    refused(["check", f], expect)
    out = tmp_path / "out"
    if case["kind"] == "scenario":
        args = ["run", f, "--out", str(out)]
    elif case["kind"] == "sweep":
        args = ["sweep", f, "--out", str(out), "--executor", "sequential"]
    else:
        args = ["factory", str(SCENARIOS / "factory.toml"), "--firm", "Workshop", "--demand", f]
        args += ["--out", str(out)]
    # the command names the same field (an edge list's problem is named in the edge list)
    text = refused(args, [case["expect"][0]] if "edges/" in case["expect"][0] else expect)
    assert not out.exists(), f"{args} left {out}: {text}"


# --- command-line mistakes --------------------------------------------------------------------------


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A finished run folder (made once per test that needs it; 5 days of the small scenario)."""
    out = tmp_path / "finished"
    res = runner.invoke(app, ["run", str(SCENARIOS / "small.toml"), "--days", "21", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


SMALL = str(SCENARIOS / "small.toml")
CLI_CASES: list[tuple[str, list[str], list[str]]] = [
    ("run-days-zero", ["run", SMALL, "--days", "0"], ["--days"]),
    ("run-days-1e9", ["run", SMALL, "--days", "1000000000"], ["small.toml", "--days", "--allow-large"]),
    ("run-days-int32", ["run", SMALL, "--days", str(2**31)], ["--days", "run.days"]),
    ("run-seed-negative", ["run", SMALL, "--seed", "-1"], ["--seed"]),
    ("run-seed-huge", ["run", SMALL, "--seed", str(2**70)], ["--seed"]),
    ("run-out-empty", ["run", SMALL, "--out", ""], ["--out"]),
    ("run-out-proc", ["run", SMALL, "--out", "/proc/marketsim-x"], ["/proc/marketsim-x"]),
    ("run-missing-scenario", ["run", "nowhere.toml"], ["nowhere.toml", "file not found"]),
    ("run-days-before-event", ["run", "scenarios/days-text.toml"], ["run.days"]),
    ("why-action-bogus", ["why", "{run}", "--action", "bogus"], ["--action", "bogus"]),
    ("why-firm-unknown", ["why", "{run}", "--firm", "Nobody"], ["--firm", "Nobody"]),
    ("why-not-a-run", ["why", "{tmp}"], ["decisions.parquet"]),
    ("sweep-executor-bogus", ["sweep", "sweeps/days-one.toml", "--executor", "bogus"], ["--executor"]),
    (
        "sweep-scheduler-no-dask",
        ["sweep", "sweeps/days-one.toml", "--scheduler", "tcp://h:1"],
        ["--scheduler"],
    ),
    (
        "sweep-scheduler-garbage",
        ["sweep", "sweeps/days-one.toml", "--executor", "dask", "--scheduler", "x y"],
        ["--scheduler"],
    ),
    ("sweep-workers-zero", ["sweep", "sweeps/days-one.toml", "--workers", "0"], ["--workers"]),
    ("compare-no-policies", ["compare", SMALL, "--policies", ","], ["--policies"]),
    (
        "compare-one-replication",
        ["compare", SMALL, "--policies", "demand_centric", "--replications", "1"],
        ["--replications"],
    ),
    ("compare-unknown-policy", ["compare", SMALL, "--policies", "magic"], ["magic"]),
    (
        "compare-unknown-firm",
        ["compare", SMALL, "--policies", "demand_centric", "--firm", "Nobody"],
        ["firm", "Nobody"],
    ),
    (
        "factory-mean-inf",
        ["factory", SMALL, "--firm", "PushCo", "--generate", "poisson", "--mean", "inf"],
        ["--mean"],
    ),
    (
        "factory-sd-nan",
        ["factory", SMALL, "--firm", "PushCo", "--generate", "normal", "--sd", "nan"],
        ["--sd"],
    ),
    (
        "factory-generate-bogus",
        ["factory", SMALL, "--firm", "PushCo", "--generate", "chaos"],
        ["--generate"],
    ),
    (
        "factory-huge-demand",
        [
            "factory",
            SMALL,
            "--firm",
            "PushCo",
            "--generate",
            "poisson",
            "--mean",
            "1e11",
            "--days",
            "3650",
        ],
        ["--allow-large"],
    ),
    (
        "factory-missing-demand",
        ["factory", SMALL, "--firm", "PushCo", "--demand", "nowhere.csv"],
        ["nowhere.csv", "file not found"],
    ),
    (
        "factory-unknown-firm",
        ["factory", SMALL, "--firm", "Nobody", "--generate", "poisson"],
        ["Nobody"],
    ),
    ("report-not-experiment", ["report", "{tmp}"], ["manifest.json"]),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_command_line_mistake_is_refused(
    case: tuple[str, list[str], list[str]], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _name, args, names = case
    if "{run}" in args:
        folder = request.getfixturevalue("run_folder")
        args = [str(folder) if a == "{run}" else a for a in args]
    request.getfixturevalue("no_simulation")
    args = [str(tmp_path) if a == "{tmp}" else a for a in args]
    refused(args, names)


def test_an_existing_folder_of_the_users_is_refused_untouched(
    tmp_path: Path, no_simulation: None
) -> None:
    mine = tmp_path / "userdir"
    mine.mkdir()
    (mine / "summary.json").write_text('{"mine": true}')
    refused(["run", SMALL, "--out", str(mine)], [str(mine), "not a marketsim run"])
    assert json.loads((mine / "summary.json").read_text()) == {"mine": True}
    assert sorted(p.name for p in mine.iterdir()) == ["summary.json"]


def test_an_out_below_a_file_is_refused(tmp_path: Path, no_simulation: None) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    refused(["run", SMALL, "--out", str(afile / "sub")], [str(afile / "sub")])
    refused(["run", SMALL, "--out", str(afile)], [str(afile), "not a folder"])


def test_resume_of_a_damaged_manifest_says_what_to_do(tmp_path: Path, no_simulation: None) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    # a sweep's folder (its marker) whose manifest was cut short
    (folder / ".marketsim.json").write_text('{"kind": "sweep"}')
    (folder / "manifest.json").write_text('{"kind": "sweep", "fingerprint": ')
    text = refused(
        ["sweep", str(ROOT / "sweeps" / "value_share_demo.toml"), "--out", str(folder), "--resume"],
        [str(folder / "manifest.json"), "damaged", "--out"],
    )
    assert "new folder" in text
    refused(["report", str(folder)], [str(folder / "manifest.json"), "damaged"])
    (folder / ".marketsim.json").unlink()  # an older folder without the marker: the same answer
    refused(
        ["sweep", str(ROOT / "sweeps" / "value_share_demo.toml"), "--out", str(folder), "--resume"],
        [str(folder / "manifest.json"), "damaged", "--out"],
    )


def test_report_rebuilds_a_damaged_index(tmp_path: Path) -> None:
    folder = tmp_path / "cmp"
    args = ["compare", SMALL, "--policies", "supplier_centric,demand_centric", "--firm", "PullCo"]
    args += ["--replications", "2", "--days", "6", "--warmup", "1", "--executor", "sequential"]
    args += ["--out", str(folder), "--no-report"]
    assert runner.invoke(app, args).exit_code == 0
    good = pd.read_parquet(folder / "index.parquet")
    (folder / "index.parquet").write_bytes(b"PAR1 damaged")
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    assert "rebuilding it from runs/" in res.output
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "index.parquet"), good)
    assert (folder / "report.html").is_file()
