"""Results are never lost, mixed or written outside their folder; runs and sweeps stop cleanly.

Traversal names (a firm called ``../../x``, a scenario called ``/abs``) stay inside the run folder;
the HTML report escapes names; a second writer into a folder is refused while the first writes; an
interrupted run or sweep (SIGTERM) stops within seconds and leaves a state to continue from; a killed
sweep takes its pool workers with it; a killed writer's temporary files are removed by the next.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
import tomli_w
from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.run import run_once
from simulator.model import MarketModel
from simulator.paths import UnsafePath, inside, slug, unique_slugs
from simulator.results import claim_folder
from tests.conftest import ROOT, SCENARIOS, tiny_scenario

runner = CliRunner()
WAIT = 120.0  # generous bound for a busy machine; the tests do not assert speed


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def tiny_data() -> dict[str, Any]:
    """The tiny test scenario as TOML-ready data (TOML has no null: unset options are left out)."""
    return tiny_scenario().model_dump(mode="json", exclude_none=True)


def scenario_file(tmp_path: Path, **changes: object) -> Path:
    data = tiny_data()
    for key, value in changes.items():
        node = data
        *parents, last = key.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    path = tmp_path / "scenario.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def wait_for(cond: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def marketsim(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd or ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- nothing outside the run folder ------------------------------------------------------------------


def test_slugs_are_file_names_and_stay_distinct() -> None:
    assert slug("PushCo") == "PushCo"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("/tmp/x") == "tmp-x"
    assert slug("!!!", "firm") == "firm"
    names = unique_slugs(["Pull Co", "Pull/Co", "pull co"])
    assert len({v.lower() for v in names.values()}) == 3
    assert all("/" not in v and ".." not in v for v in names.values())


def test_inside_refuses_climbing_out_and_symlinks(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    assert inside(run, "figures", "a.png") == run / "figures" / "a.png"
    for parts in (("..", "x"), ("/etc/passwd",), ("figures", "..", "..", "x")):
        with pytest.raises(UnsafePath):
            inside(run, *parts)
    (tmp_path / "elsewhere").mkdir()
    (run / "figures").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePath):
        inside(run, "figures", "a.png")


@pytest.mark.parametrize("firm", ["../../../escape", "/tmp/marketsim-abs"])
def test_a_firm_name_never_writes_outside_the_run_folder(tmp_path: Path, firm: str) -> None:
    f = scenario_file(tmp_path, **{"firms.0.name": firm, "run.days": 12})
    data = tiny_data()
    data["firms"][0]["name"] = firm
    data["run"]["days"] = 12
    data["events"] = [{"kind": "scandal", "day": 3, "firm": firm}]
    f.write_text(tomli_w.dumps(data))
    before = tree(tmp_path)
    out = tmp_path / "deep" / "run"
    res = runner.invoke(app, ["run", str(f), "--out", str(out)])
    assert res.exit_code == 0, res.output
    new = tree(tmp_path) - before
    assert all(p.startswith("deep") for p in new), new
    figures = list((out / "figures").glob("boycott_*"))
    assert len(figures) == 1 and figures[0].suffix == ".png"
    assert not Path("/tmp/marketsim-abs").exists()


def test_a_figure_folder_that_is_a_symlink_out_is_refused(tmp_path: Path) -> None:
    from simulator.market.figures import write_event_figures
    from simulator.results import OutputFolderError

    spec = tiny_scenario(**{"run.days": 10})
    spec = spec.with_overrides({"events": [{"kind": "scandal", "day": 2, "firm": "Push"}]})
    result = run_once(spec)
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (run / "figures").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputFolderError, match="outside"):
        write_event_figures(run, spec.events, result.market, result.timeseries)
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize("name", ["../../x", "/abs/olute"])
def test_a_scenario_or_sweep_name_never_chooses_the_folder(tmp_path: Path, name: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    f = scenario_file(tmp_path, name=name, **{"run.days": 6})
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(f)], cwd=work, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    made = [p for p in (work / "results").iterdir()]
    assert len(made) == 1 and (made[0] / "manifest.json").is_file()
    assert set(os.listdir(tmp_path)) == {"work", "scenario.toml"}
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        tomli_w.dumps(
            {
                "name": name,
                "scenario": str(f),
                "policies": ["supplier_centric", "demand_centric"],
                "replications": 2,
            }
        )
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "sweep",
            str(sweep),
            "--executor",
            "sequential",
            "--no-report",
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(list((work / "results").iterdir())) == 2
    assert set(os.listdir(tmp_path)) == {"work", "scenario.toml", "sweep.toml"}


def test_the_html_report_escapes_names(tmp_path: Path) -> None:
    markup = "<script>alert(1)</script>"
    f = scenario_file(tmp_path, **{"firms.1.name": markup, "run.days": 8, "run.warmup_days": 1})
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        tomli_w.dumps(
            {
                "name": "<b>bold</b>",
                "scenario": str(f),
                "firm": markup,
                "policies": ["supplier_centric", "demand_centric"],
                "replications": 2,
            }
        )
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(sweep), "--out", str(out), "--executor", "sequential"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert markup not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_names_from_a_run_folder_cannot_drive_the_terminal(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        runner.invoke(
            app, ["run", str(SCENARIOS / "small.toml"), "--days", "21", "--out", str(out)]
        ).exit_code
        == 0
    )
    df = pd.read_parquet(out / "decisions.parquet")
    df["firm"] = df["firm"].astype(str).str.replace("PushCo", "Push\x1b[2J\x1b]0;x\x07Co")
    df.to_parquet(out / "decisions.parquet")
    res = runner.invoke(app, ["why", str(out)])
    assert res.exit_code == 0, res.output
    assert "Push" in res.output and "\x1b" not in res.output and "\x07" not in res.output


# --- one writer at a time, nothing lost --------------------------------------------------------------


def test_a_second_writer_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = marketsim("run", str(SCENARIOS / "small.toml"), "--days", "20000", "--out", str(out))
    try:
        wait_for(lambda: (out / ".marketsim.json").exists(), "the first run to claim its folder")
        res = runner.invoke(
            app, ["run", str(SCENARIOS / "small.toml"), "--days", "21", "--out", str(out)]
        )
        assert res.exit_code == 2, res.output
        assert "another marketsim process is writing" in res.output
    finally:
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=WAIT)
    # SIGTERM stops the run like Ctrl-C: exit 130, the folder left as an unfinished run that a new
    # run into the same folder may take over
    assert first.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not (out / "manifest.json").exists()
    res = runner.invoke(app, ["run", str(SCENARIOS / "small.toml"), "--days", "21", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "manifest.json").read_text())["days"] == 21


def test_a_second_sweep_into_a_folder_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    sweep = _sweep_file(tmp_path, days=400, replications=4)
    out = tmp_path / "out"
    first = marketsim("sweep", str(sweep), "--out", str(out), "--executor", "sequential")
    try:
        wait_for(lambda: (out / "manifest.json").exists(), "the first sweep's manifest")
        args = ["sweep", str(sweep), "--out", str(out), "--resume", "--executor", "sequential"]
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert "another marketsim process is writing" in res.output
    finally:
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=WAIT)
    assert first.returncode == 130, stderr


def test_a_killed_writers_temporary_files_are_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with claim_folder(out, "run"):
        pass  # an unfinished run: claimed, nothing finished
    out.mkdir(exist_ok=True)
    (out / ".marketsim.json").write_text('{"kind": "run"}')
    (out / ".summary.json.x1.tmp").write_text("{")
    (out / "figures").mkdir()
    (out / "figures" / ".boycott_A.png.x2.tmp").write_bytes(b"\x89PNG")
    (out / "timeseries.parquet").write_bytes(b"half")  # an unfinished run's leftover
    res = runner.invoke(app, ["run", str(SCENARIOS / "small.toml"), "--days", "21", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert not [p for p in out.rglob("*.tmp")]
    assert len(pd.read_parquet(out / "timeseries.parquet")) == 2 * 21  # two firms, 21 days


# --- clean shutdown -----------------------------------------------------------------------------------


def _sweep_file(tmp_path: Path, days: int, replications: int) -> Path:
    f = scenario_file(tmp_path, **{"run.days": days, "population.size": 800})
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        tomli_w.dumps(
            {
                "name": "shutdown",
                "scenario": str(f),
                "policies": ["supplier_centric", "demand_centric"],
                "replications": replications,
            }
        )
    )
    return sweep


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_sigterm_stops_a_sweep_and_its_workers_and_resume_finishes_it(tmp_path: Path) -> None:
    sweep = _sweep_file(tmp_path, days=150, replications=6)
    out = tmp_path / "out"
    proc = marketsim("sweep", str(sweep), "--out", str(out), "--workers", "2", "--no-report")
    try:
        wait_for(lambda: len(list((out / "runs").glob("*.parquet"))) >= 1, "a first finished run")
        workers = _descendants(proc.pid)
        assert workers, "the pool has workers"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, f"workers still running after the sweep stopped: {alive}"
    done = len(list((out / "runs").glob("*.parquet")))
    assert 1 <= done < 12
    res = runner.invoke(
        app,
        ["sweep", str(sweep), "--out", str(out), "--resume", "--executor", "sequential", "--no-report"],
    )
    assert res.exit_code == 0, res.output
    assert f"{done} resumed" in res.output
    assert len(pd.read_parquet(out / "index.parquet")) == 12 * 2


POOL = ("--workers", "2", "--no-report")


def _pool_workers(pid: int) -> list[psutil.Process]:
    """The pool's workers: the processes the forkserver (a child of ``pid``) forked."""
    return [p for p in _descendants(pid) if p.ppid() != pid]


def test_killing_a_sweep_kills_its_pool_workers(tmp_path: Path) -> None:
    # runs long enough (minutes) that a worker finishing its run and then noticing would take far
    # longer than the watchdog's second
    sweep = _sweep_file(tmp_path, days=20000, replications=2)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "sweep", str(sweep), "--out", str(out), *POOL],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(_pool_workers(proc.pid)) >= 2, "two pool workers")
        everything = _descendants(proc.pid)
        time.sleep(2.0)  # let them start their runs
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
        _, alive = psutil.wait_procs(everything, timeout=30)
    finally:
        for p in _descendants(proc.pid):
            p.kill()
    assert not alive, f"processes outlived the sweep: {[p.cmdline()[:3] for p in alive]}"
    assert not list((out / "runs").glob("*.parquet"))


# --- the event log on disk ----------------------------------------------------------------------------


def test_events_file_is_streamed_and_equals_the_log(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["run", str(SCENARIOS / "small.toml"), "--days", "25", "--events", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    streamed = pd.read_parquet(out / "events.parquet")
    from simulator.scenario import load_scenario

    spec = load_scenario(SCENARIOS / "small.toml").shortened(25)[0]
    model = MarketModel(spec)
    model.run()
    kept = model.event_log.to_frame()
    # the file names the firms and keeps their positions; the log's frame has the positions
    names = {-1: None, 0: "PushCo", 1: "PullCo"}
    assert [None if pd.isna(x) else x for x in streamed["firm"]] == [names[i] for i in kept["firm"]]
    pd.testing.assert_frame_equal(
        streamed.drop(columns="firm")
        .rename(columns={"firm_index": "firm"})
        .assign(kind=streamed["kind"].astype(str)),
        kept.assign(kind=kept["kind"].astype(str)),
    )
    assert not list(out.glob(".*tmp"))


def test_the_event_log_keeps_one_buffer_in_memory(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow.parquet as pq

    from simulator.market.eventlog import EventKind, EventLog

    log = EventLog(2, chunk_rows=1000, spill=tmp_path / "ev.parquet")
    rng = np.random.default_rng(1)
    want = []
    for day in range(60):
        who = rng.integers(0, 5000, size=int(rng.integers(0, 900)))
        firm = rng.integers(-1, 2, size=len(who))
        log.record(EventKind.PURCHASE, day, who, firm, 1.5)
        want.append(pd.DataFrame({"day": day, "consumer": who, "firm": firm}))
        assert log._fill < 1000 and log._buffer is not None and len(log._buffer["day"]) == 1000
    path = log.close()
    assert path == tmp_path / "ev.parquet"
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == len(log) and all(
        meta.row_group(i).num_rows == 1000 for i in range(meta.num_row_groups - 1)
    )
    got = pd.read_parquet(path)
    expected = pd.concat(want, ignore_index=True)
    assert got["day"].tolist() == expected["day"].tolist()
    assert got["consumer"].tolist() == expected["consumer"].tolist()
    assert got["firm_index"].tolist() == expected["firm"].tolist()
    # the file names each firm (the log was made without names: "firm 0", "firm 1"; none: null)
    names = [None if i < 0 else f"firm {i}" for i in expected["firm"].tolist()]
    assert [None if pd.isna(x) else x for x in got["firm"].tolist()] == names
    np.testing.assert_array_equal(
        log.daily_counts(EventKind.PURCHASE, 1, 0, 59),
        np.bincount(expected.loc[expected["firm"] == 1, "day"], minlength=60),
    )
