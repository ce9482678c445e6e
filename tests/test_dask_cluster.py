"""A real Dask cluster, with a fault: the sweep's files are the sequential executor's.

The test starts the cluster the way an operator would, as separate processes (``dask scheduler``
and two ``dask worker``, one thread each, no nanny, so that a worker is one process), runs a sweep
through ``marketsim sweep --executor dask --scheduler tcp://HOST:PORT``, kills one worker with
SIGKILL as soon as the first run is written (the sweep is then still running), and compares every
run file and the index with the same sweep run by the sequential executor: Dask reruns the lost
worker's runs on the other, and the results do not depend on where a run was computed.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import tomli_w

from simulator.experiments.engine import read_run_meta
from tests.conftest import ROOT, tiny_scenario

pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")
WAIT = 180.0
SCHEDULER_ARGS = ("--host", "127.0.0.1", "--port", "0", "--no-dashboard")
WORKER_ARGS = ("--nthreads", "1", "--no-nanny", "--no-dashboard", "--death-timeout", "60")


def on(address: str) -> tuple[str, ...]:
    """The sweep's options to run on the cluster at ``address``."""
    return ("--executor", "dask", "--scheduler", address, "--no-report")


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(args, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)


def _wait(cond: object, what: str, procs: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise AssertionError(f"a cluster process ended early: {[log.read_text() for log in logs]}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {[log.read_text()[-2000:] for log in logs]}")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and two single-threaded workers on 127.0.0.1, stopped at the end."""
    if not DASK.exists() and shutil.which("dask") is None:
        pytest.skip("the dask command is not installed")
    dask = str(DASK) if DASK.exists() else "dask"
    info = tmp_path / "scheduler.json"
    logs = [tmp_path / "scheduler.log", tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    procs = [
        _start(
            [dask, "scheduler", *SCHEDULER_ARGS, "--scheduler-file", str(info)],
            logs[0],
        )
    ]
    try:
        _wait(lambda: info.exists() and info.stat().st_size > 0, "the scheduler", procs, logs)
        address = json.loads(info.read_text())["address"]
        for name, log in zip(("a", "b"), logs[1:], strict=True):
            procs.append(
                _start(
                    [dask, "worker", address, *WORKER_ARGS, "--name", f"worker-{name}"],
                    log,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=WAIT)
        yield address, procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _sweep(tmp_path: Path) -> Path:
    spec = tiny_scenario(**{"population.size": 1000, "run.days": 150})
    scen = tmp_path / "scenario.toml"
    scen.write_text(tomli_w.dumps(spec.model_dump(mode="json", exclude_none=True)))
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        tomli_w.dumps(
            {
                "name": "cluster",
                "scenario": str(scen),
                "firm": "Pull",
                "policies": ["supplier_centric", "demand_centric"],
                "replications": 5,
                "seed": 11,
            }
        )
    )
    return sweep


def _marketsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


def test_a_sweep_on_a_cluster_that_loses_a_worker_gives_the_sequential_files(
    tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    address, procs = cluster
    sweep = _sweep(tmp_path)
    out = tmp_path / "dask"
    runs = 10
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "sweep", str(sweep), "--out", str(out), *on(address)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + WAIT
        while not list((out / "runs").glob("*.parquet")) and time.monotonic() < end:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        done_at_kill = len(list((out / "runs").glob("*.parquet")))
        assert 1 <= done_at_kill < runs, "the worker must die mid-sweep"
        procs[1].send_signal(signal.SIGKILL)  # worker a, mid-run
        procs[1].wait(timeout=30)
        stdout, stderr = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert f"{runs} runs (0 resumed, {runs} run now, 0 failed)" in stdout
    ref = tmp_path / "sequential"
    done = _marketsim("sweep", str(sweep), "--out", str(ref), "--executor", "sequential", "--no-report")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (ref / "runs").glob("*.parquet"))
    assert len(names) == runs
    assert sorted(p.name for p in (out / "runs").glob("*.parquet")) == names
    for name in names:
        a, b = out / "runs" / name, ref / "runs" / name
        assert read_run_meta(a) == read_run_meta(b), name
        assert pq.read_table(a).equals(pq.read_table(b)), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "index.parquet"), pd.read_parquet(ref / "index.parquet")
    )
