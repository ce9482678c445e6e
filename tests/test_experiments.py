"""Experiments: common random numbers, identical results on every executor, compare end to end."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.design import parse_experiment
from simulator.experiments.engine import execute, run_experiment, tasks
from simulator.experiments.executors import open_executor
from simulator.experiments.stats import paired_difference
from simulator.rng import replication_seeds
from tests.conftest import SCENARIOS

runner = CliRunner()


def _tiny_experiment(tmp_path: Path, **extra: object) -> object:
    """Two policies for PullCo in a 400-consumer, 40-day version of the small scenario."""
    scen = tmp_path / "tiny.toml"
    text = (SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 400")
    scen.write_text(text)
    data = {
        "name": "tiny",
        "scenario": str(scen),
        "firm": "PullCo",
        "policies": ["supplier_centric", "demand_centric"],
        "replications": 3,
        "seed": 11,
        "days": 40,
        "warmup_days": 10,
        **extra,
    }
    return parse_experiment(data, "test")


def test_every_policy_sees_the_same_replication_seeds(tmp_path: Path) -> None:
    exp = _tiny_experiment(
        tmp_path, parameters=[{"path": "population.value_intensity", "values": [0.5, 2.0]}]
    )
    ts = tasks(exp)  # type: ignore[arg-type]
    assert len(ts) == 2 * 2 * 3
    seeds = replication_seeds(11, 3)
    for t in ts:
        assert t.seed.spawn_key == seeds[t.replication].spawn_key
        assert t.seed.entropy == seeds[t.replication].entropy
        firm = t.scenario.firms[1]
        assert firm.policy.name == t.policy
        assert t.scenario.population.value_intensity == [0.5, 2.0][t.point]


def test_common_random_numbers_narrow_the_interval_on_a_difference(tmp_path: Path) -> None:
    # Two lot sizes of the push policy: with the same replication seeds both runs see the same
    # consumers, so most of the noise cancels in the paired difference.
    pols = [
        {"name": "supplier_centric", "min_lot": 50, "label": "lot50"},
        {"name": "supplier_centric", "min_lot": 100, "label": "lot100"},
    ]
    reps = 10
    exp = _tiny_experiment(tmp_path, replications=reps, policies=pols)
    by = {(t.policy, t.replication): t for t in tasks(exp)}  # type: ignore[arg-type]
    profit = {k: execute(t).summary["firms"]["PullCo"]["profit"] for k, t in by.items()}
    a = np.array([profit[("lot50", r)] for r in range(reps)])
    b_crn = np.array([profit[("lot100", r)] for r in range(reps)])
    # Independent seeds: the second policy runs on another set of replication seeds.
    other = replication_seeds(999, reps)
    b_ind = np.array(
        [
            execute(dataclasses.replace(by[("lot100", r)], seed=other[r])).summary["firms"]["PullCo"][
                "profit"
            ]
            for r in range(reps)
        ]
    )
    crn = paired_difference(a, b_crn).interval
    ind = paired_difference(a, b_ind).interval
    assert crn.half_width < ind.half_width, (crn, ind)


def _index(exp: object, folder: Path, kind: str) -> pd.DataFrame:
    with open_executor(kind, 2) as ex:  # type: ignore[arg-type]
        outcome = run_experiment(exp, folder, ex)  # type: ignore[arg-type]
    assert outcome.failed == []
    return pd.read_parquet(folder / "index.parquet")


def test_sequential_process_pool_and_dask_give_identical_results(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    exp = _tiny_experiment(tmp_path, replications=2)
    seq = _index(exp, tmp_path / "seq", "sequential")
    pool = _index(exp, tmp_path / "pool", "process")
    dask = _index(exp, tmp_path / "dask", "dask")  # a real LocalCluster with 2 worker processes
    assert len(seq) == 2 * 2 * 2  # runs x firms
    pd.testing.assert_frame_equal(seq, pool)
    pd.testing.assert_frame_equal(seq, dask)
    for name in sorted(p.name for p in (tmp_path / "seq" / "runs").iterdir()):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "seq" / "runs" / name),
            pd.read_parquet(tmp_path / "dask" / "runs" / name),
        )


def test_compare_cli_writes_intervals_and_bonferroni_with_three_policies(tmp_path: Path) -> None:
    sweep = tmp_path / "three.toml"
    scen = tmp_path / "tiny.toml"
    scen.write_text((SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 400"))
    sweep.write_text(
        f"""
name = "three"
scenario = "{scen}"
firm = "PullCo"
replications = 4
seed = 3
days = 40
warmup_days = 10
policies = ["supplier_centric", {{ name = "demand_centric", buffer = 5, label = "pull5" }},
            {{ name = "demand_centric", buffer = 25, label = "pull25" }}]
"""
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(sweep), "--out", str(out), "--executor", "sequential"])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    assert "Bonferroni" in md and "pull25" in md
    index = pd.read_parquet(out / "index.parquet")
    assert set(index["policy"]) == {"supplier_centric", "pull5", "pull25"}
    assert len(list((out / "runs").glob("*.parquet"))) == 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 12 and len(manifest["seeds"]) == 4

    res = runner.invoke(
        app,
        [
            "compare", str(scen), "--policies", "supplier_centric,demand_centric", "--firm", "PullCo",
            "--replications", "3", "--days", "30", "--warmup", "5", "--out", str(tmp_path / "cmp"),
            "--executor", "sequential",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "report.html").exists()
    again = runner.invoke(
        app, ["compare", str(scen), "--policies", "demand_centric", "--out", str(tmp_path / "cmp")]
    )
    assert again.exit_code == 2 and "--resume" in again.output


def test_a_failing_run_is_recorded_and_retried_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.experiments import engine

    exp = _tiny_experiment(tmp_path, replications=2)
    real = engine.execute

    def flaky(task: engine.RunTask) -> engine.RunOutput:
        if task.run_id == "p0000-r001-demand_centric":
            raise RuntimeError("plant on fire")
        return real(task)

    monkeypatch.setattr(engine, "execute", flaky)
    folder = tmp_path / "out"
    with open_executor("sequential") as ex:
        outcome = run_experiment(exp, folder, ex)  # type: ignore[arg-type]
    assert outcome.failed == ["p0000-r001-demand_centric"] and outcome.done == 3
    record = json.loads((folder / "failed" / "p0000-r001-demand_centric.json").read_text())
    assert "plant on fire" in record["error"]
    assert len(pd.read_parquet(folder / "index.parquet")) == 3 * 2  # three runs, two firms each
    assert json.loads((folder / "status.json").read_text())["failed"] == ["p0000-r001-demand_centric"]

    monkeypatch.setattr(engine, "execute", real)
    with open_executor("sequential") as ex:
        again = run_experiment(exp, folder, ex, resume=True)  # type: ignore[arg-type]
    assert (again.skipped, again.done, again.failed) == (3, 1, [])
    assert not (folder / "failed" / "p0000-r001-demand_centric.json").exists()
    assert len(pd.read_parquet(folder / "index.parquet")) == 4 * 2
